import { createHash } from 'node:crypto';
import type { ChecksumAlgorithm } from '../../../spec/index.js';

/**
 * Checksums computed independently of the mock, for its tests: the CRCs from their catalogued parameters (the
 * normal-form polynomial, reflected here; initial value and final xor all ones), the SHAs with node's crypto.
 * `bitwiseCrc` is the definition, one BigInt step per bit; `referenceDigest` runs from a byte table derived from it
 * (the tests check the two agree), fast enough for multipart-sized bodies.
 */

const catalogue = {
  CRC32: { width: 32, polynomial: 0x04c11db7n },
  CRC32C: { width: 32, polynomial: 0x1edc6f41n },
  CRC64NVME: { width: 64, polynomial: 0xad93d23594c93659n },
} as const;

type Crc = keyof typeof catalogue;

function reflect(value: bigint, width: number): bigint {
  let out = 0n;
  for (let bit = 0; bit < width; bit++) if (value & (1n << BigInt(bit))) out |= 1n << BigInt(width - 1 - bit);
  return out;
}

/** Eight steps of the reflected CRC register on `register`. */
function eightSteps(register: bigint, reflected: bigint): bigint {
  let crc = register;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ reflected : crc >> 1n;
  return crc;
}

const toDigest = (value: bigint, width: number): Buffer => Buffer.from(value.toString(16).padStart(width / 4, '0'), 'hex');

/** The CRC by its definition: every bit of every byte through the register. */
export function bitwiseCrc(algorithm: Crc, data: Uint8Array): Buffer {
  const { width, polynomial } = catalogue[algorithm];
  const reflected = reflect(polynomial, width);
  const mask = (1n << BigInt(width)) - 1n;
  let crc = mask;
  for (const byte of data) crc = eightSteps(crc ^ BigInt(byte), reflected);
  return toDigest(crc ^ mask, width);
}

/** Byte tables from the definition, each entry as two 32-bit halves. */
const tables = new Map<Crc, { readonly low: Uint32Array; readonly high: Uint32Array }>();
function tableOf(algorithm: Crc) {
  const cached = tables.get(algorithm);
  if (cached) return cached;
  const { width, polynomial } = catalogue[algorithm];
  const reflected = reflect(polynomial, width);
  const low = new Uint32Array(256);
  const high = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    const entry = eightSteps(BigInt(n), reflected);
    low[n] = Number(entry & 0xffffffffn);
    high[n] = Number(entry >> 32n);
  }
  const table = { low, high };
  tables.set(algorithm, table);
  return table;
}

function tableCrc(algorithm: Crc, data: Uint8Array): Buffer {
  const { width } = catalogue[algorithm];
  const { low, high } = tableOf(algorithm);
  let lo = 0xffffffff;
  let hi = width === 64 ? 0xffffffff : 0;
  for (const byte of data) {
    const index = (lo ^ byte) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ (low[index] as number)) >>> 0;
    hi = ((hi >>> 8) ^ (high[index] as number)) >>> 0;
  }
  const out = Buffer.alloc(width / 8);
  if (width === 64) {
    out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
  } else out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 0);
  return out;
}

/** The binary digest of `data`. */
export function referenceDigest(algorithm: ChecksumAlgorithm, data: Uint8Array): Buffer {
  switch (algorithm) {
    case 'SHA1':
      return createHash('sha1').update(data).digest();
    case 'SHA256':
      return createHash('sha256').update(data).digest();
    default:
      return tableCrc(algorithm, data);
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
