import { describe } from 'vitest';
import { areaTests } from './target/suite.js';

/** Immediate and permanent revocation, plain and model-based (with concurrency and, on the mock, time travel). */

describe('revocation', () => areaTests('revocation'));
