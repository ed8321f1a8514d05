import { createHash, type Hash } from 'node:crypto';
import zlib from 'node:zlib';
import { Crc32 } from '@aws-crypto/crc32';
import { Crc32c } from '@aws-crypto/crc32c';
import { S3Error } from '../errors.js';
import type { BodyDigests, ChecksumAlgorithm } from './types.js';

/** The flexible-checksum algorithms S3 knows, with the header that carries each and its digest size. */
export const checksumAlgorithms: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'];

const digestBytes: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, SHA1: 20, SHA256: 32, CRC64NVME: 8 };

export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** The algorithm a header such as `x-amz-checksum-crc32` names, or undefined for any other header. */
export function algorithmOfChecksumHeader(name: string): ChecksumAlgorithm | undefined {
  const lower = name.toLowerCase();
  return checksumAlgorithms.find((algorithm) => checksumHeaderName(algorithm) === lower);
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict base64 of exactly `bytes` bytes, or returns undefined (Buffer.from would silently skip junk). */
export function decodeBase64Digest(value: string, bytes: number): Buffer | undefined {
  const trimmed = value.trim();
  if (!base64Pattern.test(trimmed)) return undefined;
  const decoded = Buffer.from(trimmed, 'base64');
  return decoded.length === bytes ? decoded : undefined;
}

/** Validates a declared checksum value; S3 answers a malformed one with InvalidRequest. */
export function parseChecksumValue(algorithm: ChecksumAlgorithm, value: string): string {
  if (!decodeBase64Digest(value, digestBytes[algorithm])) {
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

interface IncrementalChecksum {
  update(data: Buffer): void;
  /** Base64 of the big-endian digest, as S3 transmits it. */
  digestBase64(): string;
}

function hashChecksum(algorithm: 'sha1' | 'sha256'): IncrementalChecksum {
  const hash = createHash(algorithm);
  return { update: (data) => void hash.update(data), digestBase64: () => hash.digest('base64') };
}

function uint32Base64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

/** CRC32 through zlib's native implementation when present (Node >= 20.15), else @aws-crypto/crc32. */
function crc32Checksum(): IncrementalChecksum {
  const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (nativeCrc32) {
    let value = 0;
    return { update: (data) => void (value = nativeCrc32(data, value)), digestBase64: () => uint32Base64(value) };
  }
  const crc = new Crc32();
  return { update: (data) => void crc.update(data), digestBase64: () => uint32Base64(crc.digest()) };
}

function crc32cChecksum(): IncrementalChecksum {
  const crc = new Crc32c();
  return { update: (data) => void crc.update(data), digestBase64: () => uint32Base64(crc.digest()) };
}

/**
 * CRC-64/NVME (reflected, polynomial 0x9A6C9329AC4BC9B5, init and xor-out all ones). No installed package provides
 * it, so it is computed here with a byte table split into 32-bit halves (BigInt per byte would be far too slow).
 */
const crc64Table = (() => {
  const low = new Uint32Array(256);
  const high = new Uint32Array(256);
  const polyLow = 0xac4bc9b5;
  const polyHigh = 0x9a6c9329;
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const lsb = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (lsb) {
        lo = (lo ^ polyLow) >>> 0;
        hi = (hi ^ polyHigh) >>> 0;
      }
    }
    low[n] = lo;
    high[n] = hi;
  }
  return { low, high };
})();

export function crc64NvmeChecksum(): IncrementalChecksum {
  let lo = 0xffffffff;
  let hi = 0xffffffff;
  return {
    update(data) {
      const { low, high } = crc64Table;
      for (let i = 0; i < data.length; i++) {
        const index = (lo ^ (data[i] as number)) & 0xff;
        lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ (low[index] as number)) >>> 0;
        hi = ((hi >>> 8) ^ (high[index] as number)) >>> 0;
      }
    },
    digestBase64() {
      const out = Buffer.alloc(8);
      out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
      out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
      return out.toString('base64');
    },
  };
}

export function createChecksum(algorithm: ChecksumAlgorithm): IncrementalChecksum {
  switch (algorithm) {
    case 'CRC32':
      return crc32Checksum();
    case 'CRC32C':
      return crc32cChecksum();
    case 'SHA1':
      return hashChecksum('sha1');
    case 'SHA256':
      return hashChecksum('sha256');
    case 'CRC64NVME':
      return crc64NvmeChecksum();
  }
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
  private readonly md5: Hash = createHash('md5');
  private readonly sha256: Hash | null;
  private readonly checksums = new Map<ChecksumAlgorithm, IncrementalChecksum>();

  constructor(private readonly expect: BodyExpectations) {
    this.sha256 = expect.sha256Hex ? createHash('sha256') : null;
    for (const algorithm of [...expect.headerChecksums.keys(), ...expect.trailerChecksums]) {
      this.checksums.set(algorithm, createChecksum(algorithm));
    }
  }

  get bytesSeen(): number {
    return this.length;
  }

  update(data: Buffer): void {
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
    const matched: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const [algorithm, checksum] of this.checksums) {
      let expected = this.expect.headerChecksums.get(algorithm);
      if (expected === undefined) {
        const trailer = trailers.get(checksumHeaderName(algorithm));
        if (trailer === undefined) {
          throw new S3Error('MalformedTrailerError', `The request declared the trailer ${checksumHeaderName(algorithm)} but did not send it.`);
        }
        expected = parseChecksumValue(algorithm, trailer);
      }
      const computed = checksum.digestBase64();
      if (computed !== expected) {
        throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
      }
      matched[algorithm] = computed;
    }
    return { length: this.length, md5Hex: md5.toString('hex'), checksums: matched };
  }
}
