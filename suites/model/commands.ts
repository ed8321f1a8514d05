import { DeleteObjectCommand as S3DeleteObject, GetObjectCommand as S3GetObject, ListObjectsV2Command, PutObjectCommand as S3PutObject, type S3Client } from '@aws-sdk/client-s3';
import type fc from 'fast-check';
import type { PermissionType } from '../../spec/index.js';
import { RequirementViolation } from '../checks/registry.js';
import { refusesInactiveToken, verdictOf, verdictRules, type Verdict } from '../checks/verdict.js';
import { concurrencyOf, mapConcurrently } from '../target/concurrency.js';
import { httpRequest, restErrorCode, toEvidence, publicApiUrl } from '../target/http.js';
import { UnexpectedResponse } from '../target/rest-driver.js';
import { attempt, presign, rawFetch, type S3Outcome } from '../target/s3.js';
import {
  blameForRefusal,
  describeToken,
  expectPresignedGet,
  expectS3,
  nowMs,
  type Expectation,
  type ModelToken,
  type RealSystem,
  type TokenModel,
} from './token-model.js';

/** The commands of the token-lifecycle model; each predicts its outcome from the model and checks the endpoint. */

type Command = fc.AsyncCommand<TokenModel, RealSystem>;

export const modelLimits = { tokens: 5, buckets: 3, presigned: 6, clockAdvances: 2 } as const;

function describeS3(outcome: S3Outcome): string {
  return `${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}`;
}

function judge(expectation: Expectation, verdict: Verdict, what: string, detail: string, blame: () => string): void {
  if (verdict === 'error') {
    throw new RequirementViolation(expectation.outcome === 'deny' ? expectation.requirementId : blame(), `${what}: unexpected answer ${detail}`);
  }
  if (expectation.outcome === 'either') return;
  if (expectation.outcome === 'deny' && verdict === 'allow') {
    throw new RequirementViolation(expectation.requirementId, `${what} was allowed (${detail}) although ${expectation.why}`);
  }
  if (expectation.outcome === 'allow' && verdict === 'deny') {
    throw new RequirementViolation(blame(), `${what} was refused (${detail}) although the permission matrix allows it`);
  }
}

function pick<T>(items: readonly T[], index: number): [T, number] {
  const i = index % items.length;
  return [items[i]!, i];
}

function clientFor(model: TokenModel, real: RealSystem, index: number): S3Client {
  let client = real.clients.get(index);
  if (!client) {
    client = real.ctx.s3For(model.tokens[index]!.token);
    real.clients.set(index, client);
  }
  return client;
}

export class ModelCreateToken implements Command {
  constructor(
    readonly level: PermissionType,
    readonly allBuckets: boolean,
    readonly bucketPicks: readonly number[],
    readonly days: number | undefined,
  ) {}

  check(model: Readonly<TokenModel>): boolean {
    return model.tokens.length < modelLimits.tokens;
  }

  async run(model: TokenModel, real: RealSystem): Promise<void> {
    const specific = !this.allBuckets && model.buckets.length > 0;
    const buckets = [...new Set(this.bucketPicks.map((i) => model.buckets[i % model.buckets.length]!))];
    let token;
    try {
      token = await real.ctx.token({
        ...(this.days === undefined ? {} : { expires_in_days: this.days }),
        object_storage: specific
          ? { permission_type: this.level, bucket_scope: 'specific', allowed_buckets: buckets.length > 0 ? buckets : [model.buckets[0]!] }
          : { permission_type: this.level, bucket_scope: 'all' },
      });
    } catch (error) {
      // Whether admin levels may be bucket-scoped is open (SCOPE-ADMIN-SPECIFIC, INFO): a refusal is no failure.
      if (error instanceof UnexpectedResponse && specific && this.level.startsWith('admin')) return;
      throw error;
    }
    // S3 credentials never expire; a portal token always does.
    const expires = real.ctx.driver.capabilities.issues === 'api-tokens';
    if (!token.createdAt || (expires && !token.expiresAt)) {
      throw new RequirementViolation('TOKEN-EXPIRY-BOUNDS', 'the creation response has no created_at/expires_at', token.creation ? [toEvidence(token.creation)] : []);
    }
    model.tokens.push({
      token,
      level: this.level,
      scope: token.objectStorage?.bucketScope === 'specific' ? token.objectStorage.allowedBuckets : 'all',
      createdAtMs: token.createdAt.getTime(),
      expiresAtMs: token.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY,
      revoked: false,
    });
  }

  toString(): string {
    return `CreateToken(${this.level}, ${this.allBuckets ? 'all' : `buckets ${JSON.stringify(this.bucketPicks)}`}, ${this.days ?? 'default'} days)`;
  }
}

export class ModelCreateBucket implements Command {
  check(model: Readonly<TokenModel>): boolean {
    return model.buckets.length < modelLimits.buckets;
  }

  async run(model: TokenModel, real: RealSystem): Promise<void> {
    const name = await real.ctx.createBucket();
    model.buckets.push(name);
    model.bucketCreatedAtMs.set(name, nowMs(real));
    model.objects.set(name, new Map());
  }

  toString(): string {
    return 'CreateBucket()';
  }
}

abstract class ObjectCommand implements Command {
  constructor(
    readonly tokenPick: number,
    readonly bucketPick: number,
    readonly keyPick: number,
  ) {}

  check(model: Readonly<TokenModel>): boolean {
    return model.tokens.length > 0 && model.buckets.length > 0;
  }

  protected target(model: TokenModel): { token: ModelToken; tokenIndex: number; bucket: string; key: string } {
    const [token, tokenIndex] = pick(model.tokens, this.tokenPick);
    const [bucket] = pick(model.buckets, this.bucketPick);
    const [key] = pick(model.keys, this.keyPick);
    return { token, tokenIndex, bucket, key };
  }

  abstract run(model: TokenModel, real: RealSystem): Promise<void>;
}

export class ModelPutObject extends ObjectCommand {
  constructor(
    tokenPick: number,
    bucketPick: number,
    keyPick: number,
    readonly body: string,
  ) {
    super(tokenPick, bucketPick, keyPick);
  }

  async run(model: TokenModel, real: RealSystem): Promise<void> {
    const { token, tokenIndex, bucket, key } = this.target(model);
    const expectation = expectS3(token, 'PutObject', bucket, nowMs(real));
    const outcome = await attempt(() => clientFor(model, real, tokenIndex).send(new S3PutObject({ Bucket: bucket, Key: key, Body: Buffer.from(this.body, 'utf8') })));
    const verdict = verdictOf(outcome, verdictRules.anyRefusal);
    judge(expectation, verdict, `PutObject by ${describeToken(model, tokenIndex)} on ${bucket}`, describeS3(outcome), () => blameForRefusal(model, token, bucket));
    if (outcome.status >= 200 && outcome.status < 300) model.objects.get(bucket)!.set(key, this.body);
  }

  override toString(): string {
    return `PutObject(token ${this.tokenPick}, bucket ${this.bucketPick}, key ${this.keyPick}, ${JSON.stringify(this.body)})`;
  }
}

export class ModelGetObject extends ObjectCommand {
  async run(model: TokenModel, real: RealSystem): Promise<void> {
    const { token, tokenIndex, bucket, key } = this.target(model);
    const expectation = expectS3(token, 'GetObject', bucket, nowMs(real));
    const outcome = await attempt(async () => {
      const response = await clientFor(model, real, tokenIndex).send(new S3GetObject({ Bucket: bucket, Key: key }));
      return { ...response, text: (await response.Body?.transformToString('utf8')) ?? '' };
    });
    const what = `GetObject by ${describeToken(model, tokenIndex)} on ${bucket}/${key}`;
    judge(expectation, verdictOf(outcome, verdictRules.anyRefusal), what, describeS3(outcome), () => blameForRefusal(model, token, bucket));
    if (verdictOf(outcome, verdictRules.anyRefusal) !== 'allow') return;
    const stored = model.objects.get(bucket)!.get(key);
    if (stored === undefined && outcome.status !== 404) {
      throw new RequirementViolation('OBJECT-ROUNDTRIP', `${what}: answered ${describeS3(outcome)} for a key that was never written (or was deleted)`);
    }
    if (stored !== undefined && (outcome.status !== 200 || outcome.value?.text !== stored)) {
      throw new RequirementViolation('OBJECT-ROUNDTRIP', `${what}: expected the ${stored.length} bytes written, got ${describeS3(outcome)}`);
    }
  }

  override toString(): string {
    return `GetObject(token ${this.tokenPick}, bucket ${this.bucketPick}, key ${this.keyPick})`;
  }
}

export class ModelDeleteObject extends ObjectCommand {
  async run(model: TokenModel, real: RealSystem): Promise<void> {
    const { token, tokenIndex, bucket, key } = this.target(model);
    const expectation = expectS3(token, 'DeleteObject', bucket, nowMs(real));
    const outcome = await attempt(() => clientFor(model, real, tokenIndex).send(new S3DeleteObject({ Bucket: bucket, Key: key })));
    judge(expectation, verdictOf(outcome, verdictRules.anyRefusal), `DeleteObject by ${describeToken(model, tokenIndex)} on ${bucket}`, describeS3(outcome), () =>
      blameForRefusal(model, token, bucket),
    );
    if (outcome.status >= 200 && outcome.status < 300) model.objects.get(bucket)!.delete(key);
  }

  override toString(): string {
    return `DeleteObject(token ${this.tokenPick}, bucket ${this.bucketPick}, key ${this.keyPick})`;
  }
}

export class ModelListObjects implements Command {
  constructor(
    readonly tokenPick: number,
    readonly bucketPick: number,
  ) {}

  check(model: Readonly<TokenModel>): boolean {
    return model.tokens.length > 0 && model.buckets.length > 0;
  }

  async run(model: TokenModel, real: RealSystem): Promise<void> {
    const [token, tokenIndex] = pick(model.tokens, this.tokenPick);
    const [bucket] = pick(model.buckets, this.bucketPick);
    const expectation = expectS3(token, 'ListObjectsV2', bucket, nowMs(real));
    const outcome = await attempt(() => clientFor(model, real, tokenIndex).send(new ListObjectsV2Command({ Bucket: bucket })));
    const what = `ListObjectsV2 by ${describeToken(model, tokenIndex)} on ${bucket}`;
    judge(expectation, verdictOf(outcome, verdictRules.anyRefusal), what, describeS3(outcome), () => blameForRefusal(model, token, bucket));
    if (outcome.status !== 200) return;
    const listed = (outcome.value?.Contents ?? []).map((o) => o.Key ?? '').sort();
    const expected = [...model.objects.get(bucket)!.keys()].sort();
    if (JSON.stringify(listed) !== JSON.stringify(expected)) {
      throw new RequirementViolation('OBJECT-ROUNDTRIP', `${what}: listed ${JSON.stringify(listed)}, expected ${JSON.stringify(expected)}`);
    }
  }

  toString(): string {
    return `ListObjects(token ${this.tokenPick}, bucket ${this.bucketPick})`;
  }
}

export class ModelPresignGet extends ObjectCommand {
  constructor(
    tokenPick: number,
    bucketPick: number,
    keyPick: number,
    readonly expiresIn: number,
  ) {
    super(tokenPick, bucketPick, keyPick);
  }

  override check(model: Readonly<TokenModel>): boolean {
    return super.check(model) && model.presigned.length < modelLimits.presigned;
  }

  async run(model: TokenModel, real: RealSystem): Promise<void> {
    const { tokenIndex, bucket, key } = this.target(model);
    const signedAt = real.ctx.clock.now();
    const url = await presign(clientFor(model, real, tokenIndex), new S3GetObject({ Bucket: bucket, Key: key }), this.expiresIn, real.ctx.clock, signedAt);
    model.presigned.push({ url, tokenIndex, bucket, key, expiresAtMs: signedAt.getTime() + this.expiresIn * 1000 });
  }

  override toString(): string {
    return `PresignGet(token ${this.tokenPick}, bucket ${this.bucketPick}, key ${this.keyPick}, ${this.expiresIn}s)`;
  }
}

async function usePresigned(model: TokenModel, real: RealSystem, index: number, context: string): Promise<void> {
  const url = model.presigned[index]!;
  const expectation = expectPresignedGet(model, url, nowMs(real));
  const response = await rawFetch(url.url);
  const what = `presigned GET #${index} of ${describeToken(model, url.tokenIndex)} on ${url.bucket}/${url.key}${context}`;
  const detail = `${response.status}${response.code ? ` ${response.code}` : ''}`;
  judge(expectation, verdictOf(response, verdictRules.anyRefusal), what, detail, () => blameForRefusal(model, model.tokens[url.tokenIndex]!, url.bucket));
  if (response.status !== 200) return;
  const stored = model.objects.get(url.bucket)?.get(url.key);
  if (stored === undefined || response.body !== stored) {
    throw new RequirementViolation('OBJECT-ROUNDTRIP', `${what}: answered 200 with content other than what was written`);
  }
}

export class ModelUsePresigned implements Command {
  constructor(readonly urlPick: number) {}

  check(model: Readonly<TokenModel>): boolean {
    return model.presigned.length > 0;
  }

  run(model: TokenModel, real: RealSystem): Promise<void> {
    return usePresigned(model, real, this.urlPick % model.presigned.length, '');
  }

  toString(): string {
    return `UsePresigned(${this.urlPick})`;
  }
}

export class ModelRestListBuckets implements Command {
  constructor(readonly tokenPick: number) {}

  check(model: Readonly<TokenModel>): boolean {
    return model.tokens.length > 0;
  }

  async run(model: TokenModel, real: RealSystem): Promise<void> {
    const [token, tokenIndex] = pick(model.tokens, this.tokenPick);
    const expectation = expectS3(token, 'ListBuckets', null, nowMs(real));
    if (token.token.bearerToken === null) throw new Error(`${describeToken(model, tokenIndex)} has no Bearer token to list buckets over REST with`);
    const exchange = await httpRequest('GET', publicApiUrl(real.ctx.rest(), '/v1/object-storage/buckets'), { headers: { authorization: `Bearer ${token.token.bearerToken}` } });
    const what = `REST GET /v1/object-storage/buckets by ${describeToken(model, tokenIndex)}`;
    const code = restErrorCode(exchange) ?? null;
    judge(expectation, verdictOf({ status: exchange.response.status }, verdictRules.anyRefusal), what, `${exchange.response.status}${code ? ` ${code}` : ''}`, () =>
      blameForRefusal(model, token, null),
    );
    // A revoked or expired token is refused as IBEE's clients know an inactive one: 401, or 403 with its code.
    const inactive = expectation.outcome === 'deny' && (expectation.requirementId === 'REVOKE-IMMEDIATE' || expectation.requirementId === 'TOKEN-EXPIRY-ENFORCED');
    if (inactive && !refusesInactiveToken({ status: exchange.response.status, code })) {
      throw new RequirementViolation(
        expectation.requirementId,
        `${what} answered ${exchange.response.status}${code ? ` ${code}` : ''} although ${expectation.why}: expected 401, or 403 with an inactive-key code`,
        [toEvidence(exchange)],
      );
    }
  }

  toString(): string {
    return `RestListBuckets(token ${this.tokenPick})`;
  }
}

/**
 * After a revoke returns: the very next request with each kind of credential must be refused. Each kind is asked
 * once (at the same time, unless the run goes one request at a time); the first that was not refused, in the order
 * header-signed S3, Bearer, presigned URLs, is reported.
 */
async function assertRefusedEverywhere(model: TokenModel, real: RealSystem, tokenIndex: number, context: string): Promise<void> {
  const token = model.tokens[tokenIndex]!;
  const what = describeToken(model, tokenIndex);
  const bucket = model.buckets.find((b) => token.scope === 'all' || token.scope.includes(b));
  const s3 = clientFor(model, real, tokenIndex);
  const { bearerToken } = token.token;
  const presigned = [...model.presigned.entries()].filter(([, url]) => url.tokenIndex === tokenIndex);
  // Each check throws its violation, or returns: the first in this order is the one reported.
  const checks: (() => Promise<void>)[] = [
    async () => {
      const s3Outcome = bucket
        ? await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket })))
        : await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: model.buckets[0] ?? 'ibee-conformance-none' })));
      if (verdictOf(s3Outcome, verdictRules.anyRefusal) !== 'deny') {
        throw new RequirementViolation('REVOKE-IMMEDIATE', `${what}${context}: the next header-signed S3 request answered ${describeS3(s3Outcome)}`);
      }
    },
    // S3 credentials have no Bearer token to refuse.
    ...(bearerToken === null
      ? []
      : [
          async () => {
            const rest = await httpRequest('GET', publicApiUrl(real.ctx.rest(), '/v1/object-storage/buckets'), { headers: { authorization: `Bearer ${bearerToken}` } });
            // A revoked token is refused: 401, or 403 with an inactive-key code as IBEE's clients know it.
            const code = restErrorCode(rest) ?? null;
            if (!refusesInactiveToken({ status: rest.response.status, code })) {
              throw new RequirementViolation(
                'REVOKE-IMMEDIATE',
                `${what}${context}: the next Bearer request answered ${rest.response.status}${code ? ` ${code}` : ''}, expected 401, or 403 with an inactive-key code`,
                [toEvidence(rest)],
              );
            }
          },
        ]),
    ...presigned.map(([index, url]) => async () => {
      const response = await rawFetch(url.url);
      if (verdictOf(response, verdictRules.anyRefusal) !== 'deny') {
        throw new RequirementViolation('REVOKE-IMMEDIATE', `${what}${context}: presigned URL #${index}, signed before the revoke, answered ${response.status}`);
      }
    }),
  ];
  await mapConcurrently(checks, concurrencyOf(real.ctx.settings), (check) => check());
}

export class ModelRevoke implements Command {
  constructor(readonly tokenPick: number) {}

  check(model: Readonly<TokenModel>): boolean {
    return model.tokens.length > 0;
  }

  async run(model: TokenModel, real: RealSystem): Promise<void> {
    const [token, tokenIndex] = pick(model.tokens, this.tokenPick);
    const again = token.revoked;
    const exchange = await real.ctx.driver.revokeToken(token.token.id!);
    const status = real.ctx.driver.statusIn(exchange);
    if (exchange.response.status !== 200 || status !== 'revoked') {
      throw new RequirementViolation(
        again ? 'REVOKE-PERMANENT' : 'REVOKE-IMMEDIATE',
        `revoking ${describeToken(model, tokenIndex)}${again ? ' again' : ''} answered ${exchange.response.status} with status ${JSON.stringify(status)}, expected 200 and "revoked"`,
        [toEvidence(exchange)],
      );
    }
    token.revoked = true;
    await assertRefusedEverywhere(model, real, tokenIndex, again ? ' (revoked twice)' : ' right after revoke');
    const read = await real.ctx.driver.getToken(token.token.id!);
    const readStatus = real.ctx.driver.statusIn(read);
    if (readStatus !== 'revoked') {
      throw new RequirementViolation('REVOKE-PERMANENT', `${describeToken(model, tokenIndex)} reads back with status ${JSON.stringify(readStatus)}`, [toEvidence(read)]);
    }
  }

  toString(): string {
    return `Revoke(token ${this.tokenPick})`;
  }
}

/** Requests in flight while the revoke runs may go either way; everything sent after it returns is refused. */
export class ModelRevokeUnderLoad implements Command {
  constructor(
    readonly tokenPick: number,
    readonly inFlight: number,
  ) {}

  check(model: Readonly<TokenModel>): boolean {
    return model.tokens.some((t) => !t.revoked) && model.buckets.length > 0;
  }

  async run(model: TokenModel, real: RealSystem): Promise<void> {
    const live = model.tokens.map((t, i) => [t, i] as const).filter(([t]) => !t.revoked);
    const [[token, tokenIndex]] = [pick(live, this.tokenPick)[0]];
    const s3 = clientFor(model, real, tokenIndex);
    const bucket = model.buckets.find((b) => token.scope === 'all' || token.scope.includes(b)) ?? model.buckets[0]!;
    const bearer = token.token.bearerToken;
    // Signed S3 and REST requests alternate; S3 credentials (no Bearer token) are loaded over S3 only.
    const load = Array.from({ length: this.inFlight }, (_, i) =>
      i % 2 === 0 || bearer === null
        ? attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket }))).then((o) => o.status)
        : httpRequest('GET', publicApiUrl(real.ctx.rest(), '/v1/object-storage/buckets'), { headers: { authorization: `Bearer ${bearer}` } }).then(
            (e) => e.response.status,
          ),
    );
    const revoke = real.ctx.driver.revokeToken(token.token.id!);
    const [revoked, ...statuses] = await Promise.all([revoke, ...load]);
    if (revoked.response.status !== 200) {
      throw new RequirementViolation('REVOKE-IMMEDIATE', `revoking ${describeToken(model, tokenIndex)} under load answered ${revoked.response.status}`, [toEvidence(revoked)]);
    }
    const broken = statuses.filter((s) => verdictOf({ status: s }, verdictRules.anyRefusal) === 'error');
    if (broken.length > 0) {
      throw new RequirementViolation('REVOKE-IMMEDIATE', `requests in flight during the revoke of ${describeToken(model, tokenIndex)} failed with ${broken.join(', ')}`);
    }
    token.revoked = true;
    await assertRefusedEverywhere(model, real, tokenIndex, ` after a revoke with ${this.inFlight} requests in flight`);
  }

  toString(): string {
    return `RevokeUnderLoad(token ${this.tokenPick}, ${this.inFlight} in flight)`;
  }
}

export class ModelAdvanceClock implements Command {
  constructor(readonly seconds: number) {}

  check(model: Readonly<TokenModel>): boolean {
    return model.clockAdvances < modelLimits.clockAdvances && this.seconds <= model.clockBudgetSeconds;
  }

  async run(model: TokenModel, real: RealSystem): Promise<void> {
    await real.ctx.clock.advance(this.seconds);
    model.clockAdvances += 1;
    model.clockBudgetSeconds -= this.seconds;
    // Time passing must not bring a revoked token back (REVOKE-PERMANENT) nor keep an expired one alive. Every
    // revoked token is asked at the same time (unless the run goes one request at a time); the first in their order
    // that was let through is reported.
    const revoked = [...model.tokens.entries()].filter(([, token]) => token.revoked).map(([index]) => index);
    await mapConcurrently(revoked, concurrencyOf(real.ctx.settings), (index) =>
      assertRefusedEverywhere(model, real, index, ` after the clock moved ${this.seconds}s`).catch((error: unknown) => {
        if (error instanceof RequirementViolation) throw new RequirementViolation('REVOKE-PERMANENT', error.message.replace(/^\[[^\]]+\] /, ''));
        throw error;
      }),
    );
  }

  toString(): string {
    return `AdvanceClock(${this.seconds}s)`;
  }
}

