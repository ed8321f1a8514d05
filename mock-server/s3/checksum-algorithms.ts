import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import type { ChecksumAlgorithm } from '../../spec/index.js';

/*
 * The checksum algorithms S3 knows, computed incrementally, and the two ways a multipart object's checksum is made of
 * its parts': a composite (the checksum of the concatenated part checksums) and, for the CRCs, the full-object value
 * combined from the part CRCs and sizes without reading a byte again.
 */

/** A checksum computed as bytes pass. Values go over the wire as base64 of the big-endian digest. */
export interface IncrementalChecksum {
  readonly algorithm: ChecksumAlgorithm;
  update(data: Buffer): void;
  digest(): Buffer;
  digestBase64(): string;
}

/** The CRCs S3 uses are reflected, with initial value and final xor all ones; they differ in width and polynomial. */
interface CrcParameters {
  readonly width: 32 | 64;
  /** The polynomial, bit-reflected (the form table-driven reflected CRCs use). */
  readonly polynomial: bigint;
}

export type CrcAlgorithm = Extract<ChecksumAlgorithm, 'CRC32' | 'CRC32C' | 'CRC64NVME'>;

export const crcParameters: Readonly<Record<CrcAlgorithm, CrcParameters>> = {
  CRC32: { width: 32, polynomial: 0xedb88320n },
  CRC32C: { width: 32, polynomial: 0x82f63b78n },
  CRC64NVME: { width: 64, polynomial: 0x9a6c9329ac4bc9b5n },
};

export function isCrc(algorithm: ChecksumAlgorithm): algorithm is CrcAlgorithm {
  return algorithm in crcParameters;
}

function toBase64(digest: Buffer): string {
  return digest.toString('base64');
}

function uint32Digest(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

/** A byte table for a 32-bit reflected CRC. */
function table32(polynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const crc32cTable = table32(Number(crcParameters.CRC32C.polynomial));

/** A 32-bit reflected CRC from its table; the running value lives in locals while a chunk is hashed (closure slots are slow). */
function crc32Of(algorithm: 'CRC32' | 'CRC32C', table: Uint32Array): IncrementalChecksum {
  let state = 0xffffffff;
  return {
    algorithm,
    update(data) {
      let c = state;
      for (let i = 0; i < data.length; i++) c = (table[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
      state = c;
    },
    digest: () => uint32Digest(state ^ 0xffffffff),
    digestBase64() {
      return toBase64(this.digest());
    },
  };
}

/** CRC32 through zlib's native implementation when present (Node >= 20.15), else from a table. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
const crc32Table = nativeCrc32 ? null : table32(Number(crcParameters.CRC32.polynomial));

function crc32Checksum(): IncrementalChecksum {
  if (!nativeCrc32) return crc32Of('CRC32', crc32Table ?? table32(Number(crcParameters.CRC32.polynomial)));
  let value = 0;
  return {
    algorithm: 'CRC32',
    update: (data) => void (value = nativeCrc32(data, value)),
    digest: () => uint32Digest(value),
    digestBase64() {
      return toBase64(this.digest());
    },
  };
}

/** CRC-64/NVME's byte table, each entry split into 32-bit halves (BigInt per byte would be far too slow). */
const crc64Table = (() => {
  const low = new Uint32Array(256);
  const high = new Uint32Array(256);
  const polynomial = crcParameters.CRC64NVME.polynomial;
  const polyLow = Number(polynomial & 0xffffffffn);
  const polyHigh = Number(polynomial >> 32n);
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

function crc64NvmeChecksum(): IncrementalChecksum {
  let stateLow = 0xffffffff;
  let stateHigh = 0xffffffff;
  return {
    algorithm: 'CRC64NVME',
    update(data) {
      const { low, high } = crc64Table;
      let lo = stateLow;
      let hi = stateHigh;
      for (let i = 0; i < data.length; i++) {
        const index = (lo ^ (data[i] as number)) & 0xff;
        lo = ((lo >>> 8) | (hi << 24)) ^ (low[index] as number);
        hi = (hi >>> 8) ^ (high[index] as number);
      }
      stateLow = lo;
      stateHigh = hi;
    },
    digest() {
      const out = Buffer.alloc(8);
      out.writeUInt32BE((stateHigh ^ 0xffffffff) >>> 0, 0);
      out.writeUInt32BE((stateLow ^ 0xffffffff) >>> 0, 4);
      return out;
    },
    digestBase64() {
      return toBase64(this.digest());
    },
  };
}

function hashChecksum(algorithm: 'SHA1' | 'SHA256'): IncrementalChecksum {
  const hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
  let digest: Buffer | null = null;
  return {
    algorithm,
    update: (data) => void hash.update(data),
    digest: () => (digest ??= hash.digest()),
    digestBase64() {
      return toBase64(this.digest());
    },
  };
}

export function createChecksum(algorithm: ChecksumAlgorithm): IncrementalChecksum {
  switch (algorithm) {
    case 'CRC32':
      return crc32Checksum();
    case 'CRC32C':
      return crc32Of('CRC32C', crc32cTable);
    case 'CRC64NVME':
      return crc64NvmeChecksum();
    case 'SHA1':
    case 'SHA256':
      return hashChecksum(algorithm);
  }
}

/** The checksum of `data` in one go, base64. */
export function checksumOf(algorithm: ChecksumAlgorithm, data: Buffer): string {
  const checksum = createChecksum(algorithm);
  checksum.update(data);
  return checksum.digestBase64();
}

/**
 * A composite checksum: the checksum of the parts' binary checksums, concatenated in part order, then `-N` for the
 * number of parts.
 */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partDigests: readonly Buffer[]): string {
  const checksum = createChecksum(algorithm);
  for (const digest of partDigests) checksum.update(digest);
  return `${checksum.digestBase64()}-${partDigests.length}`;
}

/*
 * Combining CRCs (as zlib's crc32_combine does, for any width): for these CRCs, whose initial value equals their final
 * xor, crc(A ‖ B) = crc(A) · x^(8·|B|) mod P ⊕ crc(B), all in GF(2) with bit-reflected values. Multiplying by
 * x^(8·|B|) takes a handful of multiplications by precomputed x^(2^k), so combining needs no byte of A or B.
 */

/** a · b mod P, reflected (the top bit is x^0). `a` must not be zero. */
function multiplyModP(a: bigint, b: bigint, { width, polynomial }: CrcParameters): bigint {
  let m = 1n << BigInt(width - 1);
  let product = 0n;
  let factor = b;
  for (;;) {
    if (a & m) {
      product ^= factor;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    factor = factor & 1n ? (factor >> 1n) ^ polynomial : factor >> 1n;
  }
  return product;
}

/** x^(2^k) mod P for k = 0, 1, …, 63: enough for any length a part can have. */
const powerTables = new Map<CrcAlgorithm, readonly bigint[]>();
function powersOfX(algorithm: CrcAlgorithm): readonly bigint[] {
  const cached = powerTables.get(algorithm);
  if (cached) return cached;
  const parameters = crcParameters[algorithm];
  const powers: bigint[] = [1n << BigInt(parameters.width - 2)];
  while (powers.length < 64) {
    const last = powers[powers.length - 1] as bigint;
    powers.push(multiplyModP(last, last, parameters));
  }
  powerTables.set(algorithm, powers);
  return powers;
}

/** x^(8·bytes) mod P. */
function xToEightTimes(bytes: number, algorithm: CrcAlgorithm): bigint {
  const parameters = crcParameters[algorithm];
  const powers = powersOfX(algorithm);
  let result = 1n << BigInt(parameters.width - 1);
  let n = BigInt(bytes);
  // Bit k of `bytes` stands for x^(8·2^k) = x^(2^(k+3)).
  for (let k = 3; n > 0n; k++, n >>= 1n) {
    if (n & 1n) result = multiplyModP(powers[k] as bigint, result, parameters);
  }
  return result;
}

const toBigInt = (digest: Buffer): bigint => BigInt(`0x${digest.toString('hex') || '0'}`);

function fromBigInt(value: bigint, width: 32 | 64): Buffer {
  return Buffer.from(value.toString(16).padStart(width / 4, '0'), 'hex');
}

/** The CRC of the concatenation of parts, from each part's CRC (big-endian digest) and size. */
export function combineCrcs(algorithm: CrcAlgorithm, parts: ReadonlyArray<{ readonly digest: Buffer; readonly size: number }>): Buffer {
  const { width } = crcParameters[algorithm];
  let combined = 0n;
  for (const part of parts) {
    const shifted = combined === 0n ? 0n : multiplyModP(xToEightTimes(part.size, algorithm), combined, crcParameters[algorithm]);
    combined = shifted ^ toBigInt(part.digest);
  }
  return fromBigInt(combined, width);
}
