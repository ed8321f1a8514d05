import { describe } from 'vitest';
import { areaTests } from './target/suite.js';

/** Token creation rules: a scope, a name, exactly one level, a well-shaped bucket scope. */

describe('tokens', () => areaTests('tokens'));
