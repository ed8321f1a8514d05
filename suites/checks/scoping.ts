import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { isAllowed, permissionTypes, s3Operations, type PermissionType } from '../../spec/index.js';
import { bucketName } from '../arbitraries/bucketName.js';
import type { SuiteContext } from '../target/context.js';
import { httpRequest, toEvidence, publicApiUrl } from '../target/http.js';
import { UnexpectedResponse } from '../target/rest-driver.js';
import { attempt } from '../target/s3.js';
import { levelsWithCredentials } from './credentials.js';
import { describeOutcome, exercisers } from './exercisers.js';
import { credentialsScopedBucket, exerciseTarget, prepareGridFixture, type GridFixture } from './permissions.js';
import { assertProperty, defineCheck, NotApplicable, perSuite, RequirementViolation, type CheckRecorder } from './registry.js';
import { observedOf } from './verdict.js';

/** Bucket scoping: refusal outside the scope without an existence leak, all-buckets covering new buckets, copies. */

export const noExistenceLeakCheck = defineCheck({
  name: 'scoping.no-existence-leak',
  requirementIds: ['SCOPE-SPECIFIC', 'SCOPE-NO-EXISTENCE-LEAK'],
  summary: 'A bucket-scoped token gets the same refusal on an existing other bucket and on a bucket that does not exist, over S3 and REST.',
  area: 'scoping',
  run: async (ctx) => checkNoExistenceLeak(ctx, await scopingFixture(ctx)),
});
export const allNewBucketsCheck = defineCheck({
  name: 'scoping.all-new-buckets',
  requirementIds: ['SCOPE-ALL-NEW-BUCKETS'],
  summary: 'An all-buckets token works on a bucket created after it.',
  area: 'scoping',
  run: (ctx) => checkAllNewBuckets(ctx),
});
export const copyBoundaryCheck = defineCheck({
  name: 'scoping.copy-boundary',
  requirementIds: ['SCOPE-COPY-BOUNDARY'],
  summary: 'CopyObject and UploadPartCopy into an in-scope bucket from an out-of-scope source are refused.',
  area: 'scoping',
  run: async (ctx) => checkCopyBoundary(ctx, await scopingFixture(ctx)),
});
export const adminSpecificCheck = defineCheck({
  name: 'scoping.admin-specific',
  requirementIds: ['SCOPE-ADMIN-SPECIFIC'],
  summary: 'Observes whether admin levels can be bucket-scoped, and whether the scope holds.',
  area: 'scoping',
  run: async (ctx, rec) => observeAdminSpecific(ctx, rec, await scopingFixture(ctx)),
  summarize: false,
});
export const listBucketsViewCheck = defineCheck({
  name: 'scoping.listbuckets-view',
  requirementIds: ['SCOPE-LISTBUCKETS-VIEW'],
  summary: 'Observes which buckets ListBuckets shows a bucket-scoped admin token.',
  area: 'scoping',
  run: async (ctx, rec) => observeListBucketsView(ctx, rec, await scopingFixture(ctx)),
  summarize: false,
});
/** A token creation the target answered with a refusal (4xx); a 5xx or no answer is an error, never a refusal. */
function isRefusal(error: unknown): error is UnexpectedResponse {
  return error instanceof UnexpectedResponse && error.exchange.response.status >= 400 && error.exchange.response.status < 500;
}

/** The grid fixture the scoping checks of one suite share; with pre-made credentials, their bucket is in scope. */
const scopingFixture = perSuite((ctx: SuiteContext) => credentialsScopedBucket(ctx).then((inScope) => prepareGridFixture(ctx, inScope)));


/** The fixture's out-of-scope bucket; not applicable, saying why, when the run could not make one. */
function outOfScopeOf(fixture: GridFixture): string {
  if (fixture.outOfScope === null) throw new NotApplicable(fixture.outOfScopeMissing ?? 'no out-of-scope bucket');
  return fixture.outOfScope;
}

const bucketOperations = s3Operations.filter((rule) => rule.target !== 'service' && rule.operation !== 'CreateBucket').map((rule) => rule.operation);

export async function checkNoExistenceLeak(ctx: SuiteContext, fixture: GridFixture): Promise<void> {
  const outOfScope = outOfScopeOf(fixture);
  const api = ctx.restApi;
  // One token per level, made once: runs made at the same time share it.
  const tokens = new Map<PermissionType, ReturnType<SuiteContext['token']>>();
  const tokenFor = (level: PermissionType) => {
    let token = tokens.get(level);
    if (!token) {
      token = ctx.token({ object_storage: { permission_type: level, bucket_scope: 'specific', allowed_buckets: [fixture.inScope] } });
      tokens.set(level, token);
      // A refused creation is tried again by the next run, as before.
      token.catch(() => tokens.delete(level));
    }
    return token;
  };
  // Object levels: scoping them is undisputed (admin levels are the ambiguous SCOPE-ADMIN-SPECIFIC).
  const level = fc.constantFrom(...(await levelsWithCredentials(ctx, noExistenceLeakCheck, ['object_rw', 'object_ro'], 'specific', [fixture.inScope])));
  const property = fc.asyncProperty(level, fc.constantFrom(...bucketOperations), bucketName(`${ctx.settings.runPrefix}-none`), async (lvl, operation, missing) => {
    const token = await tokenFor(lvl);
    const s3 = ctx.s3For(token);
    const run = (bucket: string) => exercisers[operation](exerciseTarget(ctx, s3, token, fixture, bucket, `${ctx.settings.runPrefix}-scope/${operation}`));
    const existing = await run(outOfScope);
    const absent = await run(missing);
    s3.destroy();
    if (existing.status !== 403) {
      throw new RequirementViolation('SCOPE-SPECIFIC', `${lvl} scoped to ${fixture.inScope}: ${operation} on another existing bucket answered ${describeOutcome(existing)}, expected 403`);
    }
    if (existing.status !== absent.status || existing.code !== absent.code) {
      throw new RequirementViolation(
        'SCOPE-NO-EXISTENCE-LEAK',
        `${lvl} out of scope: ${operation} answered ${describeOutcome(existing)} on an existing bucket but ${describeOutcome(absent)} on a missing one`,
      );
    }
    // Over REST as the token itself: S3 credentials (and pre-made keys given without one) have no Bearer token, and an
    // S3-only run no REST API, so then S3 alone is judged.
    if (token.bearerToken === null || api === null) return;
    const bearer = { authorization: `Bearer ${token.bearerToken}` };
    const restExisting = await httpRequest('GET', publicApiUrl(api, `/v1/object-storage/buckets/${outOfScope}`), { headers: bearer });
    const restAbsent = await httpRequest('GET', publicApiUrl(api, `/v1/object-storage/buckets/${missing}`), { headers: bearer });
    if (restExisting.response.status !== 403) {
      throw new RequirementViolation('SCOPE-SPECIFIC', `REST GET of an existing out-of-scope bucket answered ${restExisting.response.status}, expected 403`, [toEvidence(restExisting)]);
    }
    if (restExisting.response.status !== restAbsent.response.status) {
      throw new RequirementViolation(
        'SCOPE-NO-EXISTENCE-LEAK',
        `REST GET out of scope answered ${restExisting.response.status} for an existing bucket but ${restAbsent.response.status} for a missing one`,
        [toEvidence(restExisting), toEvidence(restAbsent)],
      );
    }
  });
  await assertProperty(property, ctx.settings, 'SCOPE-NO-EXISTENCE-LEAK', {}, { independentRuns: true });
}

export async function checkAllNewBuckets(ctx: SuiteContext): Promise<void> {
  const levels = await levelsWithCredentials(ctx, allNewBucketsCheck, permissionTypes, 'all');
  // The property makes buckets: without a fixture admin to make them the check cannot run (never a failure).
  await ctx.requireBucketCreation();
  const property = fc.asyncProperty(fc.constantFrom(...levels), async (level) => {
    const token = await ctx.token({ object_storage: { permission_type: level, bucket_scope: 'all' } });
    const bucket = await ctx.createBucket();
    const s3 = ctx.s3For(token);
    try {
      const listed = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket })));
      if (listed.status !== 200) throw new RequirementViolation('SCOPE-ALL-NEW-BUCKETS', `${level} on all buckets could not list a bucket created after it: ${describeOutcome(listed)}`);
      if (isAllowed(level, 'PutObject')) {
        const put = await attempt(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${ctx.settings.runPrefix}-new`, Body: 'new bucket' })));
        if (put.status !== 200) throw new RequirementViolation('SCOPE-ALL-NEW-BUCKETS', `${level} on all buckets could not write to a bucket created after it: ${describeOutcome(put)}`);
      }
    } finally {
      s3.destroy();
    }
  });
  await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, 6) }, 'SCOPE-ALL-NEW-BUCKETS', {}, { independentRuns: true });
}

export async function checkCopyBoundary(ctx: SuiteContext, fixture: GridFixture): Promise<void> {
  const outOfScope = outOfScopeOf(fixture);
  const token = await ctx.token({ object_storage: { permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: [fixture.inScope] } });
  const s3 = ctx.s3For(token);
  try {
    const source = `${outOfScope}/${fixture.key}`;
    const copy = await attempt(() => s3.send(new CopyObjectCommand({ Bucket: fixture.inScope, Key: `${ctx.settings.runPrefix}-copied`, CopySource: source })));
    if (copy.status !== 403) throw new RequirementViolation('SCOPE-COPY-BOUNDARY', `CopyObject from out-of-scope ${outOfScope} into ${fixture.inScope} answered ${describeOutcome(copy)}, expected 403`);
    const upload = await attempt(() => s3.send(new CreateMultipartUploadCommand({ Bucket: fixture.inScope, Key: `${ctx.settings.runPrefix}-copied-part` })));
    if (!upload.value?.UploadId) throw new Error(`object_rw could not start a multipart upload in scope: ${describeOutcome(upload)}`);
    const { UploadId } = upload.value;
    const part = await attempt(() =>
      s3.send(new UploadPartCopyCommand({ Bucket: fixture.inScope, Key: `${ctx.settings.runPrefix}-copied-part`, UploadId, PartNumber: 1, CopySource: source })),
    );
    if (part.status !== 403) throw new RequirementViolation('SCOPE-COPY-BOUNDARY', `UploadPartCopy from out-of-scope ${outOfScope} answered ${describeOutcome(part)}, expected 403`);
  } finally {
    s3.destroy();
  }
}

export async function observeAdminSpecific(ctx: SuiteContext, rec: CheckRecorder, fixture: GridFixture): Promise<void> {
  const outOfScope = outOfScopeOf(fixture);
  const observed: Record<string, unknown> = {};
  for (const level of ['admin_rw', 'admin_ro'] as const) {
    try {
      const token = await ctx.token({ object_storage: { permission_type: level, bucket_scope: 'specific', allowed_buckets: [fixture.inScope] } });
      const s3 = ctx.s3For(token);
      const inside = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: fixture.inScope })));
      const outside = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: outOfScope })));
      s3.destroy();
      // An error out of scope (a 5xx, no answer) shows neither that the scope holds nor that it does not.
      const outsideObserved = observedOf(outside);
      const scopeHolds = outsideObserved === 'error' ? 'error' : outsideObserved === 'refused';
      observed[level] = { accepted: true, inScope: describeOutcome(inside), outOfScope: describeOutcome(outside), scopeHolds };
    } catch (error) {
      if (!isRefusal(error)) throw error;
      observed[level] = { accepted: false, refusal: `${error.exchange.response.status} ${error.exchange.response.body.slice(0, 200)}` };
    }
  }
  rec.observe('SCOPE-ADMIN-SPECIFIC', observed, 'What the target does when an admin level is limited to specific buckets.');
}

export async function observeListBucketsView(ctx: SuiteContext, rec: CheckRecorder, fixture: GridFixture): Promise<void> {
  const outOfScope = outOfScopeOf(fixture);
  let token;
  try {
    token = await ctx.token({ object_storage: { permission_type: 'admin_ro', bucket_scope: 'specific', allowed_buckets: [fixture.inScope] } });
  } catch (error) {
    if (!isRefusal(error)) throw error;
    rec.observe('SCOPE-LISTBUCKETS-VIEW', { view: 'not-observable', reason: 'bucket-scoped admin tokens are refused' }, 'No bucket-scoped admin token could be made.');
    return;
  }
  const s3 = ctx.s3For(token);
  const listed = await attempt(() => s3.send(new ListBucketsCommand({})));
  s3.destroy();
  const names = (listed.value?.Buckets ?? []).map((b) => b.Name ?? '');
  const viewOf = (answer: { status: number; code?: string | null }, listing: string): string => {
    const seen = observedOf(answer);
    if (seen !== 'allowed') return seen;
    return listing.includes(outOfScope) ? 'all' : listing.includes(fixture.inScope) ? 'only-in-scope' : 'other';
  };
  const view = viewOf(listed, JSON.stringify(names));
  // S3 credentials (and pre-made keys given without one) have no Bearer token, and an S3-only run no REST API: then
  // the view is S3's alone.
  let restSeen: { view: string; status: number } | null = null;
  const api = ctx.restApi;
  if (token.bearerToken !== null && api !== null) {
    const rest = await httpRequest('GET', publicApiUrl(api, '/v1/object-storage/buckets'), { headers: { authorization: `Bearer ${token.bearerToken}` } });
    restSeen = { view: viewOf({ status: rest.response.status }, JSON.stringify(rest.json ?? '')), status: rest.response.status };
  }
  rec.observe(
    'SCOPE-LISTBUCKETS-VIEW',
    { s3: { view, status: listed.status, code: listed.code }, ...(restSeen ? { rest: restSeen } : {}) },
    `ListBuckets with an Admin Read only token scoped to one bucket: S3 ${view}${restSeen ? `, REST ${restSeen.view}` : ''}.`,
  );
}
