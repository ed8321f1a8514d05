import { describe } from 'vitest';
import { areaTests } from './target/suite.js';

/** One-time secret: shown at creation only, never again on any route, header or error. */

describe('secrets', () => areaTests('secrets'));
