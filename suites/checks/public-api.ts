import { DeleteObjectCommand, GetBucketLocationCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { registerSecret } from '../../reports/redact.js';
import type { Evidence } from '../../reports/results-format.js';
import {
  billableSku,
  bucketListLimit,
  bucketNameRules,
  permissionTypes,
  publicBucketReads,
  restBucketRegions,
  restRoute,
  workspaceIdFormat,
  type PermissionType,
  type RestRouteRule,
} from '../../spec/index.js';
import { eligibilityRequest, type EligibilityRequest } from '../arbitraries/eligibilityRequest.js';
import { foreignWorkspaceId } from '../arbitraries/foreignWorkspaceId.js';
import { malformedWorkspaceId, type MalformedWorkspaceId } from '../arbitraries/malformedWorkspaceId.js';
import { concurrencyOf, mapConcurrently } from '../target/concurrency.js';
import type { SuiteContext } from '../target/context.js';
import { DriverCannot, type IssuedToken, type TokenSpec } from '../target/driver.js';
import { httpRequest, publicApiUrl, restErrorCode, toEvidence, type HttpExchange } from '../target/http.js';
import { attempt, rawFetch, s3Client, type S3Outcome } from '../target/s3.js';
import { describeOutcome } from './exercisers.js';
import { recordCheck } from './record.js';
import { assertProperty, defineCheck, perSuite, RequirementViolation, type CheckDefinition, type CheckRecorder } from './registry.js';
import { creatingCall, describeRestAnswer, harmlessCall, isCreate, levelAllowsRoute, routeLabel, sendCall, servedRoutes, type RouteCall } from './rest-routes.js';
import { verdictOf, verdictRules } from './verdict.js';

/**
 * IBEE's public REST API as its official clients use it (spec/public-api.ts): the workspace every call names,
 * buckets over REST and over S3, the scope names of refusals, deleting S3 credentials, and billing decisions.
 */

const area = 'public-api';

export const workspaceRequiredCheck = defineCheck({
  name: 'public-api.workspace-required',
  requirementIds: ['WORKSPACE-REQUIRED'],
  summary: 'Every public route refuses a missing, malformed or repeated workspace_id with 400 before any other check (the scope included), and a create so refused creates nothing.',
  area,
  run: (ctx) => checkWorkspaceRequired(ctx),
});
export const workspaceIsolationCheck = defineCheck({
  name: 'public-api.workspace-isolation',
  requirementIds: ['WORKSPACE-ISOLATION'],
  summary: 'Every public route refuses another workspace\'s id (403 workspace_not_allowed) without revealing or changing anything, and what the token sees names its own workspace.',
  area,
  run: (ctx, rec) => checkWorkspaceIsolation(ctx, rec),
});
export const bucketLifecycleCheck = defineCheck({
  name: 'public-api.bucket-lifecycle',
  requirementIds: ['REST-BUCKET-CONTRACT'],
  summary: 'A bucket created over REST (201, every field clients need) is the same bucket over S3 in its region; is_public opens anonymous reads only; PATCH flips it; DELETE is 409 while not empty, then 200 with JSON.',
  area,
  run: (ctx) => checkBucketLifecycle(ctx),
});
export const bucketPagingCheck = defineCheck({
  name: 'public-api.bucket-list-paging',
  requirementIds: ['REST-BUCKET-CONTRACT'],
  summary: 'Listing buckets page by page with any valid limit visits every bucket once (is_truncated, next_continuation_token), S3-made ones included; a limit out of range is refused.',
  area,
  runsAlone: 'it judges the list of all buckets, which the other checks change, and draws its limits from its length',
  run: (ctx) => checkBucketPaging(ctx),
});
export const scopeNamesCheck = defineCheck({
  name: 'public-api.scope-names',
  requirementIds: ['REST-SCOPE-NAMES'],
  summary: 'On every public route, a token without the route\'s scope or level gets 403 insufficient_scope naming the route\'s IBEE scope in required_scope.',
  area,
  run: (ctx) => checkScopeNames(ctx),
});
export const credentialDeleteCheck = defineCheck({
  name: 'public-api.credential-delete',
  requirementIds: ['CREDENTIAL-DELETE'],
  summary: 'Deleting an S3 credential answers 200 {success: true, message}; S3 refuses its key on the very next request and the credential reads as 404.',
  area,
  run: (ctx) => checkCredentialDelete(ctx),
});
export const billingEligibilityCheck = defineCheck({
  name: 'public-api.billing-eligibility',
  requirementIds: ['BILLING-ELIGIBILITY'],
  summary: 'POST /v1/billing/resource-eligibility answers any valid request of a Billing token with a complete decision, echoing the SKU and cost asked about, and refuses a token without the Billing scope.',
  area,
  run: (ctx) => checkBillingEligibility(ctx),
});

const bucketsPath = '/v1/object-storage/buckets';
const credentialsPath = '/v1/object-storage/credentials';
const eligibilityRoute = restRoute('POST', '/v1/billing/resource-eligibility');

// ---------------------------------------------------------------------------------------------------------------
// What the checks of one file share: tokens (made once) and a bucket holding an object.

const shared = perSuite(() => ({ tokens: new Map<string, Promise<RestToken>>(), bucket: null as Promise<string> | null }));

const billingOnly: Omit<TokenSpec, 'name'> = { billing: { permission_type: 'read_only' } };
const levelOnAllBuckets = (level: PermissionType): Omit<TokenSpec, 'name'> => ({ object_storage: { permission_type: level, bucket_scope: 'all' } });

/** A token that can call the REST API: one with a Bearer token. */
type RestToken = IssuedToken & { readonly bearerToken: string };

/**
 * The fixture admin as a REST caller: its own Bearer token, or, with the credentials driver (whose S3 credentials
 * have none), the API token that makes them.
 */
async function restAdmin(ctx: SuiteContext): Promise<RestToken> {
  return { ...(await ctx.admin()), bearerToken: await ctx.adminBearer() };
}

/** A token for `spec`, made once per file; admin_rw on all buckets is the fixture admin itself. */
function sharedToken(ctx: SuiteContext, spec: Omit<TokenSpec, 'name'>): Promise<RestToken> {
  if (spec.object_storage?.permission_type === 'admin_rw' && spec.object_storage.bucket_scope === 'all' && !spec.billing) return restAdmin(ctx);
  const key = JSON.stringify(spec);
  const { tokens } = shared(ctx);
  let token = tokens.get(key);
  if (!token) {
    token = ctx.token(spec).then((issued) => {
      const { bearerToken } = issued;
      if (bearerToken === null) throw new DriverCannot(`the ${ctx.driver.name} driver's keys have no Bearer token to call the REST API with`);
      return { ...issued, bearerToken };
    });
    tokens.set(key, token);
  }
  return token;
}

/** A shared token, or null with the reason in `missing` when the driver has none (the manual driver's file). */
async function optionalToken(ctx: SuiteContext, spec: Omit<TokenSpec, 'name'>, missing: string[]): Promise<RestToken | null> {
  try {
    return await sharedToken(ctx, spec);
  } catch (error) {
    if (!(error instanceof DriverCannot)) throw error;
    if (!missing.includes(error.message)) missing.push(error.message);
    return null;
  }
}

/** Records, for a check that ran without some tokens, which cases were left out and why. */
function recordMissing(ctx: SuiteContext, definition: CheckDefinition, missing: readonly string[], what: string): void {
  if (missing.length === 0) return;
  recordCheck(
    { check: definition.name, requirementIds: definition.requirementIds, status: 'not_applicable', reason: `${missing.join('; ')}: ${what} not run` },
    ctx.settings.checksFile,
  );
}

/** A bucket of the run holding one object: a route call on it that is wrongly let through deletes nothing. */
function fixtureBucket(ctx: SuiteContext): Promise<string> {
  const state = shared(ctx);
  state.bucket ??= (async () => {
    const bucket = await ctx.createBucket(ctx.name('api'));
    const put = await attempt(async () => (await ctx.adminS3()).send(new PutObjectCommand({ Bucket: bucket, Key: `${ctx.settings.runPrefix}-fixture/object.txt`, Body: 'public API fixture' })));
    if (put.status !== 200) throw new Error(`fixture: PutObject in ${bucket} answered ${describeOutcome(put)}`);
    return bucket;
  })();
  return state.bucket;
}

function bearer(token: RestToken): Record<string, string> {
  return { authorization: `Bearer ${token.bearerToken}` };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function bodyOf(exchange: HttpExchange): Record<string, unknown> | null {
  return isRecord(exchange.json) ? exchange.json : null;
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function isDateTime(value: unknown): boolean {
  return typeof value === 'string' && rfc3339.test(value) && Number.isFinite(Date.parse(value));
}

// ---------------------------------------------------------------------------------------------------------------
// WORKSPACE-REQUIRED, WORKSPACE-ISOLATION

/** Which token a workspace probe uses: one the route allows, or one without the route's scope. */
type TokenKind = 'allowed' | 'lacking';
const tokenKinds: readonly TokenKind[] = ['allowed', 'lacking'];

/** For each route (by label): a token it lets through (to show nothing else decides) and one without its scope. */
type RouteTokens = ReadonlyMap<string, { readonly route: RestRouteRule } & Readonly<Record<TokenKind, RestToken | null>>>;

/**
 * The tokens the workspace checks call each route with: one the route allows (the Billing token on billing routes,
 * else the fixture admin), and one without the route's scope (the other of the two), since the workspace is
 * checked before the scope. Without a Billing-only token (the manual driver's file) the admin stands for both on
 * billing routes, and that is recorded.
 */
async function workspaceRouteTokens(ctx: SuiteContext, definition: CheckDefinition): Promise<RouteTokens> {
  const missing: string[] = [];
  const admin = await restAdmin(ctx);
  const billing = await optionalToken(ctx, billingOnly, missing);
  recordMissing(ctx, definition, missing, 'calls with a Billing-only token were');
  return new Map(
    servedRoutes(ctx).map((route) => {
      const isBilling = route.grant.kind === 'billing';
      return [routeLabel(route), { route, allowed: isBilling ? billing : admin, lacking: isBilling ? admin : billing }];
    }),
  );
}

/** The token of that kind for a route, or the other kind when the driver has none; with a description. */
function pickToken(entry: { readonly route: RestRouteRule } & Readonly<Record<TokenKind, RestToken | null>>, kind: TokenKind): { token: RestToken; label: string } {
  const chosen = entry[kind] ? kind : kind === 'allowed' ? 'lacking' : 'allowed';
  const token = entry[chosen];
  if (!token) throw new Error(`no token for ${routeLabel(entry.route)}`);
  return { token, label: chosen === 'allowed' ? 'a token the route allows' : `a token without ${entry.route.requiredScope}` };
}

/** A name for a create that must not happen: a bucket name is journaled first, so that a wrong create is removed. */
function intendedName(ctx: SuiteContext, route: RestRouteRule): string {
  const name = ctx.name(route.path === bucketsPath ? 'nows' : 'cred');
  if (route.path === bucketsPath) ctx.cleanup.trackBucket(name);
  return name;
}

/**
 * After a refused create: nothing of that name exists. A bucket must be unknown to S3 (HeadBucket 404); a
 * credential must not be listed. Whatever a target wrongly made is removed before the violation is raised.
 */
async function assertNotCreated(ctx: SuiteContext, requirementId: string, call: RouteCall, name: string, exchange: HttpExchange, what: string): Promise<void> {
  if (call.route.path === bucketsPath) {
    const head = await attempt(async () => (await ctx.adminS3()).send(new HeadBucketCommand({ Bucket: name })));
    if (head.status === 404) {
      ctx.cleanup.bucketRemoved(name);
      return;
    }
    if (head.status === 200) {
      await ctx.removeBucket(name);
      throw new RequirementViolation(requirementId, `${what} answered ${describeRestAnswer(exchange)}, yet the bucket ${name} was created (HeadBucket 200)`, [toEvidence(exchange)]);
    }
    throw new Error(`HeadBucket of ${name} after a refused create answered ${describeOutcome(head)}`);
  }
  const admin = await restAdmin(ctx);
  const created = bodyOf(exchange)?.['access_key_id'];
  const listed = await httpRequest('GET', publicApiUrl(ctx.rest(), credentialsPath), { headers: bearer(admin) });
  const credentials = bodyOf(listed)?.['credentials'];
  if (listed.response.status !== 200 || !Array.isArray(credentials)) throw new Error(`listing S3 credentials answered ${describeRestAnswer(listed)}`);
  const made = credentials.filter(isRecord).filter((c) => c['name'] === name && typeof c['access_key_id'] === 'string');
  const ids = new Set([...made.map((c) => c['access_key_id'] as string), ...(typeof created === 'string' ? [created] : [])]);
  for (const id of ids) await httpRequest('DELETE', publicApiUrl(ctx.rest(), `${credentialsPath}/${encodeURIComponent(id)}`), { headers: bearer(admin) });
  if (ids.size > 0) {
    throw new RequirementViolation(requirementId, `${what} answered ${describeRestAnswer(exchange)}, yet it created the S3 credential ${name}`, [toEvidence(exchange), toEvidence(listed)]);
  }
}

/** Calls a route with the given workspace ids; a create is made real (valid body, fresh name) and then verified undone. */
async function callWithWorkspace(
  ctx: SuiteContext,
  route: RestRouteRule,
  token: RestToken,
  workspaceIds: readonly string[],
  judge: (exchange: HttpExchange) => RequirementViolation | null,
  requirementId: string,
  what: string,
): Promise<void> {
  const bucket = await fixtureBucket(ctx);
  const name = isCreate(route) ? intendedName(ctx, route) : null;
  const call = name === null ? harmlessCall(route, bucket) : creatingCall(route, bucket, name);
  const exchange = await sendCall(ctx, call, token.bearerToken, workspaceIds);
  const violation = judge(exchange);
  // A create must have changed nothing, even when the answer was right.
  if (name !== null) await assertNotCreated(ctx, requirementId, call, name, exchange, what);
  if (violation) throw violation;
}

function workspaceRefusal(requirementId: string, expectedCode: string, what: string) {
  return (exchange: HttpExchange): RequirementViolation | null =>
    exchange.response.status === 400 && restErrorCode(exchange) === expectedCode
      ? null
      : new RequirementViolation(requirementId, `${what} answered ${describeRestAnswer(exchange)}, expected 400 ${expectedCode}`, [toEvidence(exchange)]);
}

function describeValues(values: readonly string[]): string {
  return values.length === 0 ? 'no workspace_id' : values.map((v) => `workspace_id=${JSON.stringify(v)}`).join('&');
}

export async function checkWorkspaceRequired(ctx: SuiteContext): Promise<void> {
  // IBEE's public REST API is all this area judges: without one (an S3-only run) there is nothing to judge.
  ctx.rest();
  const routes = await workspaceRouteTokens(ctx, workspaceRequiredCheck);
  // Every route, with each kind of token, without workspace_id: `--concurrency` at a time (a create is made under a
  // name of its own), the first wrong answer in this order reported.
  const withoutWorkspace = [...routes.values()].flatMap((entry) => tokenKinds.filter((kind) => entry[kind]).map((kind) => ({ entry, kind })));
  await mapConcurrently(withoutWorkspace, concurrencyOf(ctx.settings), async ({ entry, kind }) => {
    const { token, label } = pickToken(entry, kind);
    const what = `${routeLabel(entry.route)} without workspace_id, with ${label},`;
    await callWithWorkspace(ctx, entry.route, token, [], workspaceRefusal('WORKSPACE-REQUIRED', 'workspace_id_required', what), 'WORKSPACE-REQUIRED', what);
  });
  const labels = [...routes.keys()];
  const cases = fc.record({ route: fc.constantFrom(...labels), token: fc.constantFrom(...tokenKinds), malformed: malformedWorkspaceId(ctx.rest().projectId) });
  const property = fc.asyncProperty(cases, async ({ route: label, token: kind, malformed }) => {
    const entry = routes.get(label)!;
    const { token, label: who } = pickToken(entry, kind);
    const what = `${label} with ${describeValues(malformed.values)} (${malformed.breaks}), with ${who},`;
    await callWithWorkspace(ctx, entry.route, token, malformed.values, workspaceRefusal('WORKSPACE-REQUIRED', 'invalid_workspace_id', what), 'WORKSPACE-REQUIRED', what);
  });
  // A repeated workspace_id on each create, whatever the seed: the case a lenient parser is likeliest to let by.
  const own = ctx.rest().projectId;
  const examples = [...routes.values()]
    .filter(({ route }) => isCreate(route))
    .map(({ route }) => [{ route: routeLabel(route), token: 'allowed' as TokenKind, malformed: { breaks: 'repeated', values: [own, own] } as MalformedWorkspaceId }] as [{ route: string; token: TokenKind; malformed: MalformedWorkspaceId }]);
  await assertProperty(property, ctx.settings, 'WORKSPACE-REQUIRED', { examples }, { independentRuns: true });
}

/** Keys of the data the public routes answer with: none of them may come back with another workspace's id. */
const dataKeys = ['buckets', 'credentials', 'invoices', 'orders', 'balance_minor', 'allowed', 'access_key_id', 'name', 'region'];

/** How IBEE's clients recognise another workspace's refusal (WorkspaceNotAllowedError): its code or its message. */
const notAllowedMessage = /does not match API token context|does not belong to workspace/i;

function foreignRefusal(what: string) {
  return (exchange: HttpExchange): RequirementViolation | null => {
    const body = bodyOf(exchange);
    const leaked = dataKeys.filter((key) => body !== null && key in body);
    if (leaked.length > 0) {
      return new RequirementViolation('WORKSPACE-ISOLATION', `${what} answered ${describeRestAnswer(exchange)} with data (${leaked.join(', ')})`, [toEvidence(exchange)]);
    }
    const { status } = exchange.response;
    const code = restErrorCode(exchange);
    const message = typeof body?.['message'] === 'string' ? body['message'] : typeof body?.['detail'] === 'string' ? body['detail'] : '';
    // Without a second workspace the id may also be one the target does not know: 400 invalid_workspace_id.
    const refused = (status === 403 && (code === 'workspace_not_allowed' || notAllowedMessage.test(message))) || (status === 400 && code === 'invalid_workspace_id');
    return refused
      ? null
      : new RequirementViolation('WORKSPACE-ISOLATION', `${what} answered ${describeRestAnswer(exchange)}, expected 403 workspace_not_allowed`, [toEvidence(exchange)]);
  };
}

export async function checkWorkspaceIsolation(ctx: SuiteContext, rec: CheckRecorder): Promise<void> {
  ctx.rest();
  const routes = await workspaceRouteTokens(ctx, workspaceIsolationCheck);
  const own = ctx.rest().projectId;
  const labels = [...routes.keys()];
  const cases = fc.record({ route: fc.constantFrom(...labels), token: fc.constantFrom(...tokenKinds), foreign: foreignWorkspaceId(own) });
  const property = fc.asyncProperty(cases, async ({ route: label, token: kind, foreign }) => {
    const entry = routes.get(label)!;
    const { token, label: who } = pickToken(entry, kind);
    const what = `${label} with workspace_id=${foreign} (not the token's ${own}), with ${who},`;
    await callWithWorkspace(ctx, entry.route, token, [foreign], foreignRefusal(what), 'WORKSPACE-ISOLATION', what);
  });
  // Every route is tried once with the id next to the token's, whatever the seed.
  const neighbour = workspaceIdFormat.value.pattern.test(own) ? String(BigInt(own) + 1n) : '1';
  const examples = labels.map((route) => [{ route, token: 'allowed' as TokenKind, foreign: neighbour }] as [{ route: string; token: TokenKind; foreign: string }]);
  await assertProperty(property, ctx.settings, 'WORKSPACE-ISOLATION', { examples }, { independentRuns: true });

  await assertOwnWorkspaceOnly(ctx, rec);
  // What a second workspace's own resources look like to this token cannot be shown from one workspace.
  recordCheck(
    {
      check: workspaceIsolationCheck.name,
      requirementIds: ['WORKSPACE-ISOLATION'],
      status: 'not_applicable',
      reason: `the run knows one workspace (${own}): that another workspace's buckets and credentials never show up needs a token of a second workspace, which neither the target settings nor the ${ctx.driver.name} driver provide`,
    },
    ctx.settings.checksFile,
  );
}

/** What the token sees in its own workspace names that workspace: every credential listed, and its billing decision. */
async function assertOwnWorkspaceOnly(ctx: SuiteContext, rec: CheckRecorder): Promise<void> {
  const own = ctx.rest().projectId;
  const admin = await restAdmin(ctx);
  const listed = await httpRequest('GET', publicApiUrl(ctx.rest(), credentialsPath), { headers: bearer(admin) });
  rec.evidence(toEvidence(listed));
  const credentials = bodyOf(listed)?.['credentials'];
  if (listed.response.status === 200 && Array.isArray(credentials)) {
    const foreign = credentials.filter(isRecord).filter((c) => c['workspace_id'] !== undefined && String(c['workspace_id']) !== own);
    if (foreign.length > 0) {
      throw new RequirementViolation('WORKSPACE-ISOLATION', `the credential list of workspace ${own} holds ${foreign.length} credential(s) of workspace(s) ${[...new Set(foreign.map((c) => String(c['workspace_id'])))].join(', ')}`, [toEvidence(listed)]);
    }
  }
  const missing: string[] = [];
  const billing = await optionalToken(ctx, billingOnly, missing);
  if (!billing) return;
  const decision = await httpRequest('POST', publicApiUrl(ctx.rest(), eligibilityRoute.path), { headers: bearer(billing), json: {} });
  const workspace = bodyOf(decision)?.['workspace_id'];
  if (decision.response.status === 200 && workspace !== undefined && String(workspace) !== own) {
    throw new RequirementViolation('WORKSPACE-ISOLATION', `the billing decision for workspace ${own} is workspace ${String(workspace)}'s`, [toEvidence(decision)]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// REST-BUCKET-CONTRACT

type FieldRule = 'string' | 'boolean' | 'count' | 'date-time';

/**
 * The bucket fields IBEE's clients read: Python SDK 0.4 requires name, is_public and bucket_lock_enabled, the
 * Terraform provider region (create, get, patch) and object_count and total_size before a delete; the SDKs' models
 * and the provider read status and the two dates.
 */
const bucketFields: Readonly<Record<string, FieldRule>> = {
  name: 'string',
  is_public: 'boolean',
  region: 'string',
  bucket_lock_enabled: 'boolean',
  object_count: 'count',
  total_size: 'count',
  status: 'string',
  created_at: 'date-time',
  updated_at: 'date-time',
};
/** The fields of a bucket list item the Python SDK requires. */
const listItemFields = ['name', 'is_public', 'bucket_lock_enabled'] as const;

function fieldProblem(value: unknown, rule: FieldRule): string | null {
  if (value === undefined) return 'missing';
  switch (rule) {
    case 'string':
      return typeof value === 'string' && value.length > 0 ? null : `${JSON.stringify(value)} is not a non-empty string`;
    case 'boolean':
      return typeof value === 'boolean' ? null : `${JSON.stringify(value)} is not a boolean`;
    case 'count':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? null : `${JSON.stringify(value)} is not a count`;
    case 'date-time':
      return isDateTime(value) ? null : `${JSON.stringify(value)} is not an RFC 3339 date-time`;
  }
}

/** What is wrong with a bucket object: missing or mistyped fields, or values other than `expected`. */
function bucketProblems(body: unknown, expected: Readonly<Record<string, unknown>>, fields: readonly string[] = Object.keys(bucketFields)): string[] {
  if (!isRecord(body)) return ['the body is not a JSON object'];
  const problems: string[] = [];
  for (const field of fields) {
    const problem = fieldProblem(body[field], bucketFields[field]!);
    if (problem) problems.push(`${field}: ${problem}`);
  }
  for (const [field, value] of Object.entries(expected)) {
    if (body[field] !== undefined && body[field] !== value) problems.push(`${field} is ${JSON.stringify(body[field])}, expected ${JSON.stringify(value)}`);
  }
  return problems;
}

function assertBucket(exchange: HttpExchange, what: string, status: number, expected: Readonly<Record<string, unknown>>): void {
  const problems = exchange.response.status === status ? bucketProblems(exchange.json, expected) : [];
  if (exchange.response.status !== status || problems.length > 0) {
    const detail = exchange.response.status !== status ? `answered ${describeRestAnswer(exchange)}, expected ${status}` : `answered a bucket with ${problems.join('; ')}`;
    throw new RequirementViolation('REST-BUCKET-CONTRACT', `${what} ${detail}`, [toEvidence(exchange)]);
  }
}

/** Tails for bucket names: the run's unique stem, then letters, digits and hyphens, up to the length limit. */
function bucketTail(): fc.Arbitrary<string> {
  const inner = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'.split(''));
  const edge = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
  return fc.tuple(fc.array(inner, { maxLength: 30 }), edge).map(([middle, last]) => `${middle.join('')}${last}`);
}

function uniqueBucketName(ctx: SuiteContext, tail: string): string {
  const stem = ctx.name('rb');
  return `${stem}-${tail}`.slice(0, bucketNameRules.value.maxLength).replace(/-+$/, '');
}

/** S3 requests without any credentials, each with the operation of spec's matrix it is. */
const anonymousRequests = [
  { operation: 'GetObject', method: 'GET', onObject: true },
  { operation: 'HeadObject', method: 'HEAD', onObject: true },
  { operation: 'PutObject', method: 'PUT', onObject: true },
  { operation: 'DeleteObject', method: 'DELETE', onObject: true },
  { operation: 'ListObjectsV2', method: 'GET', onObject: false },
] as const;

/** Anonymous S3 requests on a bucket: on a public one spec's public reads succeed and nothing else does; on a private one nothing does. */
async function assertAnonymousAccess(ctx: SuiteContext, bucket: string, key: string, body: string, isPublic: boolean, when: string): Promise<void> {
  for (const request of anonymousRequests) {
    const url = `${ctx.target.s3Endpoint}/${bucket}${request.onObject ? `/${key.split('/').map(encodeURIComponent).join('/')}` : '?list-type=2'}`;
    const response = await rawFetch(url, { method: request.method, ...(request.method === 'PUT' ? { body: 'anonymous write' } : {}) });
    const allowed = isPublic && (publicBucketReads.operations as readonly string[]).includes(request.operation);
    const verdict = verdictOf(response, verdictRules.anyRefusal);
    const evidence: Evidence[] = [{ request: { method: request.method, url }, response: { status: response.status, body: response.body.slice(0, 500) } }];
    if (allowed && (response.status !== 200 || (request.method === 'GET' && response.body !== body))) {
      throw new RequirementViolation('REST-BUCKET-CONTRACT', `anonymous ${request.operation} on a public bucket ${when} answered ${response.status}${response.status === 200 ? ' with another body' : ''}, expected 200 with the object`, evidence);
    }
    if (!allowed && verdict !== 'deny') {
      throw new RequirementViolation(
        'REST-BUCKET-CONTRACT',
        `anonymous ${request.operation} on a ${isPublic ? 'public' : 'private'} bucket ${when} answered ${response.status}${response.code ? ` ${response.code}` : ''}, expected a refusal`,
        evidence,
      );
    }
  }
}

const maxLifecycleRuns = 5;

export async function checkBucketLifecycle(ctx: SuiteContext): Promise<void> {
  ctx.rest();
  const admin = await restAdmin(ctx);
  const s3 = await ctx.adminS3();
  const headers = bearer(admin);
  const bucketUrl = (name: string) => publicApiUrl(ctx.rest(), `${bucketsPath}/${encodeURIComponent(name)}`);
  const property = fc.asyncProperty(bucketTail(), fc.constantFrom(...restBucketRegions.value.regions), fc.boolean(), async (tail, region, isPublic) => {
    const name = uniqueBucketName(ctx, tail);
    ctx.cleanup.trackBucket(name);
    const created = await httpRequest('POST', publicApiUrl(ctx.rest(), bucketsPath), { headers, json: { name, region, is_public: isPublic } });
    assertBucket(created, `POST ${bucketsPath} {name, region: ${region}, is_public: ${isPublic}}`, 201, { name, region, is_public: isPublic, bucket_lock_enabled: false, object_count: 0, total_size: 0 });
    assertBucket(await httpRequest('GET', bucketUrl(name), { headers }), `GET of the new bucket`, 200, { name, region, is_public: isPublic });

    // The same bucket over S3, in the region it was made in.
    const head = await attempt(() => s3.send(new HeadBucketCommand({ Bucket: name })));
    if (head.status !== 200) throw new RequirementViolation('REST-BUCKET-CONTRACT', `a bucket made over REST is unknown to S3: HeadBucket answered ${describeOutcome(head)}`);
    const location = await attempt(() => s3.send(new GetBucketLocationCommand({ Bucket: name })));
    if (location.status !== 200 || location.value?.LocationConstraint !== region) {
      throw new RequirementViolation('REST-BUCKET-CONTRACT', `a bucket made over REST in ${region} has GetBucketLocation ${describeOutcome(location)} ${JSON.stringify(location.value?.LocationConstraint ?? null)}`);
    }
    const key = `${ctx.settings.runPrefix}-public/object.txt`;
    const body = `object of ${name}`;
    const put = await attempt(() => s3.send(new PutObjectCommand({ Bucket: name, Key: key, Body: body })));
    if (put.status !== 200) throw new Error(`fixture: PutObject in ${name} answered ${describeOutcome(put)}`);
    const counted = await httpRequest('GET', bucketUrl(name), { headers });
    assertBucket(counted, 'GET of a bucket holding one object', 200, { object_count: 1, total_size: Buffer.byteLength(body) });
    await assertAnonymousAccess(ctx, name, key, body, isPublic, `made with is_public ${isPublic}`);

    const patched = await httpRequest('PATCH', bucketUrl(name), { headers, json: { is_public: !isPublic } });
    assertBucket(patched, `PATCH {is_public: ${!isPublic}}`, 200, { name, region, is_public: !isPublic });
    await assertAnonymousAccess(ctx, name, key, body, !isPublic, `after PATCH is_public ${!isPublic}`);

    const refused = await httpRequest('DELETE', bucketUrl(name), { headers });
    if (refused.response.status !== 409) {
      throw new RequirementViolation('REST-BUCKET-CONTRACT', `DELETE of a bucket holding an object answered ${describeRestAnswer(refused)}, expected 409`, [toEvidence(refused)]);
    }
    const emptied = await attempt(() => s3.send(new DeleteObjectCommand({ Bucket: name, Key: key })));
    if (emptied.status !== 204 && emptied.status !== 200) throw new Error(`fixture: DeleteObject answered ${describeOutcome(emptied)}`);
    const deleted = await httpRequest('DELETE', bucketUrl(name), { headers });
    if (deleted.response.status !== 200 || !isRecord(deleted.json)) {
      throw new RequirementViolation(
        'REST-BUCKET-CONTRACT',
        `DELETE of an empty bucket answered ${deleted.response.status} with ${deleted.response.body.length === 0 ? 'no body' : `a body that is not a JSON object`}, expected 200 with a JSON object (IBEE's Python client parses it)`,
        [toEvidence(deleted)],
      );
    }
    const gone = await httpRequest('GET', bucketUrl(name), { headers });
    const goneS3 = await attempt(() => s3.send(new HeadBucketCommand({ Bucket: name })));
    if (gone.response.status !== 404 || goneS3.status !== 404) {
      throw new RequirementViolation('REST-BUCKET-CONTRACT', `after DELETE answered 200, GET answered ${describeRestAnswer(gone)} and S3 HeadBucket ${describeOutcome(goneS3)}, expected 404 on both`, [toEvidence(gone)]);
    }
    ctx.cleanup.bucketRemoved(name);
  });
  await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, maxLifecycleRuns) }, 'REST-BUCKET-CONTRACT', {}, { independentRuns: true });
}

/** Pages a listing may take before the check gives up on it ending. */
const maxPages = 60;
/** Buckets the paging check makes (over S3) to find in the listing. */
const pagedBuckets = 3;

/** Every page of the bucket list with `limit`, checked as it comes: the names in order of pages. */
async function listAllPages(ctx: SuiteContext, headers: Record<string, string>, limit: number): Promise<string[]> {
  const names: string[] = [];
  const tokens = new Set<string>();
  let continuation: string | null = null;
  for (let page = 1; page <= maxPages; page += 1) {
    const path = `${bucketsPath}?limit=${limit}${continuation === null ? '' : `&continuation_token=${encodeURIComponent(continuation)}`}`;
    const exchange = await httpRequest('GET', publicApiUrl(ctx.rest(), path), { headers });
    const body = bodyOf(exchange);
    const fail = (detail: string) => new RequirementViolation('REST-BUCKET-CONTRACT', `page ${page} of the bucket list with limit ${limit} ${detail}`, [toEvidence(exchange)]);
    if (exchange.response.status !== 200 || body === null) throw fail(`answered ${describeRestAnswer(exchange)}, expected 200 with a JSON object`);
    const buckets = body['buckets'];
    if (!Array.isArray(buckets)) throw fail('has no buckets array');
    if (buckets.length > limit) throw fail(`holds ${buckets.length} buckets`);
    for (const [index, item] of buckets.entries()) {
      const problems = bucketProblems(item, {}, listItemFields);
      if (problems.length > 0) throw fail(`has bucket [${index}] with ${problems.join('; ')}`);
      names.push((item as { name: string }).name);
    }
    const truncated = body['is_truncated'];
    if (typeof truncated !== 'boolean') {
      throw fail(`${truncated === undefined ? 'has no is_truncated' : `has is_truncated ${JSON.stringify(truncated)}`}, expected a boolean (clients page until it is false)`);
    }
    if (!truncated) return names;
    const next = body['next_continuation_token'];
    if (typeof next !== 'string' || next.length === 0) throw fail(`is truncated but has next_continuation_token ${JSON.stringify(next)}`);
    if (tokens.has(next)) throw fail('repeats a continuation token it gave before');
    tokens.add(next);
    continuation = next;
  }
  throw new RequirementViolation('REST-BUCKET-CONTRACT', `the bucket list with limit ${limit} did not end within ${maxPages} pages`);
}

export async function checkBucketPaging(ctx: SuiteContext): Promise<void> {
  ctx.rest();
  const headers = bearer(await restAdmin(ctx));
  const ours: string[] = [];
  for (let i = 0; i < pagedBuckets; i += 1) ours.push(await ctx.createBucket(ctx.name('page')));
  const { min, max } = bucketListLimit.value;
  // How many buckets there are bounds the smallest limit, so that a full listing stays within maxPages.
  const everything = await listAllPages(ctx, headers, max);
  const smallest = Math.max(min, Math.ceil((everything.length + pagedBuckets) / (maxPages - 1)));
  const limits = fc.oneof(fc.integer({ min: smallest, max: Math.max(smallest, everything.length + 1) }), fc.integer({ min: smallest, max }));
  const property = fc.asyncProperty(limits, async (limit) => {
    const names = await listAllPages(ctx, headers, limit);
    const seen = new Set<string>();
    const repeated = names.filter((name) => (seen.has(name) ? true : (seen.add(name), false)));
    if (repeated.length > 0) throw new RequirementViolation('REST-BUCKET-CONTRACT', `paging with limit ${limit} showed ${repeated.slice(0, 5).join(', ')} twice`);
    const absent = ours.filter((name) => !seen.has(name));
    if (absent.length > 0) throw new RequirementViolation('REST-BUCKET-CONTRACT', `paging with limit ${limit} never showed ${absent.join(', ')} (made over S3 before the listing)`);
  });
  await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, 8) }, 'REST-BUCKET-CONTRACT', { examples: [[smallest], [max]] }, { independentRuns: true });

  const invalidLimits = fc.oneof(
    fc.constantFrom(String(min - 1), String(max + 1), '-1', '', 'ten', `${min}.5`, ` ${min}`),
    fc.integer({ min: max + 1, max: 10_000_000 }).map(String),
  );
  const refusesLimit = fc.asyncProperty(invalidLimits, async (limit) => {
    const exchange = await httpRequest('GET', publicApiUrl(ctx.rest(), `${bucketsPath}?limit=${encodeURIComponent(limit)}`), { headers });
    const { status } = exchange.response;
    if ((status !== 400 && status !== 422) || restErrorCode(exchange) === undefined) {
      throw new RequirementViolation('REST-BUCKET-CONTRACT', `the bucket list with limit ${JSON.stringify(limit)} (allowed: ${min}-${max}) answered ${describeRestAnswer(exchange)}, expected a 400/422 JSON error`, [toEvidence(exchange)]);
    }
  });
  await assertProperty(refusesLimit, { ...ctx.settings, runs: Math.min(ctx.settings.runs, 8) }, 'REST-BUCKET-CONTRACT', { examples: [[String(max + 1)], ['0']] }, { independentRuns: true });
}

// ---------------------------------------------------------------------------------------------------------------
// REST-SCOPE-NAMES

export async function checkScopeNames(ctx: SuiteContext): Promise<void> {
  ctx.rest();
  const bucket = await fixtureBucket(ctx);
  const missing: string[] = [];
  const billing = await optionalToken(ctx, billingOnly, missing);
  const concurrency = concurrencyOf(ctx.settings);
  const levelTokens = await mapConcurrently(permissionTypes, concurrency, async (level) => {
    const lacking: string[] = [];
    return { level, token: await optionalToken(ctx, levelOnAllBuckets(level), lacking), lacking };
  });
  // What is missing, in the order of the levels, whichever token was refused first.
  for (const message of levelTokens.flatMap(({ lacking }) => lacking)) if (!missing.includes(message)) missing.push(message);
  const levels = new Map<PermissionType, RestToken | null>(levelTokens.map(({ level, token }) => [level, token]));
  recordMissing(ctx, scopeNamesCheck, missing, 'refusals needing them were');
  const calls = servedRoutes(ctx).flatMap((route) => {
    // Who lacks the route's scope: for billing, a token with Object Storage only; for object storage, a token with
    // Billing only, and every level the route's grant leaves out.
    const lacking: { label: string; token: RestToken | null }[] =
      route.grant.kind === 'billing'
        ? [{ label: 'an Object Storage-only admin_rw token', token: levels.get('admin_rw') ?? null }]
        : [
            { label: 'a Billing-only token', token: billing },
            ...permissionTypes.filter((level) => !levelAllowsRoute(level, route)).map((level) => ({ label: `a ${level} token`, token: levels.get(level) ?? null })),
          ];
    return lacking.flatMap(({ label, token }) => (token ? [{ route, label, token }] : []));
  });
  // The calls change nothing: they go `--concurrency` at a time, and the first wrong answer in their order is reported.
  await mapConcurrently(calls, concurrency, async ({ route, label, token }) => {
    const exchange = await sendCall(ctx, harmlessCall(route, bucket), token.bearerToken);
    const required = bodyOf(exchange)?.['required_scope'];
    if (exchange.response.status !== 403 || restErrorCode(exchange) !== 'insufficient_scope' || required !== route.requiredScope) {
      throw new RequirementViolation(
        'REST-SCOPE-NAMES',
        `${routeLabel(route)} with ${label} answered ${describeRestAnswer(exchange)} with required_scope ${JSON.stringify(required ?? null)}, expected 403 insufficient_scope naming ${route.requiredScope}`,
        [toEvidence(exchange)],
      );
    }
  });
  if (calls.length === 0) throw new DriverCannot(`${missing.join('; ')}: no route could be called without its scope`);
}

// ---------------------------------------------------------------------------------------------------------------
// CREDENTIAL-DELETE

const maxCredentialRuns = 4;

export async function checkCredentialDelete(ctx: SuiteContext): Promise<void> {
  ctx.rest();
  const bucket = await fixtureBucket(ctx);
  const headers = bearer(await restAdmin(ctx));
  const credentialUrl = (id: string) => publicApiUrl(ctx.rest(), `${credentialsPath}/${encodeURIComponent(id)}`);
  const property = fc.asyncProperty(fc.constantFrom(...permissionTypes), async (level) => {
    const name = ctx.name('cred');
    const created = await httpRequest('POST', publicApiUrl(ctx.rest(), credentialsPath), {
      headers,
      json: { name, permission_type: level, bucket_scope: 'all', allowed_buckets: [] },
    });
    const body = bodyOf(created);
    const accessKeyId = body?.['access_key_id'];
    const secret = body?.['secret_access_key'];
    registerSecret(typeof secret === 'string' ? secret : null, `secret_access_key of S3 credential ${String(accessKeyId)}`);
    if (created.response.status !== 201 || typeof accessKeyId !== 'string' || typeof secret !== 'string') {
      throw new Error(`creating an S3 credential answered ${describeRestAnswer(created)} without a key pair`);
    }
    let deleted = false;
    const s3 = s3Client(ctx.target, { accessKeyId, secretAccessKey: secret }, ctx.clock);
    try {
      // Every level may list an in-scope bucket: the key works before the delete, or the refusal after proves nothing.
      const before = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket })));
      if (before.status !== 200) throw new Error(`a new ${level} S3 credential could not list ${bucket}: ${describeOutcome(before)}`);
      const removal = await httpRequest('DELETE', credentialUrl(accessKeyId), { headers });
      deleted = removal.response.status >= 200 && removal.response.status < 300;
      // The very next request with the key.
      const after: S3Outcome = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket })));
      const answer = bodyOf(removal);
      if (removal.response.status !== 200 || answer?.['success'] !== true || typeof answer['message'] !== 'string') {
        throw new RequirementViolation(
          'CREDENTIAL-DELETE',
          `DELETE ${credentialsPath}/{access_key_id} answered ${removal.response.status} ${removal.response.body.length === 0 ? 'with no body' : removal.response.body.slice(0, 200)}, expected 200 {success: true, message}`,
          [toEvidence(removal)],
        );
      }
      if (verdictOf(after, verdictRules.anyRefusal) !== 'deny') {
        throw new RequirementViolation('CREDENTIAL-DELETE', `the very next S3 request with a deleted ${level} credential's key answered ${describeOutcome(after)}, expected a refusal`);
      }
      const read = await httpRequest('GET', credentialUrl(accessKeyId), { headers });
      if (read.response.status !== 404) {
        throw new RequirementViolation('CREDENTIAL-DELETE', `GET of a deleted S3 credential answered ${describeRestAnswer(read)}, expected 404`, [toEvidence(read)]);
      }
    } finally {
      s3.destroy();
      if (!deleted) await httpRequest('DELETE', credentialUrl(accessKeyId), { headers }).catch(() => undefined);
    }
  });
  await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, maxCredentialRuns) }, 'CREDENTIAL-DELETE', {}, { independentRuns: true });
}

// ---------------------------------------------------------------------------------------------------------------
// BILLING-ELIGIBILITY

/**
 * What IBEE's clients check of a decision before they act on it: the TypeScript SDK a boolean `allowed` and a
 * non-empty `organization_id` and `reason`; the Python SDK (0.3) `billing_mode`, `billing_state` and `evaluated_at`;
 * the Terraform provider a non-empty `currency` and `billing_state`, PREPAID or POSTPAID, an RFC 3339 time. All of
 * them want the SKU and the cost they asked about echoed.
 */
function decisionProblems(body: Record<string, unknown> | null, request: EligibilityRequest): string[] {
  if (body === null) return ['the body is not a JSON object'];
  const problems: string[] = [];
  const nonEmpty = (field: string) => {
    if (typeof body[field] !== 'string' || (body[field] as string).trim() === '') problems.push(`${field} ${JSON.stringify(body[field])} is not a non-empty string`);
  };
  if (typeof body['allowed'] !== 'boolean') problems.push(`allowed ${JSON.stringify(body['allowed'])} is not a boolean`);
  for (const field of ['organization_id', 'reason', 'billing_state', 'currency']) nonEmpty(field);
  if (body['billing_mode'] !== 'PREPAID' && body['billing_mode'] !== 'POSTPAID') problems.push(`billing_mode ${JSON.stringify(body['billing_mode'])} is not PREPAID or POSTPAID`);
  if (!isDateTime(body['evaluated_at'])) problems.push(`evaluated_at ${JSON.stringify(body['evaluated_at'])} is not an RFC 3339 date-time`);
  if (request.sku_code !== undefined) {
    const echoed = body['sku_code'];
    if (typeof echoed !== 'string' || echoed.toUpperCase() !== request.sku_code.trim().toUpperCase()) problems.push(`sku_code ${JSON.stringify(echoed)} does not echo ${JSON.stringify(request.sku_code)}`);
  }
  if (request.estimated_cost_minor !== undefined && body['estimated_cost_minor'] !== request.estimated_cost_minor) {
    problems.push(`estimated_cost_minor ${JSON.stringify(body['estimated_cost_minor'])} does not echo ${request.estimated_cost_minor}`);
  }
  return problems;
}

export async function checkBillingEligibility(ctx: SuiteContext): Promise<void> {
  ctx.rest();
  const billing = await sharedToken(ctx, billingOnly);
  const url = publicApiUrl(ctx.rest(), eligibilityRoute.path);
  const storageOnly = await restAdmin(ctx);
  const refused = await httpRequest('POST', url, { headers: bearer(storageOnly), json: {} });
  if (refused.response.status !== 403) {
    throw new RequirementViolation('BILLING-ELIGIBILITY', `a token without the Billing scope asking for a decision answered ${describeRestAnswer(refused)}, expected 403`, [toEvidence(refused)]);
  }
  const property = fc.asyncProperty(eligibilityRequest(), async (request) => {
    const exchange = await httpRequest('POST', url, { headers: bearer(billing), json: request });
    const problems = exchange.response.status === 200 ? decisionProblems(bodyOf(exchange), request) : [];
    if (exchange.response.status !== 200 || problems.length > 0) {
      const detail = exchange.response.status !== 200 ? `answered ${describeRestAnswer(exchange)}, expected 200` : `answered an incomplete decision: ${problems.join('; ')}`;
      throw new RequirementViolation('BILLING-ELIGIBILITY', `${eligibilityRoute.method} ${eligibilityRoute.path} with ${JSON.stringify(request)} ${detail}`, [toEvidence(exchange)]);
    }
  });
  // The bodies IBEE's clients send: none (TypeScript SDK without a SKU), and the Python SDK 0.3 preflight.
  await assertProperty(property, ctx.settings, 'BILLING-ELIGIBILITY', { examples: [[{}], [{ sku_code: billableSku.value.skuCode }]] }, { independentRuns: true });
}
