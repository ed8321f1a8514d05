import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { accessKeyIdFormat, bearerTokenFormat } from '../../spec/index.js';

/**
 * Credential generation and comparison. Formats come from spec/limits.ts; randomness from node:crypto only.
 */

/** `ibee_v4_` + 43 URL-safe base64 characters (256 random bits). */
export function newBearerToken(): string {
  return bearerTokenFormat.value.prefix + randomBytes(32).toString('base64url');
}

/** `AKIA` + 16 upper-case hex characters (64 random bits), as IBEE's example shows. */
export function newAccessKeyId(): string {
  return accessKeyIdFormat.value.prefix + randomBytes(8).toString('hex').toUpperCase();
}

const secretAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Length of the secrets the mock issues (AWS's length; spec allows 32-128 printable characters). */
export const secretAccessKeyLength = 40;

/** 40 alphanumeric characters (about 238 random bits); alphanumeric so that no tool has to escape it. */
export function newSecretAccessKey(): string {
  let secret = '';
  for (let i = 0; i < secretAccessKeyLength; i++) secret += secretAlphabet[randomInt(secretAlphabet.length)];
  return secret;
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Whether two secrets are equal, in time independent of where they differ: both sides are hashed first, so the
 * comparison also hides their lengths.
 */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}
