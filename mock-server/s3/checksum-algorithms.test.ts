import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksumAlgorithms } from '../../spec/index.js';
import { combineCrcs, compositeChecksum, createChecksum, crcParameters, isCrc } from './checksum-algorithms.js';
import { bitwiseCrc, referenceChecksum, referenceDigest, referenceMultipartChecksum } from './test/reference-checksums.js';

/** A body and a way to cut it into consecutive pieces (some of them empty). */
const splitBody = fc
  .tuple(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 6 }))
  .map(([bytes, cuts]) => {
    const data = Buffer.from(bytes);
    const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
    const pieces: Buffer[] = [];
    let start = 0;
    for (const point of [...points, data.length]) {
      pieces.push(data.subarray(start, point));
      start = point;
    }
    return { data, pieces };
  });

describe('checksum algorithms', () => {
  it('give the catalogued check values for "123456789"', () => {
    const check = Buffer.from('123456789');
    const expected = { CRC32: 'cbf43926', CRC32C: 'e3069283', CRC64NVME: 'ae8b14860a799888' } as const;
    for (const [algorithm, hex] of Object.entries(expected)) {
      const checksum = createChecksum(algorithm as keyof typeof expected);
      checksum.update(check);
      expect(checksum.digest().toString('hex'), algorithm).toBe(hex);
      expect(bitwiseCrc(algorithm as keyof typeof expected, check).toString('hex'), `reference ${algorithm}`).toBe(hex);
    }
  });

  it('(the test reference: its byte table agrees with the bit-by-bit definition)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('CRC32', 'CRC32C', 'CRC64NVME' as const), (data, algorithm) => {
        expect(referenceDigest(algorithm, data).equals(bitwiseCrc(algorithm, data))).toBe(true);
      }),
    );
  });

  it('compute, over any body fed in any pieces, what the reference computes over the whole', () => {
    fc.assert(
      fc.property(splitBody, fc.constantFrom(...checksumAlgorithms), ({ data, pieces }, algorithm) => {
        const checksum = createChecksum(algorithm);
        for (const piece of pieces) checksum.update(piece);
        expect(checksum.digestBase64()).toBe(referenceChecksum(algorithm, data));
      }),
    );
  });

  it('combine part CRCs into the CRC of the whole object, for any split', () => {
    const crcs = checksumAlgorithms.filter(isCrc);
    expect(crcs.sort()).toEqual(Object.keys(crcParameters).sort());
    fc.assert(
      fc.property(splitBody, fc.constantFrom(...crcs), ({ data, pieces }, algorithm) => {
        const combined = combineCrcs(
          algorithm,
          pieces.map((piece) => ({ digest: referenceDigest(algorithm, piece), size: piece.length })),
        );
        expect(combined.toString('base64')).toBe(referenceMultipartChecksum(algorithm, 'FULL_OBJECT', pieces));
        expect(combined.toString('base64')).toBe(referenceChecksum(algorithm, data));
      }),
    );
  });

  it('combine across part sizes far larger than any test body (the length only enters as a power of x)', () => {
    // crc(A ‖ zeros(n) ‖ B) from the parts, against a direct computation: n large enough to use many powers.
    for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
      const zeros = Buffer.alloc(70_001);
      const a = Buffer.from('first part');
      const b = Buffer.from('last');
      const direct = createChecksum(algorithm);
      for (const piece of [a, zeros, b]) direct.update(piece);
      const digest = (data: Buffer) => {
        const checksum = createChecksum(algorithm);
        checksum.update(data);
        return checksum.digest();
      };
      const combined = combineCrcs(algorithm, [a, zeros, b].map((piece) => ({ digest: digest(piece), size: piece.length })));
      expect(combined.equals(direct.digest()), algorithm).toBe(true);
    }
  });

  it('make a composite checksum of the part checksums, suffixed with the number of parts', () => {
    fc.assert(
      fc.property(splitBody, fc.constantFrom(...checksumAlgorithms), ({ pieces }, algorithm) => {
        const composite = compositeChecksum(
          algorithm,
          pieces.map((piece) => referenceDigest(algorithm, piece)),
        );
        expect(composite).toBe(referenceMultipartChecksum(algorithm, 'COMPOSITE', pieces));
      }),
    );
  });
});
