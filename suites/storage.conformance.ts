import { describe } from 'vitest';
import {
  bucketNamesInvalidCheck,
  bucketNamesValidCheck,
  checkChecksumMismatch,
  checkDeleteNonEmpty,
  checkInvalidBucketNames,
  checkKeyTooLong,
  checkObjectRoundTrip,
  checkValidBucketNames,
  checksumMismatchCheck,
  deleteNonEmptyCheck,
  keyTooLongCheck,
  objectRoundTripCheck,
} from './checks/storage.js';
import { checkTest, leakScanTest, useSuiteContext } from './target/suite.js';

/** Storage rules: bucket naming, deleting only empty buckets, exact object round trips, checksum verification. */

describe('storage', () => {
  const context = useSuiteContext();
  checkTest(bucketNamesValidCheck, context, (ctx) => checkValidBucketNames(ctx));
  checkTest(bucketNamesInvalidCheck, context, (ctx) => checkInvalidBucketNames(ctx));
  checkTest(deleteNonEmptyCheck, context, (ctx) => checkDeleteNonEmpty(ctx));
  checkTest(objectRoundTripCheck, context, (ctx) => checkObjectRoundTrip(ctx));
  checkTest(keyTooLongCheck, context, (ctx) => checkKeyTooLong(ctx));
  checkTest(checksumMismatchCheck, context, (ctx) => checkChecksumMismatch(ctx));
  leakScanTest(context);
});
