import { describe } from 'vitest';
import { areaTests } from './target/suite.js';

/** Credential formats and uniqueness, and that issued keys work. */

describe('formats', () => areaTests('formats'));
