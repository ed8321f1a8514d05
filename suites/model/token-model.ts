import type { S3Client } from '@aws-sdk/client-s3';
import { isAllowed, levelAllows, levelRequirementId, presignedUrlRule, type Action, type PermissionType, type S3OperationName } from '../../spec/index.js';
import type { SuiteContext } from '../target/context.js';
import type { IssuedToken } from '../target/driver.js';

/**
 * The token-lifecycle model for fc.commands: what the suite believes the endpoint holds (tokens, buckets, objects,
 * presigned URLs, the clock) and, from spec/ alone, what every request must get.
 */

export interface ModelToken {
  readonly token: IssuedToken;
  readonly level: PermissionType;
  /** 'all', or the buckets it is scoped to. */
  readonly scope: 'all' | readonly string[];
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  revoked: boolean;
}

export interface ModelPresignedUrl {
  readonly url: string;
  readonly tokenIndex: number;
  readonly bucket: string;
  readonly key: string;
  readonly expiresAtMs: number;
}

export interface TokenModel {
  readonly tokens: ModelToken[];
  readonly buckets: string[];
  /** Creation time of each bucket, on the target's clock. */
  readonly bucketCreatedAtMs: Map<string, number>;
  readonly objects: Map<string, Map<string, string>>;
  readonly presigned: ModelPresignedUrl[];
  /** Object keys the commands pick from. */
  readonly keys: readonly string[];
  clockAdvances: number;
  /** Seconds the clock may still move in this context, so that fixture tokens never expire mid-run. */
  clockBudgetSeconds: number;
}

export interface RealSystem {
  readonly ctx: SuiteContext;
  readonly clients: Map<number, S3Client>;
}

/** Requests within this much of an expiry instant may go either way: the suite's and the target's clocks are not one. */
export const clockToleranceMs = 5_000;

export type Expectation =
  | { readonly outcome: 'allow' }
  | { readonly outcome: 'deny'; readonly requirementId: string; readonly why: string }
  /** Spec leaves it open (INFO requirement) or the instant is within clock tolerance: both outcomes are fine. */
  | { readonly outcome: 'either'; readonly why: string };

export function nowMs(real: RealSystem): number {
  return real.ctx.clock.now().getTime();
}

export function inScope(token: ModelToken, bucket: string): boolean {
  return token.scope === 'all' || token.scope.includes(bucket);
}

/** The requirement a wrongly allowed or refused request breaks, given why the token should (not) work. */
function usability(token: ModelToken, now: number): Expectation | null {
  if (token.revoked) return { outcome: 'deny', requirementId: 'REVOKE-IMMEDIATE', why: 'the token was revoked' };
  if (now >= token.expiresAtMs + clockToleranceMs) return { outcome: 'deny', requirementId: 'TOKEN-EXPIRY-ENFORCED', why: 'the token has expired' };
  if (now >= token.expiresAtMs - clockToleranceMs) return { outcome: 'either', why: 'the token expires about now' };
  return null;
}

/** What an S3 operation by `token` on `bucket` must get. */
export function expectS3(token: ModelToken, operation: S3OperationName, bucket: string | null, now: number): Expectation {
  const unusable = usability(token, now);
  if (unusable) return unusable;
  if (bucket !== null && !inScope(token, bucket)) return { outcome: 'deny', requirementId: 'SCOPE-SPECIFIC', why: `${bucket} is outside the token's scope` };
  if (!isAllowed(token.level, operation)) {
    return { outcome: 'deny', requirementId: levelRequirementId[token.level], why: `${token.level} may not ${operation}` };
  }
  return { outcome: 'allow' };
}

/** A presigned GET: the signer's token state and rights at use time, the URL's own expiry, and P11's open question. */
export function expectPresignedGet(model: TokenModel, url: ModelPresignedUrl, now: number): Expectation {
  const token = model.tokens[url.tokenIndex]!;
  if (now >= url.expiresAtMs + clockToleranceMs && !token.revoked) {
    return { outcome: 'deny', requirementId: 'PRESIGNED-EXPIRY', why: 'the presigned URL has expired' };
  }
  const base = expectS3(token, 'GetObject', url.bucket, now);
  if (base.outcome !== 'allow') return base;
  if (now >= url.expiresAtMs - clockToleranceMs) return { outcome: 'either', why: 'the URL expires about now' };
  if (!levelAllows(token.level, presignedUrlRule.action as Action)) {
    return { outcome: 'either', why: `whether ${token.level} may presign is open (PRESIGNED-SIGNER-LEVEL, INFO)` };
  }
  return { outcome: 'allow' };
}

/** The requirement to blame when an allowed request is refused. */
export function blameForRefusal(model: TokenModel, token: ModelToken, bucket: string | null): string {
  if (bucket !== null && token.scope === 'all' && (model.bucketCreatedAtMs.get(bucket) ?? 0) > token.createdAtMs) return 'SCOPE-ALL-NEW-BUCKETS';
  return levelRequirementId[token.level];
}

export function describeToken(model: TokenModel, index: number): string {
  const token = model.tokens[index]!;
  const scope = token.scope === 'all' ? 'all buckets' : `buckets [${token.scope.join(', ')}]`;
  return `token #${index} (${token.level} on ${scope}${token.revoked ? ', revoked' : ''})`;
}
