import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { getCanonicalHeaders, getSigningKey, SignatureV4 } from '@smithy/signature-v4';
import type { QueryValues } from './canonical.js';

/**
 * SigV4 maths, from @smithy/signature-v4 (the code the SDK signs with), driven from the server side: we rebuild the
 * canonical request from the raw path, raw query and only the headers the client signed, then compare.
 */
const sha256Constructor = Hash.bind(null, 'sha256');

export const algorithmId = 'AWS4-HMAC-SHA256';
export const emptySha256Hex = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * Exposes the signer's protected canonical-request and string-to-sign builders. Going through `sign()` instead
 * would drop and regenerate `date`/`x-amz-date` and read the payload hash from headers, which does not fit every
 * client (e.g. one that signs `date`, or presigned URLs whose payload hash is `UNSIGNED-PAYLOAD` by definition).
 */
class CanonicalRequestSigner extends SignatureV4 {
  constructor() {
    super({
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
      region: 'unused',
      service: 's3',
      sha256: sha256Constructor,
      uriEscapePath: false,
      applyChecksum: false,
    });
  }

  canonicalRequest(request: HttpRequest, signedHeaders: readonly string[], payloadHash: string): string {
    const canonicalHeaders = getCanonicalHeaders(request, undefined, new Set(signedHeaders));
    return this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
  }

  stringToSign(longDate: string, scope: string, canonicalRequest: string): Promise<string> {
    return this.createStringToSign(longDate, scope, canonicalRequest, algorithmId);
  }
}

const signer = new CanonicalRequestSigner();

export interface CanonicalInput {
  readonly method: string;
  /** Already canonical (see canonicalPath). */
  readonly path: string;
  /** Decoded query; the signer re-escapes it and leaves out X-Amz-Signature. */
  readonly query: QueryValues;
  /** Only the signed headers, lower-case names, values as received. */
  readonly headers: Readonly<Record<string, string>>;
  readonly signedHeaders: readonly string[];
  readonly payloadHash: string;
}

export interface StringToSign {
  readonly canonicalRequest: string;
  readonly stringToSign: string;
}

export async function buildStringToSign(input: CanonicalInput, longDate: string, scope: string): Promise<StringToSign> {
  const request = new HttpRequest({
    method: input.method,
    hostname: input.headers.host ?? '',
    path: input.path,
    query: { ...input.query },
    headers: { ...input.headers },
  });
  const canonicalRequest = signer.canonicalRequest(request, input.signedHeaders, input.payloadHash);
  return { canonicalRequest, stringToSign: await signer.stringToSign(longDate, scope, canonicalRequest) };
}

export async function deriveSigningKey(
  accessKeyId: string,
  secretAccessKey: string,
  shortDate: string,
  region: string,
  service: string,
): Promise<Buffer> {
  const key = await getSigningKey(sha256Constructor, { accessKeyId, secretAccessKey }, shortDate, region, service);
  return Buffer.from(key);
}

export function hmacHex(signingKey: Buffer, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Constant-time comparison of two signatures as text (SigV4's lower-case hex, SigV2's base64). */
export function signaturesEqual(expectedHex: string, providedHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'utf8');
  const provided = Buffer.from(providedHex, 'utf8');
  return expected.length === provided.length && timingSafeEqual(expected, provided);
}

/** Everything needed to check the chained signatures of STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] bodies. */
export interface ChunkSigningContext {
  readonly signingKey: Buffer;
  readonly longDate: string;
  readonly scope: string;
  /** The request (seed) signature; every chunk chains from the previous one. */
  readonly seedSignature: string;
}

export function chunkStringToSign(context: ChunkSigningContext, previousSignature: string, chunkSha256Hex: string): string {
  return ['AWS4-HMAC-SHA256-PAYLOAD', context.longDate, context.scope, previousSignature, emptySha256Hex, chunkSha256Hex].join('\n');
}

export function trailerStringToSign(context: ChunkSigningContext, previousSignature: string, canonicalTrailers: string): string {
  return ['AWS4-HMAC-SHA256-TRAILER', context.longDate, context.scope, previousSignature, sha256Hex(canonicalTrailers)].join('\n');
}
