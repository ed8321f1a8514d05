import {
  CreateMultipartUploadCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  isAllowed,
  isS3OperationName,
  levelIncludes,
  levelRequirementId,
  permissionMatrix,
  permissionTypes,
  restRoutes,
  s3Operation,
  s3Operations,
  type PermissionType,
  type RestRouteRule,
  type JudgedS3OperationName,
  type S3OperationName,
} from '../../spec/index.js';
import { both, concurrencyOf, mapConcurrently } from '../target/concurrency.js';
import type { Evidence } from '../../reports/results-format.js';
import { noRestApiReason } from '../target/config.js';
import type { SuiteContext } from '../target/context.js';
import { DriverCannot, onlyApiTokensHave, type IssuedToken } from '../target/driver.js';
import { httpRequest, restErrorCode, toEvidence, type HttpExchange, publicApiUrl } from '../target/http.js';
import { UnexpectedResponse } from '../target/rest-driver.js';
import { attempt, credentialsOf, s3Evidence, type S3Outcome } from '../target/s3.js';
import { writesConfiguration, type ConfigurationBodies } from '../target/bucket-config.js';
import { corsConfiguration, describeOutcome, encryptionConfiguration, exercisers, lifecycleConfiguration, type ExerciseTarget } from './exercisers.js';
import { recordCheck } from './record.js';
import { defineCheck, NotApplicable, perSuite, RequirementViolation, type CheckRecorder } from './registry.js';
import { describeRestAnswer, harmlessCall, levelAllowsRoute, routeLabel, sendCall, type RouteCall } from './rest-routes.js';
import { verdictOf, verdictRules, type Verdict } from './verdict.js';

/** The permission grid (level x operation x scope), over S3 and over the REST API, and what follows from it. */

/**
 * The grids speak for each level's requirement and SCOPE-SPECIFIC. Their denied cells only support PERM-DENIED-CODE
 * (one grid sees one protocol; permissions.denied-code judges the codes of both) and the PostObject cells only
 * support PRESIGNED-POST (a level may post; the policy's conditions are auth.post-policy's).
 */
export const s3GridCheck = defineCheck({
  name: 'permissions.s3-grid',
  requirementIds: ['PERM-ADMIN-RW', 'PERM-ADMIN-RO', 'PERM-OBJECT-RW', 'PERM-OBJECT-RO', 'SCOPE-SPECIFIC', 'PRESIGNED-POST', 'PERM-DENIED-CODE'],
  supporting: ['PRESIGNED-POST', 'PERM-DENIED-CODE'],
  summary: 'Every level x every S3 operation of the matrix x in-scope/out-of-scope bucket: allowed cells succeed, denied cells are refused.',
  area: 'permissions',
  run: async (ctx, rec) => { const { fixture, tokens, observations } = await gridSetup(ctx, 's3'); await runS3Grid(ctx, notingUnrun(ctx, 's3', rec), fixture, tokens, observations); },
  summarize: false,
});
export const restGridCheck = defineCheck({
  name: 'permissions.rest-grid',
  requirementIds: ['PERM-ADMIN-RW', 'PERM-ADMIN-RO', 'PERM-OBJECT-RW', 'PERM-OBJECT-RO', 'SCOPE-SPECIFIC', 'PERM-DENIED-CODE'],
  supporting: ['PERM-DENIED-CODE'],
  summary: 'Every level x every Object Storage REST route x in-scope/out-of-scope bucket, allowed as the route\'s grant in spec says (the S3 operation it mirrors, or the admin configuration grant).',
  area: 'permissions',
  run: async (ctx, rec) => { const { fixture, tokens, observations } = await gridSetup(ctx, 'rest'); await runRestGrid(ctx, notingUnrun(ctx, 'rest', rec), fixture, tokens, observations); },
  summarize: false,
});
export const deniedCodeCheck = defineCheck({
  name: 'permissions.denied-code',
  requirementIds: ['PERM-DENIED-CODE'],
  summary: 'Every denial seen in the grids is 403 AccessDenied (S3) or 403 insufficient_scope with the required scope (REST); both protocols must have been judged.',
  area: 'permissions',
  dependsOn: [s3GridCheck, restGridCheck],
  run: async (ctx, rec) => {
    const observations = gridObservations(ctx, 'there are no denials to judge');
    assertDeniedCodes(observations);
    const unjudged = unjudgedDenials(observations, gridState(ctx).unrun);
    if (unjudged) rec.mainUnjudged(['PERM-DENIED-CODE'], unjudged);
  },
});
export const monotonicCheck = defineCheck({
  name: 'permissions.monotonic',
  requirementIds: ['PERM-MONOTONIC'],
  summary: 'A level that includes another never loses an operation the lower one was allowed in the grid.',
  area: 'permissions',
  dependsOn: [s3GridCheck, restGridCheck],
  run: async (ctx) => assertMonotonic(gridObservations(ctx, 'there is nothing to compare')),
});
export const billingCheck = defineCheck({
  name: 'permissions.billing',
  requirementIds: ['BILLING-SCOPE'],
  summary: 'Billing data (the eligibility decision; invoices, orders and balance where served) answers only to the Billing scope, and no token, however scoped, can change billing state.',
  area: 'permissions',
  run: (ctx, rec) => checkBillingScope(ctx, rec),
});

export type Scope = 'in_scope' | 'out_of_scope';

export interface GridObservation {
  readonly level: PermissionType;
  readonly operation: string;
  readonly scope: Scope;
  readonly expected: 'allow' | 'deny';
  readonly verdict: Verdict;
  readonly status: number;
  readonly code: string | null;
  /** REST only: required_scope of a 403. */
  readonly requiredScope?: string | null;
  readonly protocol: 's3' | 'rest';
  readonly expectedRequiredScope?: string;
  /** Which of the level's tokens made the call: in-scope cells on a bucket are run with both. */
  readonly tokenScope?: TokenScope;
}

export type TokenScope = 'specific' | 'all';

interface TokenVariant {
  readonly tokenScope: TokenScope;
  readonly token: IssuedToken;
}

const tokenScopeLabel: Record<TokenScope, string> = { specific: 'bucket-scoped token', all: 'all-buckets token' };

/**
 * The tokens a cell is exercised with. In-scope cells on a bucket run with BOTH the bucket-scoped and the all-buckets
 * token: a target may check the level on one path and skip it on the other. Out-of-scope cells need the bucket-scoped
 * token; service-level operations have no bucket, so the all-buckets token speaks for the level.
 */
function tokenVariants(levelTokens: LevelTokens, scope: Scope, bucketLevel: boolean): TokenVariant[] {
  const wanted: TokenScope[] = scope === 'out_of_scope' ? ['specific'] : bucketLevel ? ['specific', 'all'] : ['all'];
  return wanted.flatMap((tokenScope) => {
    const token = tokenScope === 'specific' ? levelTokens.specific : levelTokens.all;
    return token ? [{ tokenScope, token }] : [];
  });
}

/** One result of a cell per token variant, reduced to what the cell records: the first failing variant, else the last. */
function worstVariant<T extends { readonly verdict: Verdict; readonly tokenScope: TokenScope }>(results: readonly T[], expected: string): T {
  return results.find((r) => r.verdict !== expected) ?? results[results.length - 1]!;
}

/**
 * The record of a grid cell from the calls of its token variants: the first variant that did not answer as expected
 * (else the last) is the one reported; `describe` says what one call saw, `evidence` what the cell keeps.
 */
function judgedCell<T extends { readonly verdict: Verdict; readonly tokenScope: TokenScope }>(
  base: { readonly operation: string; readonly level: PermissionType; readonly scope: Scope; readonly expected: 'allow' | 'deny' },
  ids: readonly string[],
  results: readonly T[],
  describe: (result: T) => string,
  evidence: (reported: T, passed: boolean) => readonly Evidence[] | undefined,
): (rec: CheckRecorder) => void {
  const { operation, level, scope, expected } = base;
  const reported = worstVariant(results, expected);
  const detail = results.map((r) => `${describe(r)}${results.length > 1 ? ` (${tokenScopeLabel[r.tokenScope]})` : ''}`).join('; ');
  const passed = reported.verdict === expected;
  const message = passed ? undefined : cellMessage(ids, level, operation, scope, expected, `${reported.verdict} (${describe(reported)}) with the ${tokenScopeLabel[reported.tokenScope]}`);
  return (rec) => rec.cell({ ...base, observed: reported.verdict, detail }, ids, message, evidence(reported, passed), isAdminOutOfScope(level, scope));
}

export interface GridFixture {
  readonly inScope: string;
  /** A bucket of the run the bucket-scoped tokens do not cover; null when the run cannot make one (see outOfScopeMissing). */
  readonly outOfScope: string | null;
  /** Why there is no out-of-scope bucket, for the cells and checks that needed one; null when there is. */
  readonly outOfScopeMissing: string | null;
  readonly key: string;
  readonly uploadKey: string;
  readonly uploads: Readonly<Record<string, string>>;
}

/**
 * What an exerciser needs to run one operation as `token` against one of the fixture's buckets; `configuration`
 * carries the bodies of a configuration write's permit (`ctx.permitConfigurationWrite`).
 */
export function exerciseTarget(
  ctx: SuiteContext,
  s3: S3Client,
  token: IssuedToken,
  fixture: GridFixture,
  bucket: string,
  writeKey: string,
  configuration?: ConfigurationBodies,
): ExerciseTarget {
  return {
    s3,
    credentials: credentialsOf(token),
    endpoint: ctx.target,
    clock: ctx.clock,
    bucket,
    key: fixture.key,
    uploadKey: fixture.uploadKey,
    uploadId: fixture.uploads[bucket] ?? 'ibee-conformance-no-upload',
    writeKey,
    ...(configuration ? { configuration } : {}),
  };
}

export interface LevelTokens {
  readonly level: PermissionType;
  /** Scoped to the fixture's in-scope bucket; null when the target refused (admin levels) or the driver has none. */
  readonly specific: IssuedToken | null;
  readonly all: IssuedToken | null;
  readonly specificRefusal: string | null;
}

/** What the permission checks of one suite share: one fixture and one pair of tokens per level, and what the grids saw. */
const gridState = perSuite(() => ({
  prepared: null as Promise<{ fixture: GridFixture; tokens: LevelTokens[] }> | null,
  /** Per grid, in the order of its cells (the grids run at the same time; their observations are read S3 first). */
  observations: { s3: [] as GridObservation[], rest: [] as GridObservation[] },
  /** Per grid, why its first cell that could not be run was not (as the cell says). */
  unrun: {} as Partial<Record<GridObservation['protocol'], string>>,
}));

/** A grid's recorder that also keeps, for the checks judging its observations, why cells were not run. */
function notingUnrun(ctx: SuiteContext, protocol: GridObservation['protocol'], rec: CheckRecorder): CheckRecorder {
  const { unrun } = gridState(ctx);
  return {
    ...rec,
    cell(cell, requirementIds, ...rest) {
      if (cell.observed === 'not_run') unrun[protocol] ??= cell.detail ?? 'not run on this target';
      rec.cell(cell, requirementIds, ...rest);
    },
  };
}

const protocolLabel: Record<GridObservation['protocol'], string> = { s3: 'S3', rest: 'REST' };

/**
 * PERM-DENIED-CODE names the denial of both protocols: judged on one only, its main statement was not. Says why, or
 * null when both grids saw denials to judge.
 */
export function unjudgedDenials(observations: readonly GridObservation[], unrun: Partial<Record<GridObservation['protocol'], string>>): string | null {
  const missing = (['s3', 'rest'] as const).filter(
    (protocol) => !observations.some((o) => o.protocol === protocol && o.expected === 'deny' && o.verdict === 'deny' && !isAdminOutOfScope(o.level, o.scope)),
  );
  if (missing.length === 0) return null;
  return missing
    .map((protocol) => {
      const ran = observations.some((o) => o.protocol === protocol);
      const why = ran ? 'no request it should refuse was refused (see the level requirements)' : (unrun[protocol] ?? `the ${protocolLabel[protocol]} grid did not run`);
      return `no ${protocolLabel[protocol]} denial was judged: ${why}`;
    })
    .join('; ');
}

function gridSetup(ctx: SuiteContext, protocol: GridObservation['protocol']): Promise<{ fixture: GridFixture; tokens: LevelTokens[]; observations: GridObservation[] }> {
  const state = gridState(ctx);
  state.prepared ??= (async () => {
    // With pre-made credentials, the bucket-scoped tokens decide which bucket is in scope.
    const fixture = await prepareGridFixture(ctx, await credentialsScopedBucket(ctx));
    const tokens = await mapConcurrently(permissionTypes, concurrencyOf(ctx.settings), (level) => obtainLevelTokens(ctx, level, fixture.inScope));
    return { fixture, tokens };
  })();
  return state.prepared.then((prepared) => ({ ...prepared, observations: state.observations[protocol] }));
}

/** The grids' observations, the S3 grid's first; not applicable, saying `why`, when the grids did not run. */
function gridObservations(ctx: SuiteContext, why: string): readonly GridObservation[] {
  const { s3, rest } = gridState(ctx).observations;
  const observations = [...s3, ...rest];
  if (observations.length === 0) throw new NotApplicable(`the grids did not run, so ${why}`);
  return observations;
}

/**
 * Two buckets set up alike (an object, CORS, lifecycle, encryption, an open multipart upload): the in-scope one (a
 * new bucket of the run, or the bucket pre-made keys are limited to) and a new out-of-scope one, each by a key that
 * may write there (the fixture admin, or a pre-made key limited to the bucket). Without a fixture admin the run
 * cannot make the out-of-scope bucket: the cells and checks that need it are then not applicable, with the reason.
 * A bucket the run did not create keeps its own configuration: a Get there answers it, or 404 once authorized, which
 * counts the same.
 */
export async function prepareGridFixture(ctx: SuiteContext, inScopeBucket?: string): Promise<GridFixture> {
  const concurrency = concurrencyOf(ctx.settings);
  if (inScopeBucket) ctx.useForeignBucket(inScopeBucket);
  const outOfScopeBucket = async (): Promise<{ outOfScope: string | null; outOfScopeMissing: string | null }> => {
    try {
      return { outOfScope: await ctx.createBucket(ctx.name('out')), outOfScopeMissing: null };
    } catch (error) {
      if (!(error instanceof DriverCannot)) throw error;
      return { outOfScope: null, outOfScopeMissing: `no bucket outside the bucket-scoped keys' scope: ${error.message}` };
    }
  };
  const [inScope, { outOfScope, outOfScopeMissing }] = await both(concurrency, async () => inScopeBucket ?? (await ctx.createBucket(ctx.name('in'))), outOfScopeBucket);
  const key = `${ctx.settings.runPrefix}-fixture/object.txt`;
  const uploadKey = `${ctx.settings.runPrefix}-fixture/upload.bin`;
  const uploads: Record<string, string> = {};
  // Both buckets at once, and in each the object, the configuration and the upload at once (none needs another).
  await mapConcurrently(outOfScope === null ? [inScope] : [inScope, outOfScope], concurrency, async (bucket) => {
    const s3 = await ctx.writerFor(bucket);
    const steps: (() => Promise<void>)[] = [
      async () => {
        const put = await attempt(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'grid fixture object' })));
        if (put.status >= 300) throw new Error(`fixture: PutObject in ${bucket} answered ${describeOutcome(put)}`);
      },
    ];
    // Configuration is best effort: a Get on a bucket without it answers 404 after authorization, which still counts.
    if (ctx.cleanup.owns(bucket)) {
      steps.push(
        async () => void (await attempt(() => s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: corsConfiguration })))),
        async () => void (await attempt(() => s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: lifecycleConfiguration })))),
        async () => void (await attempt(() => s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: encryptionConfiguration })))),
      );
    }
    steps.push(async () => {
      const upload = await attempt(() => s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: uploadKey })));
      uploads[bucket] = upload.value?.UploadId ?? 'ibee-conformance-no-upload';
    });
    await mapConcurrently(steps, concurrency, (step) => step());
  });
  return { inScope, outOfScope, outOfScopeMissing, key, uploadKey, uploads };
}

/**
 * With pre-made credentials (a driver that cannot create tokens), the bucket their bucket-scoped tokens are limited
 * to is the in-scope bucket of the fixtures; undefined otherwise (a fresh bucket is made).
 */
export async function credentialsScopedBucket(ctx: SuiteContext): Promise<string | undefined> {
  if (ctx.driver.capabilities.create) return undefined;
  for (const level of ['object_ro', 'object_rw', 'admin_ro', 'admin_rw'] as const) {
    const scoped = await ctx.token({ object_storage: { permission_type: level, bucket_scope: 'specific' } }).catch(() => null);
    const bucket = scoped?.objectStorage?.allowedBuckets[0];
    if (bucket) return bucket;
  }
  return undefined;
}

/** A level's tokens: one scoped to the in-scope bucket only, one on all buckets. */
export async function obtainLevelTokens(ctx: SuiteContext, level: PermissionType, inScope: string): Promise<LevelTokens> {
  let specific: IssuedToken | null = null;
  let specificRefusal: string | null = null;
  try {
    specific = await ctx.token({ object_storage: { permission_type: level, bucket_scope: 'specific', allowed_buckets: [inScope] } });
  } catch (error) {
    // A refusal of the scope (admin levels may be refused it) leaves cells not run; a 5xx is an error, not a refusal.
    const refused = error instanceof UnexpectedResponse && error.exchange.response.status >= 400 && error.exchange.response.status < 500;
    if (!refused && !(error instanceof DriverCannot)) throw error;
    specificRefusal = (error as Error).message;
  }
  let all: IssuedToken | null = null;
  try {
    all = await ctx.token({ object_storage: { permission_type: level, bucket_scope: 'all' } });
  } catch (error) {
    if (!(error instanceof DriverCannot)) throw error;
  }
  return { level, specific, all, specificRefusal };
}

/**
 * Whether admin levels may be bucket-scoped at all is open (SCOPE-ADMIN-SPECIFIC, INFO): a target that accepted the
 * scope is expected to honour it, but an admin out-of-scope cell that is allowed is recorded as observed, not failed.
 */
function isAdminOutOfScope(level: PermissionType, scope: Scope): boolean {
  return scope === 'out_of_scope' && level.startsWith('admin');
}

function cellRequirements(level: PermissionType, operation: string, scope: Scope, expected: 'allow' | 'deny'): string[] {
  if (isAdminOutOfScope(level, scope)) return ['SCOPE-ADMIN-SPECIFIC'];
  const cell = permissionMatrix.find((c) => c.level === level && c.operation === operation);
  const ids = [...(cell?.requirementIds ?? [levelRequirementId[level]])];
  if (scope === 'out_of_scope') ids.push('SCOPE-SPECIFIC');
  // A cell that must be refused supports PERM-DENIED-CODE: an answer other than a refusal breaks it too.
  if (expected === 'deny') ids.push('PERM-DENIED-CODE');
  return ids;
}

function cellMessage(ids: readonly string[], level: PermissionType, operation: string, scope: Scope, expected: string, observed: string): string {
  const primary = scope === 'out_of_scope' && expected === 'deny' ? 'SCOPE-SPECIFIC' : ids[0];
  return `[${primary}] ${level} ${operation} on ${scope === 'in_scope' ? 'an in-scope' : 'an out-of-scope'} bucket: expected ${expected}, observed ${observed}`;
}

/** A configuration write the suite may not send to a bucket (`ctx.permitConfigurationWrite`), and why. */
class PermitRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** What one cell of a grid saw: its observations, and how it is recorded. */
interface CellResult {
  readonly observations: readonly GridObservation[];
  readonly record: (rec: CheckRecorder) => void;
}

/**
 * Runs cells `--concurrency` at a time (they change nothing another cell depends on: exercisers leave the fixture as
 * it was) and records them, and their observations, in cell order, as one after the other would.
 */
async function runCells<Cell>(ctx: SuiteContext, rec: CheckRecorder, observations: GridObservation[], cells: readonly Cell[], run: (cell: Cell) => Promise<CellResult>): Promise<void> {
  await mapConcurrently(cells, concurrencyOf(ctx.settings), run, (result) => {
    observations.push(...result.observations);
    result.record(rec);
  });
}

/** Runs the S3 grid for the given levels, recording one cell per level x operation x scope. */
export async function runS3Grid(
  ctx: SuiteContext,
  rec: CheckRecorder,
  fixture: GridFixture,
  tokens: readonly LevelTokens[],
  observations: GridObservation[],
  operations: readonly JudgedS3OperationName[] = s3Operations.map((rule) => rule.operation),
): Promise<void> {
  const cells = tokens.flatMap((levelTokens) =>
    operations.flatMap((operation) => {
      const scopes: Scope[] = s3Operation(operation).target === 'service' ? ['in_scope'] : ['in_scope', 'out_of_scope'];
      return scopes.map((scope) => ({ levelTokens, operation, scope }));
    }),
  );
  await runCells(ctx, rec, observations, cells, ({ levelTokens, operation, scope }) => runS3Cell(ctx, fixture, levelTokens, operation, scope));
}

/** One cell of the S3 grid: the operation by the level's tokens on the in-scope or the out-of-scope bucket. */
async function runS3Cell(ctx: SuiteContext, fixture: GridFixture, levelTokens: LevelTokens, operation: JudgedS3OperationName, scope: Scope): Promise<CellResult> {
  const { level } = levelTokens;
  const rule = s3Operation(operation);
  const exercise = exercisers[operation];
  const expected = scope === 'out_of_scope' ? 'deny' : isAllowed(level, operation) ? 'allow' : 'deny';
  const ids = cellRequirements(level, operation, scope, expected);
  const variants = tokenVariants(levelTokens, scope, rule.target !== 'service');
  const base = { operation, level, scope, expected } as const;
  const bucket = scope === 'in_scope' ? fixture.inScope : fixture.outOfScope;
  const notRun = (detail: string, observations: readonly GridObservation[] = []): CellResult => ({
    observations,
    record: (rec) => rec.cell({ ...base, observed: 'not_run', detail }, ids),
  });
  if (!exercise || variants.length === 0 || bucket === null) {
    return notRun(
      !exercise
        ? `no exerciser for ${operation}`
        : variants.length === 0
          ? `no ${scope === 'out_of_scope' ? 'bucket-scoped' : ''} ${level} token: ${levelTokens.specificRefusal ?? 'the driver has none'}`
          : (fixture.outOfScopeMissing ?? 'no out-of-scope bucket'),
    );
  }
  const observations: GridObservation[] = [];
  const results: { tokenScope: TokenScope; verdict: Verdict; outcome: S3Outcome }[] = [];
  try {
    // The token variants of a cell go at the same time too; what they saw is kept in their order.
    await mapConcurrently(
      variants,
      concurrencyOf(ctx.settings),
      async ({ tokenScope, token }) => {
        // Before each configuration write: on a bucket the run did not create, what it changes is journaled first.
        const permit = writesConfiguration(operation) ? await ctx.permitConfigurationWrite(bucket, operation) : null;
        if (permit && !permit.granted) throw new PermitRefused(permit.reason);
        const s3 = ctx.s3For(token);
        try {
          const outcome = await exercise(exerciseTarget(ctx, s3, token, fixture, bucket, `${ctx.settings.runPrefix}-grid/${level}/${operation}/${ctx.name('k')}`, permit?.bodies));
          return { tokenScope, verdict: verdictOf(outcome, verdictRules.s3Grid), outcome };
        } finally {
          s3.destroy();
        }
      },
      (result) => {
        observations.push({ level, operation, scope, expected, verdict: result.verdict, status: result.outcome.status, code: result.outcome.code, protocol: 's3', tokenScope: result.tokenScope });
        results.push(result);
      },
    );
  } catch (error) {
    // A write the suite may not send is not sent with any token: the cell is not run.
    if (error instanceof PermitRefused) return notRun(error.reason, observations);
    throw error;
  }
  return {
    observations,
    record: judgedCell(base, ids, results, (r) => describeOutcome(r.outcome), () =>
      // Every call of the cell, passed or not: what was sent, with which key, and what came back.
      results.map((r) => s3Evidence(operation, r.outcome, `${level} ${scope}, ${tokenScopeLabel[r.tokenScope]}: ${r.verdict}`)),
    ),
  };
}

/** The S3 operation a bucket route mirrors, whose matrix row names the cell's requirements; null for the other routes. */
function mirroredOperation(route: RestRouteRule): S3OperationName | null {
  return route.grant.kind === 'object-storage' && isS3OperationName(route.grant.mirrors) ? route.grant.mirrors : null;
}

/** One call of a route by one token on one of the fixture's buckets, that changes nothing whatever the answer. */
export function exerciseRestRoute(ctx: SuiteContext, route: RestRouteRule, bearer: string, bucket: string, call: RouteCall = harmlessCall(route, bucket)): Promise<HttpExchange> {
  return sendCall(ctx, call, bearer);
}

/** The `is_public` of buckets the run did not create, as read before the REST grid sends them a bucket update. */
const publicStates = perSuite(() => new Map<string, Promise<{ isPublic: boolean } | { reason: string }>>());

/**
 * The REST grid's call of a route on `bucket`. A configuration write to a bucket the run did not create, the bucket
 * update (`is_public`), carries the bucket's own `is_public`, read first with the fixture admin's Bearer token, so
 * that it changes nothing even where the target lets it through; `reason` says why the cell is not run when that
 * cannot be read (or the route is another configuration write, which the suite would not know how to undo).
 */
async function restGridCall(ctx: SuiteContext, route: RestRouteRule, bucket: string): Promise<{ call: RouteCall } | { reason: string }> {
  const call = harmlessCall(route, bucket);
  const writesConfig = route.grant.kind === 'object-storage' && route.grant.action === 'config.write' && route.bucketScoped;
  if (!writesConfig || ctx.cleanup.owns(bucket)) return { call };
  if (route.method !== 'PATCH') return { reason: `${routeLabel(route)} is not sent to a bucket the run did not create: the suite has no way to undo it` };
  const states = publicStates(ctx);
  let state = states.get(bucket);
  if (!state) {
    state = (async () => {
      const api = ctx.restApi;
      if (api === null) return { reason: noRestApiReason };
      const bearer = await ctx.adminBearer().catch(() => null);
      if (bearer === null) return { reason: `no admin Bearer token to read the is_public of ${bucket} first, so no bucket update is sent to it` };
      const read = await httpRequest('GET', publicApiUrl(api, `/v1/object-storage/buckets/${encodeURIComponent(bucket)}`), { headers: { authorization: `Bearer ${bearer}` } });
      const isPublic = (read.json as { is_public?: unknown } | undefined)?.is_public;
      if (read.response.status !== 200 || typeof isPublic !== 'boolean') {
        return { reason: `the is_public of ${bucket} could not be read first (${describeRestAnswer(read)}), so no bucket update is sent to it` };
      }
      return { isPublic };
    })();
    states.set(bucket, state);
  }
  const known = await state;
  return 'reason' in known ? known : { call: { ...call, json: { is_public: known.isPublic } } };
}

/**
 * Every Object Storage route of spec's restRoutes, level by level: a route is allowed exactly when the level holds
 * the action of the route's grant (the matrix row of the S3 operation it mirrors, or the admin grant
 * config.read/config.write of the bucket update and the credential routes).
 */
export async function runRestGrid(
  ctx: SuiteContext,
  rec: CheckRecorder,
  fixture: GridFixture,
  tokens: readonly LevelTokens[],
  observations: GridObservation[],
): Promise<void> {
  const storageRoutes = restRoutes.filter((route) => route.grant.kind === 'object-storage');
  // The REST grid judges a token's own Bearer token; S3 credentials have none, and an S3-only run has no REST API,
  // so then every cell is not run.
  const noBearer = ctx.restApi === null ? noRestApiReason : onlyApiTokensHave(ctx.driver, 'which have no Bearer token to call the REST API with');
  const cells = tokens.flatMap((levelTokens) =>
    storageRoutes.flatMap((route) => {
      const scopes: Scope[] = route.bucketScoped ? ['in_scope', 'out_of_scope'] : ['in_scope'];
      return scopes.map((scope) => ({ levelTokens, route, scope }));
    }),
  );
  await runCells(ctx, rec, observations, cells, ({ levelTokens, route, scope }) => runRestCell(ctx, fixture, levelTokens, route, scope, noBearer));
}

/** One cell of the REST grid: the route called by the level's tokens on the in-scope or the out-of-scope bucket. */
async function runRestCell(ctx: SuiteContext, fixture: GridFixture, levelTokens: LevelTokens, route: RestRouteRule, scope: Scope, noBearer: string | null): Promise<CellResult> {
  const { level } = levelTokens;
  const operation = `REST ${route.method} ${route.path}`;
  const expected = scope === 'out_of_scope' ? 'deny' : levelAllowsRoute(level, route) ? 'allow' : 'deny';
  const ids = cellRequirements(level, mirroredOperation(route) ?? operation, scope, expected);
  const variants = tokenVariants(levelTokens, scope, route.bucketScoped);
  const base = { operation, level, scope, expected } as const;
  const notRun = (detail: string): CellResult => ({ observations: [], record: (rec) => rec.cell({ ...base, observed: 'not_run', detail }, ids) });
  if (noBearer) return notRun(noBearer);
  if (variants.length === 0) return notRun(`no ${level} token: ${levelTokens.specificRefusal ?? 'the driver has none'}`);
  const bucket = scope === 'in_scope' ? fixture.inScope : fixture.outOfScope;
  if (bucket === null) return notRun(fixture.outOfScopeMissing ?? 'no out-of-scope bucket');
  // Pre-made keys may come without a Bearer token (the credentials file's is optional): those variants are not run.
  const withBearer = variants.flatMap(({ tokenScope, token }) => (token.bearerToken === null ? [] : [{ tokenScope, bearerToken: token.bearerToken }]));
  if (withBearer.length === 0) {
    return notRun(`the ${ctx.driver.name} driver's ${level} ${variants.map((v) => tokenScopeLabel[v.tokenScope]).join(' and ')} has no Bearer token`);
  }
  const gridCall = await restGridCall(ctx, route, bucket);
  if ('reason' in gridCall) return notRun(gridCall.reason);
  const observations: GridObservation[] = [];
  const results: { tokenScope: TokenScope; verdict: Verdict; exchange: HttpExchange; detail: string }[] = [];
  const exchanges = await mapConcurrently(withBearer, concurrencyOf(ctx.settings), ({ bearerToken }) => exerciseRestRoute(ctx, route, bearerToken, bucket, gridCall.call));
  for (const [i, { tokenScope }] of withBearer.entries()) {
    const exchange = exchanges[i]!;
    const verdict = verdictOf({ status: exchange.response.status }, verdictRules.restGrid);
    const json = exchange.json as { required_scope?: unknown } | undefined;
    observations.push({
      level,
      operation,
      scope,
      expected,
      verdict,
      status: exchange.response.status,
      code: restErrorCode(exchange) ?? null,
      requiredScope: typeof json?.required_scope === 'string' ? json.required_scope : null,
      protocol: 'rest',
      tokenScope,
      ...(scope === 'in_scope' ? { expectedRequiredScope: route.requiredScope } : {}),
    });
    results.push({ tokenScope, verdict, exchange, detail: describeRestAnswer(exchange) });
  }
  return {
    observations,
    record: judgedCell(base, ids, results, (r) => r.detail, (reported, passed) => (passed ? undefined : [toEvidence(reported.exchange)])),
  };
}

/** PERM-DENIED-CODE over the observations of both grids. */
export function assertDeniedCodes(observations: readonly GridObservation[]): void {
  const wrong = observations.filter((o) => {
    if (o.verdict !== 'deny' || o.expected !== 'deny') return false;
    if (isAdminOutOfScope(o.level, o.scope)) return false;
    if (o.protocol === 's3') {
      const cell = permissionMatrix.find((c) => c.level === o.level && c.operation === o.operation);
      const status = cell?.deniedStatus ?? 403;
      // HEAD responses carry no body, so only the status can be judged.
      return !(o.status === status && (o.code === (cell?.deniedCode ?? 'AccessDenied') || o.operation.startsWith('Head')));
    }
    if (o.status !== 403 || o.code !== 'insufficient_scope') return true;
    // A level denial names the scope the route needs; a scope denial may name any.
    return o.expectedRequiredScope !== undefined && o.requiredScope !== o.expectedRequiredScope;
  });
  if (wrong.length > 0) {
    const list = wrong
      .slice(0, 10)
      .map((o) => `${o.level} ${o.operation} ${o.scope}: ${o.status} ${o.code ?? ''}${o.protocol === 'rest' ? ` required_scope=${o.requiredScope}` : ''}`)
      .join('; ');
    throw new RequirementViolation('PERM-DENIED-CODE', `${wrong.length} denial(s) without the documented status/code: ${list}`);
  }
}

/** PERM-MONOTONIC: for every pair of levels where one includes the other by the table, nothing the lower got is lost. */
export function assertMonotonic(observations: readonly GridObservation[]): void {
  // Compared token variant to token variant: a level's all-buckets call against the other level's all-buckets call.
  const keyOf = (o: GridObservation, level: PermissionType) => `${o.protocol}|${level}|${o.operation}|${o.scope}|${o.tokenScope ?? ''}`;
  const verdictOf = new Map(observations.map((o) => [keyOf(o, o.level), o.verdict]));
  const violations: string[] = [];
  for (const higher of permissionTypes) {
    for (const lower of permissionTypes) {
      if (higher === lower || !levelIncludes(higher, lower)) continue;
      for (const o of observations) {
        if (o.level !== lower || o.verdict !== 'allow') continue;
        const higherVerdict = verdictOf.get(keyOf(o, higher));
        if (higherVerdict !== undefined && higherVerdict !== 'allow') {
          violations.push(`${lower} may ${o.operation} (${o.scope}${o.tokenScope ? `, ${tokenScopeLabel[o.tokenScope]}` : ''}) but ${higher} got ${higherVerdict}`);
        }
      }
    }
  }
  if (violations.length > 0) throw new RequirementViolation('PERM-MONOTONIC', `${violations.length} violation(s): ${violations.slice(0, 10).join('; ')}`);
}

/** Methods that would change billing state, tried on every billing route besides the one it serves. */
const writeMethods = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The eligibility decision's fields that say what the workspace's billing state is. */
function billingState(exchange: HttpExchange): string {
  const body = exchange.json as Record<string, unknown> | undefined;
  return JSON.stringify(['allowed', 'reason', 'billing_state', 'service_enforcement_state'].map((field) => body?.[field] ?? null));
}

/**
 * BILLING-SCOPE on IBEE's one billing route (POST resource-eligibility, a read) and on the mock's invoice, order and
 * balance reads where the capability probe found them: a token without the Billing scope is refused (403) and one
 * with it answered; no other method changes anything, for the Billing token nor for one with every scope, and the
 * decision reads the same after the attempts.
 */
export async function checkBillingScope(ctx: SuiteContext, rec: CheckRecorder): Promise<void> {
  const api = ctx.rest();
  const lacking = onlyApiTokensHave(ctx.driver, 'which have no Billing scope and no Bearer token');
  if (lacking) throw new NotApplicable(lacking);
  const storageOnly = await ctx.admin();
  const billingOnly = await ctx.token({ billing: { permission_type: 'read_only' } });
  // The widest token a driver can give: every Object Storage right and Billing.
  const everything = await ctx
    .token({ object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' }, billing: { permission_type: 'read_only' } })
    .then((token) => (token.bearerToken === null ? null : token))
    .catch((error: unknown) => {
      if (error instanceof DriverCannot) return null;
      throw error;
    });
  const routes = restRoutes.filter((route) => route.grant.kind === 'billing' && (!route.mockOnly || ctx.capabilities.billingReadRoutes.includes(route.path)));
  const skipped = restRoutes.filter((route) => route.grant.kind === 'billing' && !routes.includes(route));
  if (skipped.length > 0) {
    recordCheck(
      {
        check: billingCheck.name,
        requirementIds: ['BILLING-SCOPE'],
        status: 'not_applicable',
        reason: `${skipped.map(routeLabel).join(', ')} not judged: ${ctx.capabilities.billingReadRoutesReason ?? 'not served by the target'}`,
      },
      ctx.settings.checksFile,
    );
  }
  const eligibility = restRoutes.find((route) => route.grant.kind === 'billing' && !route.mockOnly)!;
  const bearerOf = (token: IssuedToken): string => {
    if (token.bearerToken === null) throw new DriverCannot(`the ${ctx.driver.name} driver's ${token === storageOnly ? 'admin_rw / all' : 'billing'} token has no Bearer token`);
    return token.bearerToken;
  };
  // Pre-made tokens may lack a Bearer token: found out before anything is judged.
  for (const token of [storageOnly, billingOnly]) bearerOf(token);
  const decide = (token: IssuedToken) => sendCall(ctx, harmlessCall(eligibility, 'ibee-conformance-none'), bearerOf(token));
  const before = await decide(billingOnly);
  rec.evidence(toEvidence(before));

  for (const route of routes) {
    const call = harmlessCall(route, 'ibee-conformance-none');
    const refused = await sendCall(ctx, call, bearerOf(storageOnly));
    if (refused.response.status !== 403) {
      throw new RequirementViolation('BILLING-SCOPE', `${routeLabel(route)} with an Object Storage-only token answered ${describeRestAnswer(refused)}, expected 403`, [toEvidence(refused)]);
    }
    const allowed = await sendCall(ctx, call, bearerOf(billingOnly));
    if (allowed.response.status !== 200) {
      throw new RequirementViolation('BILLING-SCOPE', `${routeLabel(route)} with a Billing read-only token answered ${describeRestAnswer(allowed)}, expected 200`, [toEvidence(allowed)]);
    }
    for (const token of [billingOnly, everything]) {
      if (!token) continue;
      const who = token === billingOnly ? 'a Billing read-only token' : 'a token with every scope';
      for (const method of writeMethods.filter((m) => m !== route.method)) {
        const write = await sendCall(ctx, { route: { ...route, method }, path: call.path, json: {} }, bearerOf(token));
        if (write.response.status < 400) {
          throw new RequirementViolation('BILLING-SCOPE', `${method} ${route.path} with ${who} answered ${write.response.status}: nothing may change billing state`, [toEvidence(write)]);
        }
      }
    }
  }
  const after = await decide(billingOnly);
  if (before.response.status === 200 && after.response.status === 200 && billingState(before) !== billingState(after)) {
    throw new RequirementViolation('BILLING-SCOPE', `the billing decision changed from ${billingState(before)} to ${billingState(after)} after the refused writes`, [toEvidence(before), toEvidence(after)]);
  }
  const storageRoute = await httpRequest('GET', publicApiUrl(api, '/v1/object-storage/buckets'), { headers: { authorization: `Bearer ${billingOnly.bearerToken}` } });
  if (storageRoute.response.status !== 403) {
    throw new RequirementViolation('BILLING-SCOPE', `a Billing-only token listing buckets answered ${storageRoute.response.status}, expected 403`, [toEvidence(storageRoute)]);
  }
}
