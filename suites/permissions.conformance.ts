import { describe } from 'vitest';
import { areaTests } from './target/suite.js';

/** Permission levels: the S3 and REST grids (level x operation x scope), denial codes, monotonicity, billing. */

describe('permissions', () => areaTests('permissions'));
