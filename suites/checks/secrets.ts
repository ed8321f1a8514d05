import { ListBucketsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { concurrencyOf, mapConcurrently } from '../target/concurrency.js';
import type { SuiteContext } from '../target/context.js';
import { httpRequest, observedLeaks, toEvidence, type HttpExchange, publicApiUrl } from '../target/http.js';
import { attempt, observedS3HeaderLeaks, rawFetch, s3Client, signRequest } from '../target/s3.js';
import { creationRequests } from './credentials.js';
import { assertProperty, defineCheck, NotApplicable, RequirementViolation } from './registry.js';

/**
 * One-time secret: the secret access key and bearer token appear in the creation response and nowhere else; for
 * S3 credentials (credentials driver), the secret access key.
 */

export const secretOnceCheck = defineCheck({
  name: 'secrets.shown-once',
  requirementIds: ['SECRET-ONCE'],
  summary: 'After creation, no response of any route (token reads, lists, revoke, errors, REST and S3, headers included) carries the secret or bearer token.',
  area: 'secrets',
  run: (ctx) => checkSecretShownOnce(ctx),
});
export const secretRunWideCheck = defineCheck({
  name: 'secrets.run-wide-scan',
  requirementIds: ['SECRET-ONCE'],
  // Whatever a file happened to receive: it catches leaks, but only secrets.shown-once sweeps every later route.
  supporting: ['SECRET-ONCE'],
  summary: 'No response seen by this suite file, on any route, carried a secret issued earlier in the run.',
  area: 'every file, last (leakScanTest)',
  run: () => checkRunWideLeaks(),
});

const secretFields = ['secret_access_key', 'bearer_token'];

function carriesSecretField(exchange: HttpExchange): string | null {
  const visit = (value: unknown): string | null => {
    if (Array.isArray(value)) {
      for (const item of value) {
        const found = visit(item);
        if (found) return found;
      }
      return null;
    }
    if (value === null || typeof value !== 'object') return null;
    for (const [key, item] of Object.entries(value)) {
      if (secretFields.includes(key) && typeof item === 'string' && item.length > 0) return key;
      const found = visit(item);
      if (found) return found;
    }
    return null;
  };
  return visit(exchange.json);
}

/** Every later response of the token's life, scanned for its own secrets and for secret fields at all. */
export async function checkSecretShownOnce(ctx: SuiteContext): Promise<void> {
  if (!ctx.driver.capabilities.rawCreate || !ctx.driver.capabilities.read) throw new NotApplicable(`the ${ctx.driver.name} driver cannot create and read tokens`);
  const bucket = await ctx.createBucket();
  const property = fc.asyncProperty(creationRequests(ctx, [bucket]), async (request) => {
    const created = await ctx.driver.createTokenRaw(request);
    if (created.response.status !== 201) throw new Error(`creating a token for the secret sweep answered ${created.response.status}: ${created.response.body.slice(0, 200)}`);
    const token = ctx.driver.readIssued(created);
    const own = [token.bearerToken, token.secretAccessKey].filter((s): s is string => s !== null);
    const id = token.id!;
    // REST calls as the token itself; S3 credentials have no Bearer token, so the bucket routes are read as the fixture admin.
    const bearer = { authorization: `Bearer ${token.bearerToken ?? (await ctx.adminBearer())}` };
    // None of these changes anything another reads: they go at once (unless the run goes one request at a time).
    const reads: (() => Promise<HttpExchange>)[] = [
      () => ctx.driver.getToken(id),
      () => ctx.driver.listTokens(),
      () => ctx.driver.getToken(`${id}-missing`),
      // A refused creation reusing the name: the error must not echo anything of the token.
      () => ctx.driver.createTokenRaw({ name: token.name }),
      () => httpRequest('GET', publicApiUrl(ctx.rest(), '/v1/object-storage/buckets'), { headers: bearer }),
      () => httpRequest('GET', publicApiUrl(ctx.rest(), `/v1/object-storage/buckets/${bucket}-missing`), { headers: bearer }),
      () => httpRequest('GET', publicApiUrl(ctx.rest(), '/v1/billing/balance'), { headers: bearer }),
    ];
    if (token.bearerToken !== null) {
      reads.push(() => httpRequest('GET', publicApiUrl(ctx.rest(), '/v1/object-storage/buckets'), { headers: { authorization: `Bearer ${token.bearerToken}x` } }));
    }
    const later = await mapConcurrently(reads, concurrencyOf(ctx.settings), (read) => read());
    const s3Texts: string[] = [];
    if (token.accessKeyId && token.secretAccessKey) {
      const s3 = ctx.s3For(token);
      // Success bodies too (ListBuckets, a listing of the bucket): s3.ts scans every XML answer the SDK receives.
      const leaksBefore = observedS3HeaderLeaks().length;
      await attempt(() => s3.send(new ListBucketsCommand({})));
      await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket })));
      const listed = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: `${bucket}-missing` })));
      s3Texts.push(listed.message ?? '');
      s3.destroy();
      const fresh = observedS3HeaderLeaks().slice(leaksBefore);
      if (fresh.length > 0) throw new RequirementViolation('SECRET-ONCE', `an S3 response carried an issued secret after creation: ${fresh[0]!.where} (${fresh[0]!.secrets.join(', ')})`);
      // A wrong secret for the right key: the error must not teach the right one.
      const wrong = s3Client(ctx.target, { accessKeyId: token.accessKeyId, secretAccessKey: `${token.secretAccessKey}x` }, ctx.clock);
      s3Texts.push((await attempt(() => wrong.send(new ListObjectsV2Command({ Bucket: bucket })))).message ?? '');
      wrong.destroy();
      const signed = await signRequest({
        method: 'GET',
        url: `${ctx.target.s3Endpoint}/${bucket}?list-type=2`,
        credentials: { accessKeyId: token.accessKeyId, secretAccessKey: 'not-the-secret-access-key-at-all' },
        region: ctx.target.region,
        signingDate: ctx.clock.now(),
      });
      const raw = await rawFetch(signed.url, { headers: signed.headers });
      s3Texts.push(`${JSON.stringify(raw.headers)}\n${raw.body}`);
    }
    later.push(await ctx.driver.revokeToken(id));
    later.push(await ctx.driver.getToken(id));
    for (const exchange of later) {
      const text = `${JSON.stringify(exchange.response.headers)}\n${exchange.response.body}`;
      const leaked = own.filter((secret) => text.includes(secret));
      const field = carriesSecretField(exchange);
      if (leaked.length > 0 || field) {
        throw new RequirementViolation(
          'SECRET-ONCE',
          `${exchange.request.method} ${new URL(exchange.request.url).pathname} answered ${exchange.response.status} with ${leaked.length > 0 ? 'the token\'s secret' : `a "${field}" field`} after creation`,
          [toEvidence(exchange)],
        );
      }
    }
    for (const text of s3Texts) {
      if (own.some((secret) => text.includes(secret))) throw new RequirementViolation('SECRET-ONCE', 'an S3 response carried the token\'s secret after creation');
    }
  });
  await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, 10) }, 'SECRET-ONCE', {}, { independentRuns: true });
}

/** Everything this process saw: REST responses (scanned by http.ts) and S3 responses (scanned by s3.ts). */
export function checkRunWideLeaks(): Promise<void> {
  const rest = observedLeaks();
  const s3 = observedS3HeaderLeaks();
  if (rest.length > 0) {
    const first = rest[0]!;
    throw new RequirementViolation('SECRET-ONCE', `${rest.length} response(s) carried an issued secret after its creation; first: ${first.where} (${first.secrets.join(', ')})`, [toEvidence(first.exchange)]);
  }
  if (s3.length > 0) throw new RequirementViolation('SECRET-ONCE', `${s3.length} S3 response(s) carried an issued secret; first: ${s3[0]!.where} (${s3[0]!.secrets.join(', ')})`);
  return Promise.resolve();
}
