import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { accessKeyIdFormat, bearerTokenFormat, permissionTypes, secretAccessKeyFormat } from '../../spec/index.js';
import { invalidTokenRequest, type InvalidTokenRequest } from '../arbitraries/invalidTokenRequest.js';
import type { SuiteContext } from '../target/context.js';
import { DriverCannot, onlyApiTokensHave, type IssuedToken } from '../target/driver.js';
import { httpRequest, restErrorCode, toEvidence, publicApiUrl } from '../target/http.js';
import { attempt } from '../target/s3.js';
import { creationRequests, levelsWithCredentials } from './credentials.js';
import { describeOutcome } from './exercisers.js';
import { recordCheck } from './record.js';
import { assertProperty, defineCheck, NotApplicable, RequirementViolation, type CheckRecorder } from './registry.js';
import { refusesInactiveToken, restInactiveTokenCodes } from './verdict.js';

/** Token creation: validation of requests, credential formats and uniqueness, credentials that work, Bearer auth. */

export const invalidRequestsCheck = defineCheck({
  name: 'tokens.invalid-requests',
  requirementIds: ['TOKEN-SCOPE-REQUIRED', 'TOKEN-NAME-REQUIRED', 'TOKEN-LEVEL-ONE', 'TOKEN-BUCKET-SCOPE-SHAPE'],
  summary: 'Requests breaking one creation rule (no scope, bad name, not exactly one level, bad bucket scope) are refused with 400/422.',
  area: 'tokens',
  run: (ctx) => checkInvalidRequests(ctx),
});
export const credentialFormatCheck = defineCheck({
  name: 'tokens.credential-formats',
  requirementIds: ['CRED-FORMAT', 'CRED-UNIQUE'],
  summary: 'Valid requests are accepted; each gets a Bearer token (portal tokens), and with Object Storage an AKIA key id and a secret, all well formed and unique (with pre-made tokens: those of the credentials file).',
  area: 'formats',
  run: (ctx) => checkCredentialFormats(ctx),
});
export const credentialsWorkCheck = defineCheck({
  name: 'tokens.credentials-work',
  requirementIds: ['CRED-S3-WORKS'],
  summary: 'Issued access keys authenticate S3 requests at the project endpoint.',
  area: 'formats',
  run: (ctx) => checkCredentialsWork(ctx),
});
export const bearerAuthCheck = defineCheck({
  name: 'tokens.bearer-auth',
  requirementIds: ['REST-BEARER-AUTH'],
  summary: 'The REST API accepts a valid Bearer token, answers 401 to a missing, malformed or unknown one, and refuses a revoked one with 401 or 403 and an inactive-key code.',
  area: 'auth',
  run: (ctx, rec) => checkBearerAuth(ctx, rec),
});

function requireRawCreate(ctx: SuiteContext): void {
  if (!ctx.driver.capabilities.rawCreate) throw new NotApplicable(`the ${ctx.driver.name} driver cannot send creation requests`);
}

/** Not applicable, saying why, where the driver's tokens lack what a check judges. */
function requireApiTokens(ctx: SuiteContext, lacking: string): void {
  const reason = onlyApiTokensHave(ctx.driver, lacking);
  if (reason) throw new NotApplicable(reason);
}

export async function checkInvalidRequests(ctx: SuiteContext): Promise<void> {
  requireRawCreate(ctx);
  requireApiTokens(ctx, "whose creation requests follow IBEE's credentials API (no expiry, no Billing scope, an optional name), not the token-creation rules");
  const bucket = ctx.name('scope');
  const cases = invalidTokenRequest(ctx.settings.runPrefix, [bucket]).filter((c) => c.violates !== 'TOKEN-EXPIRY-BOUNDS');
  const property = fc.asyncProperty(cases, async ({ violates, body }) => {
    const exchange = await ctx.driver.createTokenRaw(body);
    const status = exchange.response.status;
    if (status !== 400 && status !== 422) {
      throw new RequirementViolation(violates, `a request breaking ${violates} answered ${status}, expected 400/422`, [toEvidence(exchange)]);
    }
  });
  // One plain case of each rule is always tried first, whatever the seed.
  const examples: [InvalidTokenRequest][] = [
    [{ violates: 'TOKEN-SCOPE-REQUIRED', body: { name: ctx.name('noscope') } }],
    [{ violates: 'TOKEN-NAME-REQUIRED', body: { object_storage: { permission_type: 'object_ro', bucket_scope: 'all' } } }],
    [{ violates: 'TOKEN-LEVEL-ONE', body: { name: ctx.name('lvl'), object_storage: { permission_type: 'admin', bucket_scope: 'all' } } }],
    [{ violates: 'TOKEN-BUCKET-SCOPE-SHAPE', body: { name: ctx.name('shape'), object_storage: { permission_type: 'object_ro', bucket_scope: 'specific' } } }],
  ];
  await assertProperty(property, { ...ctx.settings, runs: Math.max(ctx.settings.runs, 30) }, 'TOKEN-SCOPE-REQUIRED', { examples }, { independentRuns: true });
}

export async function checkCredentialFormats(ctx: SuiteContext): Promise<void> {
  // A driver that cannot make tokens judges the ones the user gave (the manual driver's file).
  if (!ctx.driver.capabilities.rawCreate) return checkGivenCredentials(ctx);
  const bucket = ctx.name('scope');
  const seen = new Map<string, string>();
  const apiTokens = ctx.driver.capabilities.issues === 'api-tokens';
  const property = fc.asyncProperty(creationRequests(ctx, [bucket]), async (request) => {
    const exchange = await ctx.driver.createTokenRaw(request);
    if (exchange.response.status !== 201) {
      throw new RequirementViolation('CRED-FORMAT', `a valid creation request was refused with ${exchange.response.status}`, [toEvidence(exchange)]);
    }
    const token = ctx.driver.readIssued(exchange);
    if (token.id) await ctx.driver.revokeToken(token.id);
    const fail = (detail: string) => new RequirementViolation('CRED-FORMAT', detail, [toEvidence(exchange)]);
    // S3 credentials are an access key pair only: a Bearer token is what portal tokens get.
    if (apiTokens && (token.bearerToken === null || !bearerTokenFormat.value.pattern.test(token.bearerToken))) {
      throw fail(`the Bearer token does not match ${bearerTokenFormat.value.pattern}`);
    }
    if (!apiTokens || 'object_storage' in request) {
      if (!token.accessKeyId || !accessKeyIdFormat.value.pattern.test(token.accessKeyId)) throw fail(`the Access Key ID ${JSON.stringify(token.accessKeyId)} does not match ${accessKeyIdFormat.value.pattern}`);
      if (!token.secretAccessKey || !secretAccessKeyFormat.value.pattern.test(token.secretAccessKey)) throw fail('the Secret Access Key is missing or not 32-128 printable characters');
    } else if (token.accessKeyId !== null || token.secretAccessKey !== null) {
      throw fail('a Billing-only token was given S3 credentials');
    }
    for (const [kind, value] of [['bearer token', token.bearerToken], ['access key id', token.accessKeyId], ['secret access key', token.secretAccessKey]] as const) {
      if (value === null) continue;
      const owner = seen.get(value);
      if (owner !== undefined) throw new RequirementViolation('CRED-UNIQUE', `token ${token.id} got the same ${kind} as token ${owner}`, [toEvidence(exchange)]);
      seen.set(value, token.id ?? '?');
    }
  });
  await assertProperty(property, ctx.settings, 'CRED-FORMAT', {}, { independentRuns: true });
}

/** One pre-made token, as messages name it: its place in the file and its scope (never a secret). */
function describeGiven(token: IssuedToken, index: number): string {
  const scope = token.objectStorage ? `${token.objectStorage.permissionType} / ${token.objectStorage.bucketScope}` : 'no object storage';
  return `tokens[${index}] (${scope}${token.billing ? ', billing' : ''})`;
}

/** The same token listed twice in a file is one token: equal in every field. */
function sameToken(a: IssuedToken, b: IssuedToken): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * CRED-FORMAT and CRED-UNIQUE over the tokens the user gave, for a driver that cannot make any: every Access Key ID,
 * Secret Access Key and Bearer token (where given) of the file has IBEE's format, a Billing-only token no S3 keys,
 * and no two tokens share any of them. Every problem found is named, each by the token's place in the file.
 */
export async function checkGivenCredentials(ctx: SuiteContext): Promise<void> {
  const given = ctx.driver.givenTokens();
  if (given.length === 0) throw new NotApplicable(`the ${ctx.driver.name} driver neither makes tokens nor was given any`);
  const shared: string[] = [];
  const owners = new Map<string, number>();
  given.forEach((token, index) => {
    for (const [kind, value] of [['Bearer token', token.bearerToken], ['Access Key ID', token.accessKeyId], ['Secret Access Key', token.secretAccessKey]] as const) {
      if (value === null) continue;
      const owner = owners.get(`${kind}\n${value}`);
      if (owner !== undefined && !sameToken(given[owner]!, token)) shared.push(`${describeGiven(token, index)} has the same ${kind} as ${describeGiven(given[owner]!, owner)}`);
      else if (owner === undefined) owners.set(`${kind}\n${value}`, index);
    }
  });
  if (shared.length > 0) throw new RequirementViolation('CRED-UNIQUE', `${shared.length} credential(s) of the credentials file are not unique: ${shared.join('; ')}`);
  const problems: string[] = [];
  given.forEach((token, index) => {
    const who = describeGiven(token, index);
    if (token.bearerToken !== null && !bearerTokenFormat.value.pattern.test(token.bearerToken)) {
      problems.push(`${who}: the Bearer token does not match ${bearerTokenFormat.value.pattern}`);
    }
    if (token.objectStorage) {
      if (!token.accessKeyId || !accessKeyIdFormat.value.pattern.test(token.accessKeyId)) {
        problems.push(`${who}: the Access Key ID ${JSON.stringify(token.accessKeyId)} does not match ${accessKeyIdFormat.value.pattern} (${accessKeyIdFormat.statement})`);
      }
      if (!token.secretAccessKey || !secretAccessKeyFormat.value.pattern.test(token.secretAccessKey)) {
        problems.push(`${who}: the Secret Access Key is missing or not 32-128 printable characters (${token.secretAccessKey?.length ?? 0} characters)`);
      }
    } else if (token.accessKeyId !== null || token.secretAccessKey !== null) {
      problems.push(`${who}: a Billing-only token was given S3 credentials`);
    }
  });
  if (problems.length > 0) {
    // Uniqueness was judged in full before the formats: say so, as the failure below ends the check.
    recordCheck({ check: credentialFormatCheck.name, requirementIds: ['CRED-UNIQUE'], status: 'passed', seed: ctx.settings.seed }, ctx.settings.checksFile);
    throw new RequirementViolation('CRED-FORMAT', `${problems.length} credential(s) of the credentials file are not in IBEE's format: ${problems.join('; ')}`);
  }
}

export async function checkCredentialsWork(ctx: SuiteContext): Promise<void> {
  if (!ctx.driver.capabilities.create) return checkGivenCredentialsWork(ctx);
  const bucket = await ctx.createBucket();
  const levels = await levelsWithCredentials(ctx, credentialsWorkCheck, permissionTypes, 'all');
  const property = fc.asyncProperty(fc.constantFrom(...levels), async (level) => {
    const token = await ctx.token({ object_storage: { permission_type: level, bucket_scope: 'all' } });
    const s3 = ctx.s3For(token);
    // Every level may list objects, so this request can only fail on the credentials.
    const outcome = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket })));
    s3.destroy();
    if (outcome.status !== 200) throw new RequirementViolation('CRED-S3-WORKS', `a fresh ${level} token's keys could not list an in-scope bucket: ${describeOutcome(outcome)}`);
  });
  await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, 8) }, 'CRED-S3-WORKS', {}, { independentRuns: true });
}

/**
 * CRED-S3-WORKS over the tokens the user gave: each key lists a bucket it covers (every level may list objects, so
 * the request can only fail on the credentials): a bucket-scoped key its own bucket; a key on all buckets a new
 * bucket of the run, or, where the run cannot make one, a bucket a bucket-scoped key of the file names.
 */
async function checkGivenCredentialsWork(ctx: SuiteContext): Promise<void> {
  const keys = ctx.driver.givenTokens().filter((token) => token.objectStorage !== null && token.accessKeyId !== null && token.secretAccessKey !== null);
  if (keys.length === 0) throw new NotApplicable(`the ${ctx.driver.name} driver was given no access keys`);
  const scopedBucket = keys.find((token) => token.objectStorage!.bucketScope === 'specific')?.objectStorage!.allowedBuckets[0];
  let anyBucket: Promise<string> | null = null;
  const bucketFor = (token: IssuedToken): Promise<string> => {
    const own = token.objectStorage!.bucketScope === 'specific' ? token.objectStorage!.allowedBuckets[0] : undefined;
    if (own !== undefined) return Promise.resolve(own);
    anyBucket ??= ctx.createBucket().catch((error: unknown) => {
      if (error instanceof DriverCannot && scopedBucket !== undefined) return scopedBucket;
      throw error;
    });
    return anyBucket;
  };
  const unjudged: string[] = [];
  let judged = 0;
  for (const token of keys) {
    let bucket: string;
    try {
      bucket = await bucketFor(token);
    } catch (error) {
      if (!(error instanceof DriverCannot)) throw error;
      unjudged.push(`${token.objectStorage!.permissionType} / ${token.objectStorage!.bucketScope}: ${error.message}`);
      continue;
    }
    const s3 = ctx.s3For(token);
    const outcome = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 })));
    s3.destroy();
    judged += 1;
    if (outcome.status !== 200) {
      throw new RequirementViolation('CRED-S3-WORKS', `the ${token.objectStorage!.permissionType} / ${token.objectStorage!.bucketScope} key ${token.accessKeyId} could not list ${bucket}, a bucket it covers: ${describeOutcome(outcome)}`);
    }
  }
  if (judged === 0) throw new NotApplicable(`no key of the credentials file could be tried on a bucket it covers: ${unjudged.join('; ')}`);
  if (unjudged.length > 0) {
    recordCheck(
      { check: credentialsWorkCheck.name, requirementIds: ['CRED-S3-WORKS'], status: 'not_applicable', reason: `not tried, for want of a bucket they cover: ${unjudged.join('; ')}` },
      ctx.settings.checksFile,
    );
  }
}

/** Authorization header values that must all get 401. */
function invalidAuthorization(): fc.Arbitrary<string | null> {
  return fc.oneof(
    fc.constant(null),
    fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'bearer'),
    fc.stringMatching(/^[A-Za-z0-9_-]{16,48}$/).map((body) => `Bearer ${bearerTokenFormat.value.prefix}${body}`),
    fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /^[\x21-\x7e]+$/.test(s)).map((s) => `Bearer ${s}`),
  );
}

/**
 * A token that may list buckets over REST with its own Bearer token: Admin Read only on all buckets, or, from a
 * credentials file without one, Admin Read & Write on all buckets. DriverCannot, naming what is missing, otherwise.
 */
async function bucketListingToken(ctx: SuiteContext): Promise<IssuedToken & { readonly bearerToken: string }> {
  const missing: string[] = [];
  for (const level of ['admin_ro', 'admin_rw'] as const) {
    try {
      const token = await ctx.token({ object_storage: { permission_type: level, bucket_scope: 'all' } });
      if (token.bearerToken !== null) return { ...token, bearerToken: token.bearerToken };
      missing.push(`the ${ctx.driver.name} driver's ${level} / all token has no Bearer token`);
    } catch (error) {
      if (!(error instanceof DriverCannot)) throw error;
      missing.push(error.message);
    }
    // A driver that makes tokens always has the first.
    if (ctx.driver.capabilities.create) break;
  }
  throw new DriverCannot(`no token to list buckets over REST with: ${missing.join('; ')}`);
}

export async function checkBearerAuth(ctx: SuiteContext, rec: CheckRecorder): Promise<void> {
  const api = ctx.rest();
  requireApiTokens(ctx, 'which have no Bearer token of their own to authenticate REST calls with');
  const url = publicApiUrl(api, '/v1/object-storage/buckets');
  const token = await bucketListingToken(ctx);
  const valid = await httpRequest('GET', url, { headers: { authorization: `Bearer ${token.bearerToken}` } });
  rec.evidence(toEvidence(valid));
  if (valid.response.status !== 200) {
    throw new RequirementViolation('REST-BEARER-AUTH', `a valid ${token.objectStorage?.permissionType ?? ''} Bearer token listing buckets answered ${valid.response.status}`, [toEvidence(valid)]);
  }
  const property = fc.asyncProperty(invalidAuthorization(), async (authorization) => {
    const exchange = await httpRequest('GET', url, { headers: authorization === null ? {} : { authorization } });
    if (exchange.response.status !== 401) {
      throw new RequirementViolation('REST-BEARER-AUTH', `Authorization ${authorization === null ? '(none)' : JSON.stringify(authorization)} answered ${exchange.response.status}, expected 401`, [toEvidence(exchange)]);
    }
  });
  await assertProperty(property, ctx.settings, 'REST-BEARER-AUTH', {}, { independentRuns: true });
  await checkRevokedBearer(ctx, rec, url);
}

/** A revoked token is refused as IBEE's clients know an inactive key: 401, or 403 with an inactive-key code. */
async function checkRevokedBearer(ctx: SuiteContext, rec: CheckRecorder, url: string): Promise<void> {
  if (!ctx.driver.capabilities.create || !ctx.driver.capabilities.revoke) {
    recordCheck(
      { check: bearerAuthCheck.name, requirementIds: ['REST-BEARER-AUTH'], status: 'not_applicable', reason: `the ${ctx.driver.name} driver cannot create and revoke tokens: the refusal of a revoked Bearer token was not judged` },
      ctx.settings.checksFile,
    );
    return;
  }
  const token = await ctx.token({ object_storage: { permission_type: 'admin_ro', bucket_scope: 'all' } });
  const revoked = await ctx.driver.revokeToken(token.id!);
  if (revoked.response.status >= 300) throw new Error(`revoking a token answered ${revoked.response.status}`);
  const refused = await httpRequest('GET', url, { headers: { authorization: `Bearer ${token.bearerToken}` } });
  rec.evidence(toEvidence(refused));
  const code = restErrorCode(refused) ?? null;
  if (!refusesInactiveToken({ status: refused.response.status, code })) {
    throw new RequirementViolation(
      'REST-BEARER-AUTH',
      `a revoked Bearer token listing buckets answered ${refused.response.status}${code ? ` ${code}` : ''}, expected 401, or 403 with an inactive-key code (${[...restInactiveTokenCodes].join(', ')})`,
      [toEvidence(refused)],
    );
  }
}
