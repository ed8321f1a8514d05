import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { presignedUrlExpirySeconds, tokenExpiryDays } from '../../spec/index.js';
import { expiryDays } from '../arbitraries/expiryDays.js';
import { invalidExpiry, invalidExpiryExamples } from '../arbitraries/invalidExpiry.js';
import { both, concurrencyOf } from '../target/concurrency.js';
import type { SuiteContext } from '../target/context.js';
import { onlyApiTokensHave } from '../target/driver.js';
import { httpRequest, restErrorCode, toEvidence, type HttpExchange, publicApiUrl } from '../target/http.js';
import { parseIssuedToken } from '../target/rest-driver.js';
import { attempt, presign, rawFetch } from '../target/s3.js';
import { assertProperty, defineCheck, NotApplicable, RequirementViolation, type CheckRecorder } from './registry.js';
import { refusesInactiveToken, verdictOf, verdictRules } from './verdict.js';

/** Expiry: the bounds of expires_in_days, the default, and (with time travel) enforcement everywhere. */

export const expiryValidCheck = defineCheck({
  name: 'expiry.valid-days',
  requirementIds: ['TOKEN-EXPIRY-BOUNDS'],
  summary: 'Every whole number of days in 1..365 is accepted with expires_at = created_at + days.',
  area: 'expiry',
  run: (ctx) => checkValidExpiry(ctx),
});
export const expiryInvalidCheck = defineCheck({
  name: 'expiry.invalid-days',
  requirementIds: ['TOKEN-EXPIRY-BOUNDS'],
  summary: 'Anything else (0, 366, negatives, fractions, strings, huge numbers, other types) is refused, never clamped.',
  area: 'expiry',
  run: (ctx) => checkInvalidExpiry(ctx),
});
export const expiryDefaultCheck = defineCheck({
  name: 'expiry.default',
  requirementIds: ['TOKEN-EXPIRY-DEFAULT'],
  summary: 'A token without an expiry expires 90 days after creation.',
  area: 'expiry',
  run: (ctx, rec) => checkDefaultExpiry(ctx, rec),
});
export const expiryEnforcedCheck = defineCheck({
  name: 'expiry.enforced',
  requirementIds: ['TOKEN-EXPIRY-ENFORCED'],
  summary: 'With time travel: a token works until expires_at and is refused right after on REST, S3 and presigned URLs signed before.',
  area: 'expiry',
  runsAlone: "it moves the target's clock",
  run: (ctx) => checkExpiryEnforced(ctx),
});

/** Tolerance between created_at + days and expires_at (rounding of timestamps). */
const expiryToleranceMs = 2_000;
const dayMs = 86_400_000;

/** How far created_at may stray from the target's clock at creation (latency, one-second Date headers, small skew). */
const createdAtToleranceMs = 5 * 60_000;

/**
 * Creates a token and notes when, by the target's clock: with time travel, that clock read just before and after
 * (the Date header of the REST app may follow the machine, not the moved clock); otherwise the Date header of the
 * answer, the target's own clock, or this machine's clock when there is none.
 */
async function createOnTargetClock(ctx: SuiteContext, body: unknown): Promise<{ exchange: HttpExchange; from: number; to: number }> {
  if (ctx.capabilities.timeTravel) await ctx.clock.refresh();
  const before = ctx.clock.now().getTime();
  const exchange = await ctx.driver.createTokenRaw(body);
  if (ctx.capabilities.timeTravel) {
    await ctx.clock.refresh();
    return { exchange, from: before, to: ctx.clock.now().getTime() };
  }
  const date = Date.parse(exchange.response.headers['date'] ?? '');
  return Number.isFinite(date) ? { exchange, from: date, to: date + 1_000 } : { exchange, from: before, to: ctx.clock.now().getTime() };
}

/** An expires_at off by a day passes a created_at difference if created_at is off too: created_at must be now. */
function assertCreatedNow(requirementId: string, createdAt: Date, window: { exchange: HttpExchange; from: number; to: number }): void {
  const at = createdAt.getTime();
  if (at < window.from - createdAtToleranceMs || at > window.to + createdAtToleranceMs) {
    throw new RequirementViolation(
      requirementId,
      `created_at ${createdAt.toISOString()} is ${((at - window.from) / 60_000).toFixed(1)} minutes from the target's clock at creation (${new Date(window.from).toISOString()}), so expires_at is off too`,
      [toEvidence(window.exchange)],
    );
  }
}

/** Expiry is judged on tokens the driver creates, and only portal API tokens expire. */
function requireRawCreate(ctx: SuiteContext): void {
  if (!ctx.driver.capabilities.rawCreate) throw new NotApplicable(`the ${ctx.driver.name} driver cannot create tokens`);
  const lacking = onlyApiTokensHave(ctx.driver, 'which never expire');
  if (lacking) throw new NotApplicable(lacking);
}

export async function checkValidExpiry(ctx: SuiteContext): Promise<void> {
  requireRawCreate(ctx);
  const { min, max } = tokenExpiryDays.value;
  const property = fc.asyncProperty(expiryDays(), async (days) => {
    const created = await createOnTargetClock(ctx, {
      name: ctx.name('exp'),
      expires_in_days: days,
      object_storage: { permission_type: 'object_ro', bucket_scope: 'all' },
    });
    const { exchange } = created;
    if (exchange.response.status !== 201) {
      throw new RequirementViolation('TOKEN-EXPIRY-BOUNDS', `expires_in_days ${days} was refused with ${exchange.response.status}`, [toEvidence(exchange)]);
    }
    const token = parseIssuedToken(exchange);
    if (token.id) await ctx.driver.revokeToken(token.id);
    if (!token.createdAt || !token.expiresAt) throw new RequirementViolation('TOKEN-EXPIRY-BOUNDS', 'the token has no created_at/expires_at', [toEvidence(exchange)]);
    assertCreatedNow('TOKEN-EXPIRY-BOUNDS', token.createdAt, created);
    const actualMs = token.expiresAt.getTime() - token.createdAt.getTime();
    if (Math.abs(actualMs - days * dayMs) > expiryToleranceMs) {
      throw new RequirementViolation(
        'TOKEN-EXPIRY-BOUNDS',
        `expires_in_days ${days} gave expires_at - created_at = ${(actualMs / dayMs).toFixed(4)} days`,
        [toEvidence(exchange)],
      );
    }
  });
  await assertProperty(property, ctx.settings, 'TOKEN-EXPIRY-BOUNDS', { examples: [[min], [max]] }, { independentRuns: true });
}

export async function checkInvalidExpiry(ctx: SuiteContext): Promise<void> {
  requireRawCreate(ctx);
  const property = fc.asyncProperty(invalidExpiry(), async (days) => {
    const exchange = await ctx.driver.createTokenRaw({
      name: ctx.name('exp'),
      expires_in_days: days,
      object_storage: { permission_type: 'object_ro', bucket_scope: 'all' },
    });
    const status = exchange.response.status;
    if (status >= 200 && status < 300) {
      const expiresAt = (exchange.json as { expires_at?: unknown } | undefined)?.expires_at;
      throw new RequirementViolation(
        'TOKEN-EXPIRY-BOUNDS',
        `expires_in_days ${JSON.stringify(days)} was accepted (${status}, expires_at ${JSON.stringify(expiresAt)}) instead of refused`,
        [toEvidence(exchange)],
      );
    }
    if (status !== 400 && status !== 422) {
      throw new RequirementViolation('TOKEN-EXPIRY-BOUNDS', `expires_in_days ${JSON.stringify(days)} answered ${status}, expected a 400/422 validation error`, [toEvidence(exchange)]);
    }
  });
  await assertProperty(property, ctx.settings, 'TOKEN-EXPIRY-BOUNDS', { examples: invalidExpiryExamples.map((value) => [value]) }, { independentRuns: true });
}

export async function checkDefaultExpiry(ctx: SuiteContext, rec: CheckRecorder): Promise<void> {
  requireRawCreate(ctx);
  const created = await createOnTargetClock(ctx, { name: ctx.name('exp'), object_storage: { permission_type: 'object_ro', bucket_scope: 'all' } });
  const { exchange } = created;
  rec.evidence(toEvidence(exchange));
  if (exchange.response.status !== 201) throw new RequirementViolation('TOKEN-EXPIRY-DEFAULT', `a token without expiry was refused with ${exchange.response.status}`, [toEvidence(exchange)]);
  const token = parseIssuedToken(exchange);
  if (token.id) await ctx.driver.revokeToken(token.id);
  const days = token.createdAt && token.expiresAt ? (token.expiresAt.getTime() - token.createdAt.getTime()) / dayMs : Number.NaN;
  if (!(Math.abs(days - tokenExpiryDays.value.default) * dayMs <= expiryToleranceMs)) {
    throw new RequirementViolation('TOKEN-EXPIRY-DEFAULT', `a token without expiry expires after ${days} days, expected ${tokenExpiryDays.value.default}`, [toEvidence(exchange)]);
  }
  if (token.createdAt) assertCreatedNow('TOKEN-EXPIRY-DEFAULT', token.createdAt, created);
}

/** Days for the enforcement property: short lives keep the total clock movement small. */
const enforcedDays = fc.integer({ min: tokenExpiryDays.value.min, max: 3 });

export async function checkExpiryEnforced(ctx: SuiteContext): Promise<void> {
  requireRawCreate(ctx);
  if (!ctx.capabilities.timeTravel) throw new NotApplicable(ctx.capabilities.timeTravelReason ?? 'the target has no time travel');
  const bucket = await ctx.createBucket();
  const key = `${ctx.settings.runPrefix}-expiry/object.txt`;
  await (await ctx.adminS3()).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'expiry' }));
  const property = fc.asyncProperty(enforcedDays, async (days) => {
    await ctx.clock.refresh();
    const token = await ctx.token({ expires_in_days: days, object_storage: { permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: [bucket] } });
    const bearer = token.bearerToken;
    if (bearer === null) throw new Error(`the ${ctx.driver.name} driver gave a token without a Bearer token`);
    const s3 = ctx.s3For(token);
    try {
      // The longest presigned life, so that only the token's expiry can stop it.
      const url = await presign(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), presignedUrlExpirySeconds.value.max, ctx.clock);
      const expiresAt = token.expiresAt!.getTime();
      // The three ways in, at the same clock time (at once, unless the run goes one request at a time).
      const concurrency = concurrencyOf(ctx.settings);
      const probe = async () => {
        const [rest, [signed, presigned]] = await both(
          concurrency,
          () => httpRequest('GET', publicApiUrl(ctx.rest(), `/v1/object-storage/buckets/${bucket}`), { headers: { authorization: `Bearer ${bearer}` } }),
          () => both(concurrency, () => attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket }))), () => rawFetch(url)),
        );
        return { rest: rest.response.status, restCode: restErrorCode(rest) ?? null, s3: signed.status, presigned: presigned.status };
      };
      await ctx.clock.advance(Math.max(0, Math.floor((expiresAt - ctx.clock.now().getTime()) / 1000) - 60));
      const before = await probe();
      if (before.rest !== 200 || before.s3 !== 200 || before.presigned !== 200) {
        throw new RequirementViolation('TOKEN-EXPIRY-ENFORCED', `a ${days}-day token a minute before expiry was refused: REST ${before.rest}, S3 ${before.s3}, presigned ${before.presigned}`);
      }
      await ctx.clock.advance(120);
      const after = await probe();
      // REST refuses an expired token as IBEE's clients know it: 401, or 403 with an inactive-key code (`key_expired`).
      if (!refusesInactiveToken({ status: after.rest, code: after.restCode }) || verdictOf({ status: after.s3 }, verdictRules.anyRefusal) !== 'deny' || verdictOf({ status: after.presigned }, verdictRules.anyRefusal) !== 'deny') {
        throw new RequirementViolation(
          'TOKEN-EXPIRY-ENFORCED',
          `a ${days}-day token a minute after expiry was not refused everywhere: REST ${after.rest}${after.restCode ? ` ${after.restCode}` : ''} (expected 401, or 403 with an inactive-key code), S3 ${after.s3}, presigned ${after.presigned}`,
        );
      }
      const read = await ctx.driver.getToken(token.id!);
      const status = (read.json as { status?: unknown } | undefined)?.status;
      if (status !== 'expired') throw new RequirementViolation('TOKEN-EXPIRY-ENFORCED', `an expired token reads back with status ${JSON.stringify(status)}`, [toEvidence(read)]);
    } finally {
      s3.destroy();
    }
  });
  await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, 3) }, 'TOKEN-EXPIRY-ENFORCED');
}
