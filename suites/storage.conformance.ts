import { describe } from 'vitest';
import { areaTests } from './target/suite.js';

/** Storage rules: bucket naming, deleting only empty buckets, exact object round trips, checksum verification. */

describe('storage', () => areaTests('storage'));
