import { describe } from 'vitest';
import { areaTests } from './target/suite.js';

/** Bucket scoping: specific buckets only, no existence leak, all-buckets covers new buckets, copies, ambiguities. */

describe('scoping', () => areaTests('scoping'));
