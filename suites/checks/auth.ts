import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { presignedUrlExpirySeconds } from '../../spec/index.js';
import { excessiveClockSkew, tolerableClockSkew } from '../arbitraries/clockSkew.js';
import { objectKey } from '../arbitraries/objectKey.js';
import { applyTamper, presignTamper } from '../arbitraries/presignTamper.js';
import type { SuiteContext } from '../target/context.js';
import { DriverCannot, type IssuedToken } from '../target/driver.js';
import { postObject } from '../target/post-policy.js';
import { attempt, credentialsOf, presign, presignRaw, presignV2, rawFetch, signRequest, signRequestV2, type RawResponse } from '../target/s3.js';
import { assertProperty, defineCheck, perSuite, RequirementViolation, type CheckRecorder } from './registry.js';
import { observedOf } from './verdict.js';

/** The run bucket and key the auth checks of one suite share, made once. */
const authFixture = perSuite((ctx: SuiteContext) => prepareAuthFixture(ctx));

/**
 * SigV4 authentication: wrong secrets, unknown keys, no auth, tampering, skew; presigned URLs and POST policies;
 * and what the endpoint does with SigV2.
 */

export const signatureCheck = defineCheck({
  name: 'auth.signature',
  requirementIds: ['AUTH-SIGNATURE'],
  summary: 'Wrong secret, unknown key, no auth and tampered signatures are refused.',
  area: 'auth',
  run: async (ctx) => checkSignature(ctx, await authFixture(ctx)),
});
export const unknownKeyCodeCheck = defineCheck({
  name: 'auth.unknown-key-code',
  requirementIds: ['AUTH-UNKNOWN-KEY-CODE'],
  summary: 'Observes the status and code for an unknown Access Key ID.',
  area: 'auth',
  run: async (ctx, rec) => observeUnknownKey(ctx, rec, await authFixture(ctx)),
  summarize: false,
});
export const clockSkewCheck = defineCheck({
  name: 'auth.clock-skew',
  requirementIds: ['AUTH-CLOCK-SKEW'],
  summary: 'Requests signed more than 15 minutes off are refused with RequestTimeTooSkewed; requests within are accepted.',
  area: 'auth',
  run: async (ctx) => checkClockSkew(ctx, await authFixture(ctx)),
});
export const presignedTamperCheck = defineCheck({
  name: 'auth.presigned-tamper',
  requirementIds: ['PRESIGNED-TAMPER'],
  summary: 'Changing any signed part of a presigned URL makes it fail.',
  area: 'auth',
  run: async (ctx) => checkPresignedTamper(ctx, await authFixture(ctx)),
});
export const presignedExpiryCheck = defineCheck({
  name: 'auth.presigned-expiry',
  requirementIds: ['PRESIGNED-EXPIRY'],
  summary: 'A presigned URL works until X-Amz-Expires has passed and not after; more than 7 days is refused.',
  area: 'auth',
  run: async (ctx) => checkPresignedExpiry(ctx, await authFixture(ctx)),
});
export const presignerLevelCheck = defineCheck({
  name: 'auth.presigned-signer-level',
  requirementIds: ['PRESIGNED-SIGNER-LEVEL'],
  summary: 'Observes whether a read-only level may presign a download.',
  area: 'auth',
  run: async (ctx, rec) => observePresignerLevel(ctx, rec, await authFixture(ctx)),
  summarize: false,
});
export const sigV2Check = defineCheck({
  name: 'auth.sigv2',
  requirementIds: ['AUTH-SIGV2'],
  summary: 'Observes what the endpoint does with a correctly signed SigV2 request, in the header and presigned.',
  area: 'auth',
  run: async (ctx, rec) => observeSigV2(ctx, rec, await authFixture(ctx)),
  summarize: false,
});
export const postPolicyCheck = defineCheck({
  name: 'auth.post-policy',
  requirementIds: ['PRESIGNED-POST'],
  summary: 'A POST policy upload works within its conditions and is refused outside them.',
  area: 'auth',
  run: async (ctx) => checkPostPolicy(ctx, await authFixture(ctx)),
});

export interface AuthFixture {
  readonly bucket: string;
  readonly key: string;
  readonly token: IssuedToken;
}

/**
 * An Object Read & Write key, a bucket it covers and an object in it: a new bucket of the run with a key made for it,
 * or, with pre-made keys, the bucket the file's key is limited to (see SuiteContext.keyOnBucket). Without such a key
 * the checks that share the fixture are not applicable, saying which key is missing.
 */
export async function prepareAuthFixture(ctx: SuiteContext): Promise<AuthFixture> {
  const { bucket, token } = await ctx.keyOnBucket('object_rw');
  const key = `${ctx.settings.runPrefix}-auth/object.txt`;
  const put = await attempt(async () => (await ctx.writerFor(bucket)).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'auth fixture' })));
  if (put.status !== 200) throw new Error(`fixture: PutObject of ${key} in ${bucket} answered ${put.status} ${put.code ?? ''}`);
  return { bucket, key, token };
}

function objectUrl(ctx: SuiteContext, fixture: AuthFixture): string {
  return `${ctx.target.s3Endpoint}/${fixture.bucket}/${fixture.key.split('/').map(encodeURIComponent).join('/')}`;
}

type BadAuth = 'wrong-secret' | 'unknown-key' | 'anonymous' | 'tampered-signature' | 'tampered-header';

export async function checkSignature(ctx: SuiteContext, fixture: AuthFixture): Promise<void> {
  const url = objectUrl(ctx, fixture);
  const good = credentialsOf(fixture.token);
  const sign = (credentials = good, headers: Record<string, string> = {}) =>
    signRequest({ method: 'GET', url, credentials, region: ctx.target.region, signingDate: ctx.clock.now(), headers });
  const baseline = await sign();
  const ok = await rawFetch(baseline.url, { headers: baseline.headers });
  if (ok.status !== 200) throw new Error(`baseline: a correctly signed GET of ${fixture.key} by its bucket's Object Read & Write key answered ${ok.status} ${ok.code ?? ''}, so refusals of altered requests would show nothing`);
  const variants = fc.constantFrom<BadAuth>('wrong-secret', 'unknown-key', 'anonymous', 'tampered-signature', 'tampered-header');
  const property = fc.asyncProperty(variants, fc.integer({ min: 0, max: 63 }), async (variant, position) => {
    let response;
    if (variant === 'anonymous') {
      response = await rawFetch(url);
    } else if (variant === 'wrong-secret') {
      const signed = await sign({ ...good, secretAccessKey: `${good.secretAccessKey.slice(0, -1)}${good.secretAccessKey.endsWith('A') ? 'B' : 'A'}` });
      response = await rawFetch(signed.url, { headers: signed.headers });
    } else if (variant === 'unknown-key') {
      const unknown = good.accessKeyId === 'AKIA0123456789ABCDEF' ? 'AKIAFFFFFFFFFFFFFFFF' : 'AKIA0123456789ABCDEF';
      const signed = await sign({ ...good, accessKeyId: unknown });
      response = await rawFetch(signed.url, { headers: signed.headers });
    } else if (variant === 'tampered-signature') {
      const signed = await sign();
      const authorization = signed.headers['authorization'] ?? '';
      const at = authorization.lastIndexOf('Signature=') + 'Signature='.length + (position % 64);
      const flipped = authorization[at] === '0' ? '1' : '0';
      response = await rawFetch(signed.url, { headers: { ...signed.headers, authorization: `${authorization.slice(0, at)}${flipped}${authorization.slice(at + 1)}` } });
    } else {
      const signed = await sign(good, { 'x-amz-meta-signed': 'original' });
      response = await rawFetch(signed.url, { headers: { ...signed.headers, 'x-amz-meta-signed': `changed-${position}` } });
    }
    const refused = response.status === 403 || (variant === 'unknown-key' && response.status === 401);
    if (!refused) throw new RequirementViolation('AUTH-SIGNATURE', `a request with ${variant} answered ${response.status} ${response.code ?? ''}, expected 403`);
  });
  await assertProperty(property, ctx.settings, 'AUTH-SIGNATURE', { examples: [['wrong-secret', 0], ['unknown-key', 0], ['anonymous', 0], ['tampered-signature', 5], ['tampered-header', 0]] }, { independentRuns: true });
}

export async function observeUnknownKey(ctx: SuiteContext, rec: CheckRecorder, fixture: AuthFixture): Promise<void> {
  const signed = await signRequest({
    method: 'GET',
    url: objectUrl(ctx, fixture),
    credentials: { accessKeyId: 'AKIA0000000000000000', secretAccessKey: 'x'.repeat(40) },
    region: ctx.target.region,
    signingDate: ctx.clock.now(),
  });
  const response = await rawFetch(signed.url, { headers: signed.headers });
  rec.observe('AUTH-UNKNOWN-KEY-CODE', { status: response.status, code: response.code }, `An unknown Access Key ID got ${response.status} ${response.code ?? '(no code)'}.`);
}

export async function checkClockSkew(ctx: SuiteContext, fixture: AuthFixture): Promise<void> {
  const url = objectUrl(ctx, fixture);
  const skews = fc.oneof(excessiveClockSkew().map((s) => ({ seconds: s, excessive: true })), tolerableClockSkew().map((s) => ({ seconds: s, excessive: false })));
  const property = fc.asyncProperty(skews, async ({ seconds, excessive }) => {
    const signed = await signRequest({
      method: 'GET',
      url,
      credentials: credentialsOf(fixture.token),
      region: ctx.target.region,
      signingDate: new Date(ctx.clock.now().getTime() + seconds * 1000),
    });
    const response = await rawFetch(signed.url, { headers: signed.headers });
    if (excessive && !(response.status === 403 && response.code === 'RequestTimeTooSkewed')) {
      throw new RequirementViolation('AUTH-CLOCK-SKEW', `a request signed ${seconds}s off answered ${response.status} ${response.code ?? ''}, expected 403 RequestTimeTooSkewed`);
    }
    if (!excessive && response.status !== 200) {
      throw new RequirementViolation('AUTH-CLOCK-SKEW', `a request signed ${seconds}s off (within the allowed skew) answered ${response.status} ${response.code ?? ''}`);
    }
  });
  await assertProperty(property, ctx.settings, 'AUTH-CLOCK-SKEW', { examples: [[{ seconds: 16 * 60, excessive: true }], [{ seconds: -16 * 60, excessive: true }]] }, { independentRuns: true });
}

export async function checkPresignedTamper(ctx: SuiteContext, fixture: AuthFixture): Promise<void> {
  const s3 = ctx.s3For(fixture.token);
  const property = fc.asyncProperty(presignTamper(), async (tamper) => {
    const url = await presign(s3, new GetObjectCommand({ Bucket: fixture.bucket, Key: fixture.key }), 3600, ctx.clock);
    const untouched = await rawFetch(url);
    if (untouched.status !== 200) throw new Error(`baseline: the untouched presigned URL answered ${untouched.status} ${untouched.code ?? ''}, so refusals of altered URLs would show nothing`);
    const response = await rawFetch(applyTamper(url, tamper));
    const expectedCode = tamper.part === 'credential' ? null : 'SignatureDoesNotMatch';
    if (response.status !== 403 || (expectedCode !== null && response.code !== expectedCode)) {
      throw new RequirementViolation('PRESIGNED-TAMPER', `a presigned URL with its ${tamper.part} altered answered ${response.status} ${response.code ?? ''}, expected 403 ${expectedCode ?? ''}`);
    }
  });
  try {
    await assertProperty(property, ctx.settings, 'PRESIGNED-TAMPER', {}, { independentRuns: true });
  } finally {
    s3.destroy();
  }
}

export async function checkPresignedExpiry(ctx: SuiteContext, fixture: AuthFixture): Promise<void> {
  const s3 = ctx.s3For(fixture.token);
  const command = () => new GetObjectCommand({ Bucket: fixture.bucket, Key: fixture.key });
  try {
    // Signed in the past: expiry needs no time travel.
    const property = fc.asyncProperty(fc.integer({ min: 60, max: 86_400 }), fc.integer({ min: 120, max: 3600 }), async (expiresIn, overdue) => {
      const signedAt = new Date(ctx.clock.now().getTime() - (expiresIn + overdue) * 1000);
      const expired = await rawFetch(await presign(s3, command(), expiresIn, ctx.clock, signedAt));
      if (expired.status !== 403) throw new RequirementViolation('PRESIGNED-EXPIRY', `a URL valid ${expiresIn}s, used ${overdue}s after it expired, answered ${expired.status}`);
      const live = await rawFetch(await presign(s3, command(), expiresIn, ctx.clock, new Date(ctx.clock.now().getTime() - 30_000)));
      if (live.status !== 200) throw new RequirementViolation('PRESIGNED-EXPIRY', `a URL valid ${expiresIn}s, used 30s after signing, answered ${live.status} ${live.code ?? ''}`);
    });
    await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, 10) }, 'PRESIGNED-EXPIRY', {}, { independentRuns: true });
    // The same URL signed by hand at the limit works, and one second beyond it is refused although its signature is right.
    const url = objectUrl(ctx, fixture);
    const credentials = credentialsOf(fixture.token);
    const atLimit = await rawFetch(presignRaw(url, credentials, ctx.target.region, ctx.clock.now(), presignedUrlExpirySeconds.value.max));
    if (atLimit.status !== 200) throw new Error(`a hand-signed presigned URL at the 7-day limit answered ${atLimit.status} ${atLimit.code ?? ''}: the signing is broken`);
    const beyond = await rawFetch(presignRaw(url, credentials, ctx.target.region, ctx.clock.now(), presignedUrlExpirySeconds.value.max + 1));
    if (beyond.status < 400) throw new RequirementViolation('PRESIGNED-EXPIRY', `X-Amz-Expires ${presignedUrlExpirySeconds.value.max + 1} was accepted (${beyond.status})`);
  } finally {
    s3.destroy();
  }
}

export async function observePresignerLevel(ctx: SuiteContext, rec: CheckRecorder, fixture: AuthFixture): Promise<void> {
  // A reader that covers the fixture's bucket: limited to it, or (pre-made keys without one) on all buckets.
  const reader = await ctx.token({ object_storage: { permission_type: 'object_ro', bucket_scope: 'specific', allowed_buckets: [fixture.bucket] } }).catch((error: unknown) => {
    if (!(error instanceof DriverCannot)) throw error;
    return ctx.token({ object_storage: { permission_type: 'object_ro', bucket_scope: 'all' } }).catch((other: unknown) => {
      throw other instanceof DriverCannot ? new DriverCannot(`no object_ro key covering ${fixture.bucket}: ${error.message}; ${other.message}`) : other;
    });
  });
  const s3 = ctx.s3For(reader);
  const url = await presign(s3, new GetObjectCommand({ Bucket: fixture.bucket, Key: fixture.key }), 600, ctx.clock);
  s3.destroy();
  const response = await rawFetch(url);
  const observed = observedOf(response);
  rec.observe(
    'PRESIGNED-SIGNER-LEVEL',
    { objectReadOnlyPresignedDownload: observed, status: response.status, code: response.code },
    `A download presigned by an Object Read only token got ${response.status} ${response.code ?? ''}${observed === 'error' ? ': an error, which shows neither an allowed download nor a refusal' : ''}.`,
  );
}

/**
 * A GET of the fixture object, correctly signed with SigV2 by a token that may read it and presign (Object Read &
 * Write): once in the Authorization header, once as a presigned URL valid for ten minutes. Whatever the answer,
 * it is recorded, never judged.
 */
export async function observeSigV2(ctx: SuiteContext, rec: CheckRecorder, fixture: AuthFixture): Promise<void> {
  const url = objectUrl(ctx, fixture);
  const credentials = credentialsOf(fixture.token);
  const now = ctx.clock.now();
  const header = await rawFetch(url, { headers: signRequestV2('GET', url, credentials, now) });
  const presigned = await rawFetch(presignV2(url, credentials, new Date(now.getTime() + 600_000)));
  // A 5xx or no answer shows neither acceptance nor refusal: `accepted` is then null.
  const outcome = (response: RawResponse) => {
    const observed = observedOf(response);
    return { accepted: observed === 'error' ? null : observed === 'allowed', status: response.status, code: response.code };
  };
  const describe = (response: RawResponse) =>
    response.status === 200
      ? 'was accepted (200)'
      : `got ${response.status} ${response.code ?? '(no code)'}${observedOf(response) === 'error' ? ' (an error, neither accepted nor refused)' : ''}`;
  rec.observe(
    'AUTH-SIGV2',
    { header: outcome(header), presigned: outcome(presigned) },
    `A GET signed with SigV2 in the Authorization header ${describe(header)}; a SigV2 presigned URL ${describe(presigned)}.`,
  );
}

export async function checkPostPolicy(ctx: SuiteContext, fixture: AuthFixture): Promise<void> {
  const credentials = credentialsOf(fixture.token);
  const property = fc.asyncProperty(objectKey(), fc.string({ maxLength: 200 }), async (key, body) => {
    const allowedKey = `${ctx.settings.runPrefix}-post/${key}`;
    const inside = await postObject(ctx.target, credentials, ctx.clock, { bucket: fixture.bucket, key: allowedKey, body });
    if (inside.status >= 300) throw new RequirementViolation('PRESIGNED-POST', `a POST policy upload within its conditions answered ${inside.status} ${inside.code ?? ''}`);
    const outside = await postObject(ctx.target, credentials, ctx.clock, { bucket: fixture.bucket, key: allowedKey, formKey: `${allowedKey}-other`, body });
    if (outside.status !== 403) throw new RequirementViolation('PRESIGNED-POST', `a POST policy upload under a key the policy does not allow answered ${outside.status} ${outside.code ?? ''}, expected 403`);
  });
  await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, 10) }, 'PRESIGNED-POST', {}, { independentRuns: true });
}
