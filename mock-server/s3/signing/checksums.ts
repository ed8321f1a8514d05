import { createHash, type Hash } from 'node:crypto';
import { checksumAlgorithmRules, checksumAlgorithms, unimplementedChecksumAlgorithms, type ChecksumAlgorithm } from '../../../spec/index.js';
import { createChecksum, type IncrementalChecksum } from '../checksum-algorithms.js';
import { S3Error } from '../errors.js';
import type { BodyDigests } from './types.js';

export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** The algorithm a header such as `x-amz-checksum-crc32` names, or undefined for any other header. */
export function algorithmOfChecksumHeader(name: string): ChecksumAlgorithm | undefined {
  const lower = name.toLowerCase();
  return checksumAlgorithms.find((algorithm) => checksumHeaderName(algorithm) === lower);
}

/** `x-amz-checksum-*` names that are no checksum value: the algorithm and type of a multipart upload, a GET's mode. */
const checksumSettingHeaders = new Set(['x-amz-checksum-algorithm', 'x-amz-checksum-type', 'x-amz-checksum-mode']);

/**
 * The algorithm of a checksum header (or POST form field), undefined for a name that is not one. A name of the
 * `x-amz-checksum-` family that names no algorithm S3 knows is InvalidRequest; one of AWS's newer algorithms the
 * mock does not compute is NotImplemented.
 */
export function checksumHeaderAlgorithm(name: string): ChecksumAlgorithm | undefined {
  const lower = name.toLowerCase();
  if (!lower.startsWith('x-amz-checksum-') || checksumSettingHeaders.has(lower)) return undefined;
  const algorithm = algorithmOfChecksumHeader(lower);
  if (algorithm) return algorithm;
  const named = lower.slice('x-amz-checksum-'.length).toUpperCase();
  if ((unimplementedChecksumAlgorithms as readonly string[]).includes(named)) {
    throw new S3Error('NotImplemented', `The ${named} checksum algorithm is not implemented.`);
  }
  throw new S3Error('InvalidRequest', 'The algorithm type you specified in x-amz-checksum- header is invalid.');
}

/**
 * An algorithm named by value (`x-amz-checksum-algorithm`, `x-amz-sdk-checksum-algorithm`, a POST form field), upper
 * case. Unknown names are InvalidRequest; AWS's newer algorithms the mock does not compute are NotImplemented.
 */
export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm {
  const named = value.trim().toUpperCase();
  const algorithm = checksumAlgorithms.find((candidate) => candidate === named);
  if (algorithm) return algorithm;
  if ((unimplementedChecksumAlgorithms as readonly string[]).includes(named)) {
    throw new S3Error('NotImplemented', `The ${named} checksum algorithm is not implemented.`);
  }
  throw new S3Error('InvalidRequest', `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [${checksumAlgorithms.join(', ')}]`);
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict base64 of exactly `bytes` bytes, or returns undefined (Buffer.from would silently skip junk). */
export function decodeBase64Digest(value: string, bytes: number): Buffer | undefined {
  const trimmed = value.trim();
  if (!base64Pattern.test(trimmed)) return undefined;
  const decoded = Buffer.from(trimmed, 'base64');
  return decoded.length === bytes ? decoded : undefined;
}

/** Whether `value` is a well-formed checksum of `algorithm`: strict base64 of its digest size. */
export function isChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  return decodeBase64Digest(value, checksumAlgorithmRules.value[algorithm].digestBytes) !== undefined;
}

/** Validates a declared checksum value; S3 answers a malformed one with InvalidRequest. */
export function parseChecksumValue(algorithm: ChecksumAlgorithm, value: string): string {
  if (!isChecksumValue(algorithm, value)) {
    throw new S3Error('InvalidRequest', `Value for ${checksumHeaderName(algorithm)} header is invalid.`);
  }
  return value.trim();
}

/** Content-MD5 must be the base64 of 16 bytes; anything else is InvalidDigest. */
export function parseContentMd5(value: string): Buffer {
  const digest = decodeBase64Digest(value, 16);
  if (!digest) throw new S3Error('InvalidDigest', 'The Content-MD5 you specified is not valid.');
  return digest;
}

/** What the client promised about the decoded body, gathered from headers before any byte is read. */
export interface BodyExpectations {
  /** Hex SHA-256 from x-amz-content-sha256 (signed payload mode), lower case. */
  readonly sha256Hex: string | null;
  /** Decoded Content-MD5. */
  readonly contentMd5: Buffer | null;
  /** Checksums declared in headers (or presigned query), base64 by algorithm. */
  readonly headerChecksums: ReadonlyMap<ChecksumAlgorithm, string>;
  /** Checksum algorithms whose value will arrive as an aws-chunked trailer. */
  readonly trailerChecksums: readonly ChecksumAlgorithm[];
  /** Exact decoded length the client declared, if any. */
  readonly declaredLength: number | null;
  /** Name of the header that declared the length, for messages. */
  readonly declaredLengthHeader: string;
}

/**
 * Hashes decoded body bytes as they pass and checks every promise at the end. Synchronous on purpose: the stream
 * glue (body.ts) decides when bytes flow, this only counts and compares.
 */
export class BodyVerifier {
  private length = 0;
  private started = false;
  private readonly md5: Hash = createHash('md5');
  private readonly sha256: Hash | null;
  private readonly checksums = new Map<ChecksumAlgorithm, IncrementalChecksum>();
  /** The one checksum algorithm the client declared (header, trailer or form field), if any. */
  readonly declared: ChecksumAlgorithm | null;

  constructor(private readonly expect: BodyExpectations) {
    const declared = [...expect.headerChecksums.keys(), ...expect.trailerChecksums];
    if (declared.length > 1) {
      throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    }
    this.declared = declared[0] ?? null;
    this.sha256 = expect.sha256Hex ? createHash('sha256') : null;
    for (const algorithm of declared) this.checksums.set(algorithm, createChecksum(algorithm));
  }

  get bytesSeen(): number {
    return this.length;
  }

  /**
   * Also computes `algorithm` over the body (a checksum the client did not send, which the object will carry). Only
   * before the first byte: a checksum of part of the body would be wrong.
   */
  compute(algorithm: ChecksumAlgorithm): void {
    if (this.checksums.has(algorithm)) return;
    if (this.started) throw new Error(`A ${algorithm} checksum was asked for after the body had started to flow.`);
    this.checksums.set(algorithm, createChecksum(algorithm));
  }

  update(data: Buffer): void {
    this.started = true;
    this.length += data.length;
    const declared = this.expect.declaredLength;
    if (declared !== null && this.length > declared) {
      throw new S3Error('InvalidRequest', `The decoded body is longer than the ${this.expect.declaredLengthHeader} header declared (${declared} bytes).`);
    }
    this.md5.update(data);
    this.sha256?.update(data);
    for (const checksum of this.checksums.values()) checksum.update(data);
  }

  /** Ends verification; `trailers` are the aws-chunked trailer headers (lower-case names). Throws S3Error. */
  finish(trailers: ReadonlyMap<string, string>): BodyDigests {
    this.started = true;
    const declared = this.expect.declaredLength;
    if (declared !== null && this.length !== declared) {
      throw new S3Error(
        'IncompleteBody',
        `You did not provide the number of bytes specified by the ${this.expect.declaredLengthHeader} header (${declared} declared, ${this.length} received).`,
      );
    }
    const md5 = this.md5.digest();
    if (this.sha256 && this.expect.sha256Hex) {
      const computed = this.sha256.digest('hex');
      if (computed !== this.expect.sha256Hex) {
        throw new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
          ClientComputedContentSHA256: this.expect.sha256Hex,
          S3ComputedContentSHA256: computed,
        });
      }
    }
    if (this.expect.contentMd5 && !md5.equals(this.expect.contentMd5)) {
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
        ExpectedDigest: this.expect.contentMd5.toString('hex'),
        CalculatedDigest: md5.toString('hex'),
      });
    }
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const [algorithm, checksum] of this.checksums) {
      const computed = checksum.digestBase64();
      checksums[algorithm] = computed;
      if (algorithm !== this.declared) continue;
      let expected = this.expect.headerChecksums.get(algorithm);
      if (expected === undefined) {
        const trailer = trailers.get(checksumHeaderName(algorithm));
        if (trailer === undefined) {
          throw new S3Error('MalformedTrailerError', `The request declared the trailer ${checksumHeaderName(algorithm)} but did not send it.`);
        }
        if (!isChecksumValue(algorithm, trailer)) {
          throw new S3Error('InvalidRequest', `Value for ${checksumHeaderName(algorithm)} trailing header is invalid.`);
        }
        expected = trailer.trim();
      }
      if (computed !== expected) {
        throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
      }
    }
    return { length: this.length, md5Hex: md5.toString('hex'), checksums };
  }
}
