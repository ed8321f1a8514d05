import { createHash } from 'node:crypto';
import type { ChecksumAlgorithm } from '../../../spec/index.js';

/**
 * Checksums computed independently of the mock, for its tests: the CRCs bit by bit from their catalogued parameters
 * (the normal-form polynomial, reflected here; initial value and final xor all ones), the SHAs with node's crypto.
 * Slow on purpose (one BigInt step per bit): meant for test-sized bodies.
 */

const normalPolynomials = {
  CRC32: { width: 32, polynomial: 0x04c11db7n },
  CRC32C: { width: 32, polynomial: 0x1edc6f41n },
  CRC64NVME: { width: 64, polynomial: 0xad93d23594c93659n },
} as const;

function reflect(value: bigint, width: number): bigint {
  let out = 0n;
  for (let bit = 0; bit < width; bit++) if (value & (1n << BigInt(bit))) out |= 1n << BigInt(width - 1 - bit);
  return out;
}

function referenceCrc(algorithm: keyof typeof normalPolynomials, data: Uint8Array): Buffer {
  const { width, polynomial } = normalPolynomials[algorithm];
  const reflected = reflect(polynomial, width);
  const mask = (1n << BigInt(width)) - 1n;
  let crc = mask;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ reflected : crc >> 1n;
  }
  return Buffer.from((crc ^ mask).toString(16).padStart(width / 4, '0'), 'hex');
}

/** The binary digest of `data`. */
export function referenceDigest(algorithm: ChecksumAlgorithm, data: Uint8Array): Buffer {
  switch (algorithm) {
    case 'SHA1':
      return createHash('sha1').update(data).digest();
    case 'SHA256':
      return createHash('sha256').update(data).digest();
    default:
      return referenceCrc(algorithm, data);
  }
}

/** The base64 checksum of `data`, as S3 sends it. */
export const referenceChecksum = (algorithm: ChecksumAlgorithm, data: Uint8Array): string => referenceDigest(algorithm, data).toString('base64');

/** A multipart object's checksum as S3 defines it: of the whole object (FULL_OBJECT), or of the part checksums, `-N`. */
export function referenceMultipartChecksum(algorithm: ChecksumAlgorithm, type: 'COMPOSITE' | 'FULL_OBJECT', parts: readonly Uint8Array[]): string {
  if (type === 'FULL_OBJECT') return referenceChecksum(algorithm, Buffer.concat(parts));
  const digests = Buffer.concat(parts.map((part) => referenceDigest(algorithm, part)));
  return `${referenceChecksum(algorithm, digests)}-${parts.length}`;
}
