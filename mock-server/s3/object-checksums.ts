import type { ServerResponse as Response } from 'node:http';
import {
  checksumAlgorithmRules,
  checksumAlgorithms,
  isChecksumType,
  multipartUploadChecksum,
  partReadChecksum,
  refusalCode,
  type ChecksumAlgorithm,
  type ChecksumRefusal,
  type ChecksumSetting,
  type ChecksumType,
  type UploadChecksum,
} from '../../spec/index.js';
import type { Checksums, MultipartUpload, StoredObject } from '../store/types.js';
import { combineCrcs, compositeChecksum, isCrc } from './checksum-algorithms.js';
import { S3Error } from './errors.js';
import { checksumHeaderName, decodeBase64Digest } from './signing/checksums.js';

/*
 * Checksums as the S3 controllers see them: what an object, a part or an upload carries (read from the store's
 * records with spec/checksums.ts's rules), how a multipart object's checksum is made of its parts', and how checksums
 * go out in headers and XML.
 */

/** An object's checksum: its algorithm, its value as sent (a composite ends in `-N`) and its type. */
export interface ObjectChecksum extends ChecksumSetting {
  readonly value: string;
}

/** A composite (multipart) checksum ends in `-N`, the number of parts; anything else covers the full object. */
export const typeOfValue = (value: string): ChecksumType => (/-\d+$/.test(value) ? 'COMPOSITE' : 'FULL_OBJECT');

/** The checksum an object carries; null for one stored without any (data written before checksums were kept). */
export function objectChecksum(object: { readonly checksums: Checksums }): ObjectChecksum | null {
  for (const algorithm of checksumAlgorithms) {
    const value = object.checksums[algorithm];
    if (value !== undefined) return { algorithm, value, type: typeOfValue(value) };
  }
  return null;
}

/**
 * The checksum GetObject/HeadObject with `partNumber` and checksum mode send for part `number` of `object`, as spec's
 * partReadChecksum decides: the part's own (from the parts CompleteMultipartUpload kept), the object's, or none. A
 * composite object completed before the mock kept its parts has no part checksum to send.
 */
export function partReadChecksumOf(object: StoredObject, number: number): ObjectChecksum | null {
  const checksum = objectChecksum(object);
  switch (partReadChecksum(checksum, object.partSizes?.length ?? 1)) {
    case 'object':
      return checksum;
    case 'none':
      return null;
    case 'part': {
      const value = checksum === null ? undefined : object.parts?.[number - 1]?.checksums[checksum.algorithm];
      return checksum === null || value === undefined ? null : { algorithm: checksum.algorithm, value, type: 'COMPOSITE' };
    }
  }
}

/**
 * The checksum a multipart upload's object will carry: what CreateMultipartUpload named, else the default. An upload
 * made by an older version has no type recorded and gets its algorithm's default type, as it was combined then.
 */
export function uploadChecksum(upload: MultipartUpload): UploadChecksum {
  const algorithm = checksumAlgorithms.find((candidate) => candidate === upload.checksumAlgorithm) ?? null;
  const type = algorithm !== null && upload.checksumType !== null && isChecksumType(upload.checksumType) ? upload.checksumType : null;
  const decision = multipartUploadChecksum(algorithm, type);
  if (decision.ok) return decision.value;
  // Only settings CreateMultipartUpload accepted are recorded; without a type, every algorithm has its default.
  const untyped = multipartUploadChecksum(algorithm, null);
  if (!untyped.ok) throw new Error(`No default checksum type for ${algorithm ?? 'no algorithm'}`);
  return untyped.value;
}

/** The `ChecksumCRC32`… element (or field) name of an algorithm. */
export const checksumField = (algorithm: ChecksumAlgorithm): string => `Checksum${algorithm}`;

/** `{ ChecksumCRC32: value, ChecksumType: type }` for XML results; empty when there is no checksum. */
export function checksumElements(checksum: ObjectChecksum | null, options: { withType: boolean; value?: string } = { withType: true }): Record<string, string> {
  if (checksum === null) return {};
  const elements: Record<string, string> = { [checksumField(checksum.algorithm)]: options.value ?? checksum.value };
  if (options.withType) elements.ChecksumType = checksum.type;
  return elements;
}

/** `x-amz-checksum-<algorithm>` and `x-amz-checksum-type` for an object's checksum. */
export function setChecksumHeaders(res: Response, checksum: ObjectChecksum | null, options: { withType: boolean } = { withType: true }): void {
  if (checksum === null) return;
  res.setHeader(checksumHeaderName(checksum.algorithm), checksum.value);
  if (options.withType) res.setHeader('x-amz-checksum-type', checksum.type);
}

/** What a refusal's message names: the algorithms and type involved, or the object size declared and computed. */
export interface RefusalDetail {
  readonly algorithm?: ChecksumAlgorithm | null;
  readonly type?: ChecksumType | null;
  readonly declared?: ChecksumAlgorithm | null;
  /** `x-amz-mp-object-size` as sent. */
  readonly sizeHeader?: string;
  /** The sum of the listed parts' sizes. */
  readonly computedSize?: number;
}

/** The error S3 answers a refused checksum (or declared size) with: the code spec gives it, S3's message. */
export function refusalError(refusal: ChecksumRefusal, detail: RefusalDetail): S3Error {
  return new S3Error(refusalCode(refusal), refusalMessage(refusal, detail));
}

function refusalMessage(refusal: ChecksumRefusal, detail: RefusalDetail): string {
  switch (refusal) {
    case 'type-without-algorithm':
      return 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.';
    case 'type-not-for-algorithm':
      return `The ${detail.type ?? ''} checksum type cannot be used with the ${(detail.algorithm ?? '').toLowerCase()} checksum algorithm.`;
    case 'part-algorithm-mismatch':
      return `Checksum Type mismatch occurred, expected checksum Type: ${(detail.algorithm ?? 'null').toLowerCase()}, actual checksum Type: ${(detail.declared ?? 'null').toLowerCase()}`;
    case 'sdk-algorithm-without-checksum':
      return 'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.';
    case 'sdk-algorithm-mismatch':
      return 'Value for x-amz-sdk-checksum-algorithm header is invalid.';
    case 'object-size-malformed':
      return `Value for x-amz-mp-object-size header is invalid: '${detail.sizeHeader ?? ''}'`;
    case 'object-size-negative':
      return `Value for x-amz-mp-object-size header is less than zero: '${detail.sizeHeader ?? ''}'`;
    case 'object-size-mismatch':
      return `The provided 'x-amz-mp-object-size' header value ${detail.sizeHeader ?? ''} does not match what was computed: ${detail.computedSize ?? ''}`;
  }
}

/** `x-amz-checksum-type`, upper case; anything but COMPOSITE or FULL_OBJECT is InvalidRequest. */
export function parseChecksumType(value: string): ChecksumType {
  const named = value.trim().toUpperCase();
  if (!isChecksumType(named)) throw new S3Error('InvalidRequest', 'Value for x-amz-checksum-type header is invalid.');
  return named;
}

/**
 * The checksum of a multipart object, from its parts' stored checksums: a composite of the part checksums, or the
 * full-object CRC combined from the part CRCs and sizes. Empty when a part lacks the checksum (parts stored before the
 * mock kept them): the object then carries none rather than a wrong one.
 */
export function multipartChecksum(setting: ChecksumSetting, parts: ReadonlyArray<{ readonly size: number; readonly checksums: Checksums }>): Checksums {
  const { algorithm, type } = setting;
  const digestBytes = checksumAlgorithmRules.value[algorithm].digestBytes;
  const digests: Buffer[] = [];
  for (const part of parts) {
    const value = part.checksums[algorithm];
    const digest = value === undefined ? undefined : decodeBase64Digest(value, digestBytes);
    if (digest === undefined) return {};
    digests.push(digest);
  }
  if (type === 'COMPOSITE') return { [algorithm]: compositeChecksum(algorithm, digests) };
  if (!isCrc(algorithm)) return {};
  const combined = combineCrcs(
    algorithm,
    parts.map((part, index) => ({ digest: digests[index] as Buffer, size: part.size })),
  );
  return { [algorithm]: combined.toString('base64') };
}
