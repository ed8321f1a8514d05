import type { Fact } from './basis.js';

/**
 * S3's additional checksums, as AWS's "Checking object integrity" describes them: the algorithms, the two ways a
 * multipart object's checksum is made (COMPOSITE: a checksum of the part checksums, suffixed `-N`; FULL_OBJECT: the
 * checksum of the whole object, which CRCs can combine from the parts'), what each operation stores and the default
 * S3 adds when a client sends none, which checksum a read of one part gets, and the checks S3 makes of what a request
 * declares about its integrity (x-amz-sdk-checksum-algorithm, CompleteMultipartUpload's x-amz-mp-object-size). IBEE
 * documents nothing about checksums, so every rule here is AWS's.
 *
 * The mock decides every checksum question with the functions below; `checksumCells` spells out their answers, one
 * cell per operation and what a request names, and the mock's tests check each cell against the mock.
 */

export const checksumAlgorithms = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof checksumAlgorithms)[number];

export const checksumTypes = ['COMPOSITE', 'FULL_OBJECT'] as const;
export type ChecksumType = (typeof checksumTypes)[number];

export interface ChecksumAlgorithmRule {
  /** Bytes of the digest: a value that is not strict base64 of exactly this many bytes is malformed. */
  readonly digestBytes: number;
  /** The types a multipart upload with this algorithm may use, its default (when the upload names none) first. */
  readonly multipartTypes: readonly [ChecksumType, ...ChecksumType[]];
}

export const checksumAlgorithmRules: Fact<Readonly<Record<ChecksumAlgorithm, ChecksumAlgorithmRule>>> = {
  id: 'RULE-CHECKSUM-ALGORITHMS',
  statement:
    'S3 verifies and stores CRC32, CRC32C, CRC64NVME, SHA1 and SHA256 checksums; a multipart object combines CRC64NVME only as a full-object checksum, SHA1 and SHA256 only as a composite one, CRC32 and CRC32C either way (composite unless the upload asks for full-object).',
  basis: 'inferred',
  sources: ['AWS-OBJECT-INTEGRITY'],
  value: {
    CRC32: { digestBytes: 4, multipartTypes: ['COMPOSITE', 'FULL_OBJECT'] },
    CRC32C: { digestBytes: 4, multipartTypes: ['COMPOSITE', 'FULL_OBJECT'] },
    CRC64NVME: { digestBytes: 8, multipartTypes: ['FULL_OBJECT'] },
    SHA1: { digestBytes: 20, multipartTypes: ['COMPOSITE'] },
    SHA256: { digestBytes: 32, multipartTypes: ['COMPOSITE'] },
  },
  note:
    'The algorithms and which type each supports are in AWS\'s page; that CRC32 and CRC32C default to COMPOSITE is what S3 answers (and what it did before full-object checksums existed), not a sentence of the page.',
};

/** What an object (or a multipart upload) carries: one algorithm, and how its value covers the object. */
export interface ChecksumSetting {
  readonly algorithm: ChecksumAlgorithm;
  readonly type: ChecksumType;
}

export const defaultChecksum: Fact<ChecksumSetting> = {
  id: 'RULE-CHECKSUM-DEFAULT',
  statement: 'An upload that carries no checksum gets a CRC64NVME full-object checksum, computed by S3.',
  basis: 'inferred',
  sources: ['AWS-OBJECT-INTEGRITY'],
  value: { algorithm: 'CRC64NVME', type: 'FULL_OBJECT' },
};

/**
 * Algorithms AWS has added since (their names are valid in `x-amz-checksum-*` and `x-amz-checksum-algorithm`) that
 * the mock does not compute: a request naming one is answered NotImplemented rather than refused as unknown.
 */
export const unimplementedChecksumAlgorithms = ['MD5', 'SHA512', 'XXHASH64', 'XXHASH3', 'XXHASH128'] as const;

export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (checksumAlgorithms as readonly string[]).includes(name);
}

export function isChecksumType(name: string): name is ChecksumType {
  return (checksumTypes as readonly string[]).includes(name);
}

/** A multipart upload's checksum: the setting its parts and its object use, and whether the upload named it. */
export interface UploadChecksum extends ChecksumSetting {
  /** False for an upload that named no algorithm: it gets the default, and its parts may carry any checksum. */
  readonly named: boolean;
}

/** Why S3 refuses a request over its integrity checks: a checksum, or the size an object is declared to have. */
export type ChecksumRefusal =
  /** CreateMultipartUpload named a checksum type but no algorithm. */
  | 'type-without-algorithm'
  /** CreateMultipartUpload named a type its algorithm cannot be combined as (COMPOSITE CRC64NVME, FULL_OBJECT SHA). */
  | 'type-not-for-algorithm'
  /** An UploadPart of an upload that named an algorithm carried no checksum, or one of another algorithm. */
  | 'part-algorithm-mismatch'
  /** `x-amz-sdk-checksum-algorithm` named an algorithm, but the request carried no checksum header nor trailer. */
  | 'sdk-algorithm-without-checksum'
  /** `x-amz-sdk-checksum-algorithm` named another algorithm than the checksum the request carried. */
  | 'sdk-algorithm-mismatch'
  /** CompleteMultipartUpload's `x-amz-mp-object-size` is not a whole number S3 can read. */
  | 'object-size-malformed'
  /** CompleteMultipartUpload's `x-amz-mp-object-size` is below zero. */
  | 'object-size-negative'
  /** CompleteMultipartUpload's `x-amz-mp-object-size` is not the sum of the listed parts' sizes. */
  | 'object-size-mismatch';

export type Decision<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: ChecksumRefusal };

/** PutObject and PostObject: the algorithm the request's checksum (header, trailer or form field) named, else the default. */
export function singleUploadChecksum(named: ChecksumAlgorithm | null): ChecksumSetting {
  return named === null ? defaultChecksum.value : { algorithm: named, type: 'FULL_OBJECT' };
}

/** What a copy carries: the setting, and whether the source's value is kept as it is or computed over the bytes. */
export interface CopyChecksum extends ChecksumSetting {
  readonly keepsSourceValue: boolean;
}

/**
 * CopyObject: the algorithm `x-amz-checksum-algorithm` names, computed over the copy; else the source's algorithm, its
 * value kept when it covers the full object and computed anew over the bytes when it was a composite of parts (the
 * copy is one part); a source without any checksum gets the default. A copy is a single object: always FULL_OBJECT.
 */
export function copyChecksum(named: ChecksumAlgorithm | null, source: ChecksumSetting | null): CopyChecksum {
  if (named !== null) return { algorithm: named, type: 'FULL_OBJECT', keepsSourceValue: false };
  if (source === null) return { ...defaultChecksum.value, keepsSourceValue: false };
  return { algorithm: source.algorithm, type: 'FULL_OBJECT', keepsSourceValue: source.type === 'FULL_OBJECT' };
}

/** CreateMultipartUpload: the `x-amz-checksum-algorithm` and `x-amz-checksum-type` it named (null: absent). */
export function multipartUploadChecksum(algorithm: ChecksumAlgorithm | null, type: ChecksumType | null): Decision<UploadChecksum> {
  if (algorithm === null) {
    return type === null ? { ok: true, value: { ...defaultChecksum.value, named: false } } : { ok: false, refusal: 'type-without-algorithm' };
  }
  const allowed = checksumAlgorithmRules.value[algorithm].multipartTypes;
  if (type !== null && !allowed.includes(type)) return { ok: false, refusal: 'type-not-for-algorithm' };
  return { ok: true, value: { algorithm, type: type ?? allowed[0], named: true } };
}

/**
 * UploadPart (and UploadPartCopy, which declares nothing and has the mock compute): the checksum the part declared →
 * the algorithms its stored checksums cover. A part of an upload that named an algorithm must carry exactly that one
 * (UploadPartCopy excepted: the mock computes it over the copied bytes). A part of an upload that named none keeps
 * what it declared and the default, computed, which its object's checksum is combined from.
 */
export function partChecksum(upload: UploadChecksum, declared: ChecksumAlgorithm | null, copied = false): Decision<readonly ChecksumAlgorithm[]> {
  if (upload.named) {
    if (copied || declared === upload.algorithm) return { ok: true, value: [upload.algorithm] };
    return { ok: false, refusal: 'part-algorithm-mismatch' };
  }
  if (declared === null || declared === upload.algorithm) return { ok: true, value: [upload.algorithm] };
  return { ok: true, value: [declared, upload.algorithm] };
}

/** The checksum CompleteMultipartUpload gives the object: the upload's, combined as its type says. */
export function completedChecksum(upload: UploadChecksum): ChecksumSetting {
  return { algorithm: upload.algorithm, type: upload.type };
}

/** What GetObject and HeadObject with `partNumber` send back when asked for checksums (`x-amz-checksum-mode: ENABLED`). */
export type PartReadChecksum =
  /** The part's own checksum, as its UploadPart stored it, with type COMPOSITE. */
  | 'part'
  /** The object's checksum and type: the part is the whole object. */
  | 'object'
  /** No checksum: no value S3 keeps covers exactly the part's bytes. */
  | 'none';

export const partReadChecksumRule: Fact<Readonly<Record<'compositeObject' | 'wholeObject' | 'partOfFullObject', PartReadChecksum>>> = {
  id: 'RULE-CHECKSUM-PART-READ',
  statement:
    'GetObject and HeadObject with partNumber and x-amz-checksum-mode: ENABLED send the part\'s own checksum (type COMPOSITE) for an object whose checksum is a composite of its parts, the object\'s checksum when the part is the whole object (a single-part object, a one-part full-object upload), and none for one part of several of a full-object multipart object.',
  basis: 'inferred',
  sources: ['AWS-GET-OBJECT', 'AWS-OBJECT-INTEGRITY'],
  value: { compositeObject: 'part', wholeObject: 'object', partOfFullObject: 'none' },
  note:
    'AWS\'s pages say that checksum mode returns the stored checksum and that a composite is made of part checksums S3 keeps, not which value a part read gets; these answers are what S3 sends (as recorded against S3 by LocalStack\'s validated GetObject part tests).',
};

/**
 * GetObject/HeadObject `partNumber` with checksum mode: what goes back for a part of an object carrying `object`
 * (null: stored without any checksum), served as `servedParts` parts.
 */
export function partReadChecksum(object: ChecksumSetting | null, servedParts: number): PartReadChecksum {
  const rule = partReadChecksumRule.value;
  if (object === null) return 'none';
  if (object.type === 'COMPOSITE') return rule.compositeObject;
  return servedParts <= 1 ? rule.wholeObject : rule.partOfFullObject;
}

/** The error code S3 answers a refusal with (`InvalidRequest`, but where a rule below says otherwise). */
export type RefusalCode = 'InvalidRequest' | 'BadDigest';

export const sdkAlgorithmNeedsChecksum: Fact<RefusalCode> = {
  id: 'RULE-CHECKSUM-SDK-ALGORITHM-NEEDS-VALUE',
  statement:
    'A request whose x-amz-sdk-checksum-algorithm header names an algorithm must carry a checksum, in an x-amz-checksum-* header or announced in x-amz-trailer; else S3 refuses it with 400 InvalidRequest.',
  basis: 'inferred',
  sources: ['AWS-PUT-OBJECT', 'AWS-UPLOAD-PART'],
  value: 'InvalidRequest',
  note:
    'AWS\'s reference gives the 400; the code and message ("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.") are what S3 answers, as OpenStack Swift\'s S3 API tests record them against AWS. Only the header counts: a presigned URL that carries the algorithm in its query string is used without a checksum by the clients that make it.',
};

export const sdkAlgorithmMismatch: Fact<RefusalCode> = {
  id: 'RULE-CHECKSUM-SDK-ALGORITHM-MISMATCH',
  statement: 'A request whose x-amz-sdk-checksum-algorithm names another algorithm than the checksum it carries is refused with 400.',
  basis: 'ambiguous',
  sources: ['AWS-PUT-OBJECT', 'AWS-UPLOAD-PART'],
  value: 'InvalidRequest',
  note:
    'AWS\'s reference says BadDigest; S3 answers InvalidRequest "Value for x-amz-sdk-checksum-algorithm header is invalid." as OpenStack Swift\'s S3 API tests record it against AWS. The mock answers what S3 does.',
};

/** x-amz-sdk-checksum-algorithm (null: no such header) against the algorithm of the checksum the request carries. */
export function sdkChecksumAlgorithm(named: string | null, carried: ChecksumAlgorithm | null): Decision<null> {
  if (named === null || named.trim() === '') return { ok: true, value: null };
  if (carried === null) return { ok: false, refusal: 'sdk-algorithm-without-checksum' };
  if (named.trim().toUpperCase() !== carried) return { ok: false, refusal: 'sdk-algorithm-mismatch' };
  return { ok: true, value: null };
}

export const multipartObjectSize: Fact<{ readonly max: bigint }> = {
  id: 'RULE-MPU-OBJECT-SIZE',
  statement:
    'CompleteMultipartUpload\'s x-amz-mp-object-size, when sent, is the size the client expects the object to have: a whole number that is not negative, equal to the sum of the listed parts\' sizes; anything else is refused with 400 InvalidRequest and the upload stays.',
  basis: 'inferred',
  sources: ['AWS-COMPLETE-MPU'],
  // The header is an S3 Long: a value beyond it cannot be read as a number at all.
  value: { max: 2n ** 63n - 1n },
  note:
    'AWS\'s reference gives the 400 InvalidRequest for a mismatch; its message ("The provided \'x-amz-mp-object-size\' header value V does not match what was computed: N") is S3\'s as LocalStack\'s validated tests record it. The answers to a malformed or negative value follow versitygw, which mirrors S3.',
};

/** x-amz-mp-object-size as sent (null: absent); an empty value names no size. */
export function declaredObjectSize(value: string | null): Decision<bigint | null> {
  const trimmed = value?.trim() ?? '';
  if (trimmed === '') return { ok: true, value: null };
  if (!/^[+-]?\d+$/.test(trimmed)) return { ok: false, refusal: 'object-size-malformed' };
  const size = BigInt(trimmed);
  if (size < 0n) return { ok: false, refusal: 'object-size-negative' };
  if (size > multipartObjectSize.value.max) return { ok: false, refusal: 'object-size-malformed' };
  return { ok: true, value: size };
}

/** The size a complete request declared (null: none) against the sum of the listed parts' sizes. */
export function objectSizeMatches(declared: bigint | null, partsTotal: number): Decision<null> {
  if (declared !== null && declared !== BigInt(partsTotal)) return { ok: false, refusal: 'object-size-mismatch' };
  return { ok: true, value: null };
}

/** The error code of a refusal: InvalidRequest, but for a rule above that names another. */
export function refusalCode(refusal: ChecksumRefusal): RefusalCode {
  switch (refusal) {
    case 'sdk-algorithm-without-checksum':
      return sdkAlgorithmNeedsChecksum.value;
    case 'sdk-algorithm-mismatch':
      return sdkAlgorithmMismatch.value;
    default:
      return 'InvalidRequest';
  }
}

/** One cell of the table: an operation, what its request names, and what S3 makes of it. */
export type ChecksumCell =
  | { readonly operation: 'PutObject' | 'PostObject'; readonly named: ChecksumAlgorithm | null; readonly outcome: ChecksumSetting }
  | {
      readonly operation: 'CopyObject';
      readonly named: ChecksumAlgorithm | null;
      /** The source object's checksum; null for one stored without any. */
      readonly source: ChecksumSetting | null;
      readonly outcome: CopyChecksum;
    }
  | {
      readonly operation: 'CreateMultipartUpload';
      readonly named: ChecksumAlgorithm | null;
      readonly namedType: ChecksumType | null;
      readonly outcome: Decision<UploadChecksum>;
    }
  | {
      readonly operation: 'UploadPart';
      readonly upload: UploadChecksum;
      readonly declared: ChecksumAlgorithm | null;
      readonly outcome: Decision<readonly ChecksumAlgorithm[]>;
    }
  | { readonly operation: 'CompleteMultipartUpload'; readonly upload: UploadChecksum; readonly outcome: ChecksumSetting }
  | {
      readonly operation: 'GetObjectPart';
      /** The object's checksum; null for one stored without any. */
      readonly object: ChecksumSetting | null;
      /** How many parts the object is served as. */
      readonly parts: number;
      readonly outcome: PartReadChecksum;
    };

/** Operations whose checksum behaviour the table spells out. */
export type ChecksumOperation = ChecksumCell['operation'];

const orNone = <T>(values: readonly T[]): readonly (T | null)[] => [...values, null];

/** Every upload setting CreateMultipartUpload can make: each algorithm with each type it allows, and the default. */
export const uploadChecksums: readonly UploadChecksum[] = [
  ...checksumAlgorithms.flatMap((algorithm) =>
    checksumAlgorithmRules.value[algorithm].multipartTypes.map((type): UploadChecksum => ({ algorithm, type, named: true })),
  ),
  { ...defaultChecksum.value, named: false },
];

/** The checksum a stored object may carry: a single-part object's, a composite of parts, or none (older data). */
const sourceChecksums: readonly (ChecksumSetting | null)[] = [
  ...checksumAlgorithms.map((algorithm): ChecksumSetting => ({ algorithm, type: 'FULL_OBJECT' })),
  ...checksumAlgorithms
    .filter((algorithm) => checksumAlgorithmRules.value[algorithm].multipartTypes.includes('COMPOSITE'))
    .map((algorithm): ChecksumSetting => ({ algorithm, type: 'COMPOSITE' })),
  null,
];

/** The table: algorithm × type × operation, as the mock implements it. */
export const checksumCells: readonly ChecksumCell[] = [
  ...(['PutObject', 'PostObject'] as const).flatMap((operation) =>
    orNone(checksumAlgorithms).map((named): ChecksumCell => ({ operation, named, outcome: singleUploadChecksum(named) })),
  ),
  ...orNone(checksumAlgorithms).flatMap((named) =>
    sourceChecksums.map((source): ChecksumCell => ({ operation: 'CopyObject', named, source, outcome: copyChecksum(named, source) })),
  ),
  ...orNone(checksumAlgorithms).flatMap((named) =>
    orNone(checksumTypes).map(
      (namedType): ChecksumCell => ({ operation: 'CreateMultipartUpload', named, namedType, outcome: multipartUploadChecksum(named, namedType) }),
    ),
  ),
  ...uploadChecksums.flatMap((upload) =>
    orNone(checksumAlgorithms).map((declared): ChecksumCell => ({ operation: 'UploadPart', upload, declared, outcome: partChecksum(upload, declared) })),
  ),
  ...uploadChecksums.map((upload): ChecksumCell => ({ operation: 'CompleteMultipartUpload', upload, outcome: completedChecksum(upload) })),
  // Each stored checksum as one part and, where a multipart object can carry it, as two; none, as older data has it.
  ...sourceChecksums.flatMap((object) =>
    [1, 2]
      .filter((parts) => parts === 1 || object === null || checksumAlgorithmRules.value[object.algorithm].multipartTypes.includes(object.type))
      .map((parts): ChecksumCell => ({ operation: 'GetObjectPart', object, parts, outcome: partReadChecksum(object, parts) })),
  ),
];
