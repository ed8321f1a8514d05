import { describe } from 'vitest';
import { credentialsScopedBucket, prepareGridFixture, type GridFixture } from './checks/permissions.js';
import {
  adminSpecificCheck,
  allNewBucketsCheck,
  checkAllNewBuckets,
  checkCopyBoundary,
  checkNoExistenceLeak,
  copyBoundaryCheck,
  listBucketsViewCheck,
  noExistenceLeakCheck,
  observeAdminSpecific,
  observeListBucketsView,
} from './checks/scoping.js';
import type { SuiteContext } from './target/context.js';
import { checkTest, leakScanTest, useSuiteContext } from './target/suite.js';

/** Bucket scoping: specific buckets only, no existence leak, all-buckets covers new buckets, copies, ambiguities. */

describe('scoping', () => {
  const context = useSuiteContext();
  let fixture: Promise<GridFixture> | null = null;
  // With pre-made credentials, the bucket-scoped tokens decide which bucket is in scope.
  const setup = (ctx: SuiteContext) => (fixture ??= credentialsScopedBucket(ctx).then((inScope) => prepareGridFixture(ctx, inScope)));

  checkTest(noExistenceLeakCheck, context, async (ctx) => checkNoExistenceLeak(ctx, await setup(ctx)));
  checkTest(allNewBucketsCheck, context, (ctx) => checkAllNewBuckets(ctx));
  checkTest(copyBoundaryCheck, context, async (ctx) => checkCopyBoundary(ctx, await setup(ctx)));
  checkTest(adminSpecificCheck, context, async (ctx, rec) => observeAdminSpecific(ctx, rec, await setup(ctx)), { summary: false });
  checkTest(listBucketsViewCheck, context, async (ctx, rec) => observeListBucketsView(ctx, rec, await setup(ctx)), { summary: false });
  leakScanTest(context);
});
