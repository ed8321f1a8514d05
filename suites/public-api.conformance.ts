import { describe } from 'vitest';
import { areaTests } from './target/suite.js';

/** IBEE's public REST API: the workspace of every call, buckets over REST and S3, scope names, credential deletion, billing decisions. */

describe('public-api', () => areaTests('public-api'));
