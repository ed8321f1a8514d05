import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checksumAlgorithmRules,
  checksumAlgorithms,
  checksumCells,
  checksumTypes,
  copyChecksum,
  declaredObjectSize,
  defaultChecksum,
  multipartObjectSize,
  multipartUploadChecksum,
  objectSizeMatches,
  partChecksum,
  partReadChecksum,
  partReadChecksumRule,
  refusalCode,
  sdkAlgorithmMismatch,
  sdkAlgorithmNeedsChecksum,
  sdkChecksumAlgorithm,
  singleUploadChecksum,
  sources,
  sourcesBeyondDigests,
  uploadChecksums,
  type ChecksumCell,
} from './index.js';

const cellsOf = <O extends ChecksumCell['operation']>(operation: O) =>
  checksumCells.filter((cell): cell is ChecksumCell & { readonly operation: O } => cell.operation === operation);

describe('checksum table', () => {
  it('cites a known source and gives every algorithm a digest size and a default multipart type it allows', () => {
    const facts = [checksumAlgorithmRules, defaultChecksum, partReadChecksumRule, sdkAlgorithmNeedsChecksum, sdkAlgorithmMismatch, multipartObjectSize];
    for (const fact of facts) for (const tag of fact.sources) expect(Object.keys(sources)).toContain(tag);
    // AWS's pages are read directly, not through the reference digests.
    for (const fact of facts) for (const tag of fact.sources) expect(sourcesBeyondDigests).toContain(tag);
    expect(new Set(facts.map((fact) => fact.id)).size).toBe(facts.length);
    for (const algorithm of checksumAlgorithms) {
      const rule = checksumAlgorithmRules.value[algorithm];
      expect(rule.digestBytes, algorithm).toBeGreaterThan(0);
      expect(checksumTypes, algorithm).toContain(rule.multipartTypes[0]);
    }
  });

  it('states AWS\'s key cells: CRC64NVME full-object only, SHAs composite only, CRC32/CRC32C either, composite by default', () => {
    const made = (algorithm: (typeof checksumAlgorithms)[number] | null, type: 'COMPOSITE' | 'FULL_OBJECT' | null) => multipartUploadChecksum(algorithm, type);
    expect(made('CRC64NVME', 'COMPOSITE')).toEqual({ ok: false, refusal: 'type-not-for-algorithm' });
    expect(made('CRC64NVME', null)).toEqual({ ok: true, value: { algorithm: 'CRC64NVME', type: 'FULL_OBJECT', named: true } });
    for (const sha of ['SHA1', 'SHA256'] as const) {
      expect(made(sha, 'FULL_OBJECT')).toEqual({ ok: false, refusal: 'type-not-for-algorithm' });
      expect(made(sha, null)).toEqual({ ok: true, value: { algorithm: sha, type: 'COMPOSITE', named: true } });
    }
    for (const crc of ['CRC32', 'CRC32C'] as const) {
      expect(made(crc, 'FULL_OBJECT')).toEqual({ ok: true, value: { algorithm: crc, type: 'FULL_OBJECT', named: true } });
      expect(made(crc, null)).toEqual({ ok: true, value: { algorithm: crc, type: 'COMPOSITE', named: true } });
    }
    expect(made(null, 'FULL_OBJECT')).toEqual({ ok: false, refusal: 'type-without-algorithm' });
    expect(made(null, null)).toEqual({ ok: true, value: { algorithm: 'CRC64NVME', type: 'FULL_OBJECT', named: false } });
  });

  it('gives single uploads and copies a full-object checksum, the default when nothing is named', () => {
    expect(singleUploadChecksum(null)).toEqual(defaultChecksum.value);
    for (const algorithm of checksumAlgorithms) expect(singleUploadChecksum(algorithm)).toEqual({ algorithm, type: 'FULL_OBJECT' });
    expect(copyChecksum(null, null)).toEqual({ ...defaultChecksum.value, keepsSourceValue: false });
    expect(copyChecksum(null, { algorithm: 'SHA1', type: 'FULL_OBJECT' })).toEqual({ algorithm: 'SHA1', type: 'FULL_OBJECT', keepsSourceValue: true });
    expect(copyChecksum(null, { algorithm: 'SHA1', type: 'COMPOSITE' })).toEqual({ algorithm: 'SHA1', type: 'FULL_OBJECT', keepsSourceValue: false });
    expect(copyChecksum('CRC32C', { algorithm: 'SHA1', type: 'FULL_OBJECT' })).toEqual({ algorithm: 'CRC32C', type: 'FULL_OBJECT', keepsSourceValue: false });
  });

  it('holds a part to its upload\'s algorithm only when the upload named one', () => {
    const named = { algorithm: 'SHA256', type: 'COMPOSITE', named: true } as const;
    expect(partChecksum(named, 'SHA256')).toEqual({ ok: true, value: ['SHA256'] });
    expect(partChecksum(named, 'CRC32')).toEqual({ ok: false, refusal: 'part-algorithm-mismatch' });
    expect(partChecksum(named, null)).toEqual({ ok: false, refusal: 'part-algorithm-mismatch' });
    expect(partChecksum(named, null, true)).toEqual({ ok: true, value: ['SHA256'] });
    const unnamed = { ...defaultChecksum.value, named: false };
    expect(partChecksum(unnamed, null)).toEqual({ ok: true, value: ['CRC64NVME'] });
    expect(partChecksum(unnamed, 'CRC32')).toEqual({ ok: true, value: ['CRC32', 'CRC64NVME'] });
  });

  it('has one cell per operation and what its request can name', () => {
    const named = checksumAlgorithms.length + 1;
    expect(cellsOf('PutObject')).toHaveLength(named);
    expect(cellsOf('PostObject')).toHaveLength(named);
    expect(cellsOf('CreateMultipartUpload')).toHaveLength(named * (checksumTypes.length + 1));
    // Each algorithm with each type it allows, and the default: 2 + 2 + 1 + 1 + 1 + 1.
    expect(uploadChecksums).toHaveLength(8);
    expect(cellsOf('UploadPart')).toHaveLength(uploadChecksums.length * named);
    expect(cellsOf('CompleteMultipartUpload')).toHaveLength(uploadChecksums.length);
    // Sources: each algorithm full-object, the four that can be composite, and none.
    expect(cellsOf('CopyObject')).toHaveLength(named * (checksumAlgorithms.length + 4 + 1));
    // Every stored checksum as one part; as two, the three CRCs full-object, the four composites, and none.
    expect(cellsOf('GetObjectPart')).toHaveLength(checksumAlgorithms.length + 4 + 1 + 3 + 4 + 1);
    const keys = checksumCells.map((cell) => JSON.stringify({ ...cell, outcome: undefined }));
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('a read of one part (GetObject/HeadObject partNumber, checksum mode)', () => {
  it('gets the part\'s checksum of a composite object, the object\'s when the part is the object, else none', () => {
    for (const algorithm of ['CRC32', 'SHA256'] as const) {
      for (const parts of [1, 2]) expect(partReadChecksum({ algorithm, type: 'COMPOSITE' }, parts)).toBe('part');
    }
    expect(partReadChecksum({ algorithm: 'SHA1', type: 'FULL_OBJECT' }, 1)).toBe('object');
    expect(partReadChecksum({ algorithm: 'CRC64NVME', type: 'FULL_OBJECT' }, 1)).toBe('object');
    expect(partReadChecksum({ algorithm: 'CRC64NVME', type: 'FULL_OBJECT' }, 2)).toBe('none');
    expect(partReadChecksum(null, 1)).toBe('none');
    for (const cell of cellsOf('GetObjectPart')) expect(cell.outcome).toBe(partReadChecksum(cell.object, cell.parts));
  });
});

describe('what a request declares about its integrity', () => {
  it('x-amz-sdk-checksum-algorithm needs a checksum of the algorithm it names', () => {
    expect(sdkChecksumAlgorithm(null, null)).toEqual({ ok: true, value: null });
    expect(sdkChecksumAlgorithm('', null)).toEqual({ ok: true, value: null });
    expect(sdkChecksumAlgorithm(null, 'CRC32')).toEqual({ ok: true, value: null });
    expect(sdkChecksumAlgorithm('crc32', 'CRC32')).toEqual({ ok: true, value: null });
    expect(sdkChecksumAlgorithm('SHA256', null)).toEqual({ ok: false, refusal: 'sdk-algorithm-without-checksum' });
    expect(sdkChecksumAlgorithm('SHA256', 'CRC32')).toEqual({ ok: false, refusal: 'sdk-algorithm-mismatch' });
    expect(sdkChecksumAlgorithm('MD4', 'CRC32')).toEqual({ ok: false, refusal: 'sdk-algorithm-mismatch' });
    expect([refusalCode('sdk-algorithm-without-checksum'), refusalCode('sdk-algorithm-mismatch')]).toEqual(['InvalidRequest', 'InvalidRequest']);
  });

  it('x-amz-mp-object-size is a whole number, not negative, equal to the parts\' total', () => {
    expect(declaredObjectSize(null)).toEqual({ ok: true, value: null });
    expect(declaredObjectSize(' ')).toEqual({ ok: true, value: null });
    expect(declaredObjectSize('10')).toEqual({ ok: true, value: 10n });
    expect(declaredObjectSize('+007')).toEqual({ ok: true, value: 7n });
    expect(declaredObjectSize('-0')).toEqual({ ok: true, value: 0n });
    expect(declaredObjectSize('-1')).toEqual({ ok: false, refusal: 'object-size-negative' });
    for (const bad of ['ten', '1.5', '1e3', '0x10', '5 6', String(multipartObjectSize.value.max + 1n)]) {
      expect(declaredObjectSize(bad), bad).toEqual({ ok: false, refusal: 'object-size-malformed' });
    }
    expect(objectSizeMatches(null, 5)).toEqual({ ok: true, value: null });
    expect(objectSizeMatches(5n, 5)).toEqual({ ok: true, value: null });
    expect(objectSizeMatches(6n, 5)).toEqual({ ok: false, refusal: 'object-size-mismatch' });
  });

  it('any x-amz-mp-object-size is accepted exactly when it reads as the parts\' total', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String)), fc.nat({ max: 2 ** 42 }), (value, total) => {
        const declared = declaredObjectSize(value);
        const accepted = declared.ok && objectSizeMatches(declared.value, total).ok;
        const trimmed = value.trim();
        const expected = trimmed === '' || (/^[+-]?\d+$/.test(trimmed) && BigInt(trimmed) === BigInt(total));
        expect(accepted, value).toBe(expected);
      }),
    );
  });
});
