import {
  checksumAlgorithms,
  completedChecksum,
  declaredObjectSize,
  multipartLimits,
  multipartUploadChecksum,
  objectSizeMatches,
  partChecksum,
  type ChecksumAlgorithm,
  type UploadChecksum,
} from '../../../spec/index.js';
import type { ByteRange } from '../../store/blobs.js';
import type { Checksums, MultipartUpload, StoredPart } from '../../store/types.js';
import { createChecksum } from '../checksum-algorithms.js';
import { S3Error } from '../errors.js';
import {
  checksumElements,
  checksumField,
  multipartChecksum,
  objectChecksum,
  parseChecksumType,
  refusalError,
  setChecksumHeaders,
  typeOfValue,
  uploadChecksum,
} from '../object-checksums.js';
import { checksumHeaderAlgorithm, checksumHeaderName, isChecksumValue } from '../signing/checksums.js';
import { malformedXml, parseXmlBody, sendXml, xmlRead } from '../xml.js';
import {
  encoder,
  header,
  integerParam,
  invalidArgument,
  isoTime,
  maxXmlBodyBytes,
  metadataFromHeaders,
  objectKey,
  owner,
  quoted,
  requireBucket,
  sendEmpty,
  objectUrl,
  type Controller,
  type S3Call,
} from './common.js';
import { copySourceObject, declaredLength, namedChecksumAlgorithm, writePrecondition } from './objects.js';

/** Multipart uploads: create, upload (or copy) parts, list parts, complete, abort. */

const limits = multipartLimits.value;

function upload(call: S3Call): MultipartUpload {
  const key = objectKey(call);
  const bucket = requireBucket(call);
  const uploadId = call.route.query.get('uploadId');
  if (uploadId === null || uploadId === '') throw new S3Error('InvalidArgument', 'This operation requires an upload id');
  return call.storage.requireUpload(bucket.name, key, uploadId);
}

function partNumber(call: S3Call): number {
  const raw = call.route.query.get('partNumber') ?? '';
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 1 && value <= limits.maxParts)) {
    throw invalidArgument('partNumber', raw, `Part number must be an integer between 1 and ${limits.maxParts}, inclusive`);
  }
  return value;
}

export const createMultipartUpload: Controller = async (call) => {
  const key = objectKey(call);
  const bucket = requireBucket(call);
  const algorithm = namedChecksumAlgorithm(call);
  const typeHeader = header(call.req, 'x-amz-checksum-type');
  const type = typeHeader === undefined || typeHeader.trim() === '' ? null : parseChecksumType(typeHeader);
  const decision = multipartUploadChecksum(algorithm, type);
  if (!decision.ok) throw refusalError(decision.refusal, { algorithm, type });
  const setting = decision.value;
  const metadata = metadataFromHeaders(call.req.headers, 'header');
  const created = call.storage.createUpload(bucket.name, key, metadata, setting.named ? { algorithm: setting.algorithm, type: setting.type } : null);
  if (setting.named) {
    call.res.setHeader('x-amz-checksum-algorithm', setting.algorithm);
    call.res.setHeader('x-amz-checksum-type', setting.type);
  }
  sendXml(call.res, 200, 'InitiateMultipartUploadResult', { Bucket: bucket.name, Key: key, UploadId: created.uploadId });
};

/** The algorithms a part of `setting`'s upload stores, or the refusal of the part's declared checksum. */
function partAlgorithms(setting: UploadChecksum, declared: ChecksumAlgorithm | null, copied = false): readonly ChecksumAlgorithm[] {
  const decision = partChecksum(setting, declared, copied);
  if (!decision.ok) throw refusalError(decision.refusal, { algorithm: setting.algorithm, declared });
  return decision.value;
}

/**
 * The checksum an UploadPart or UploadPartCopy answers with: the one its request declared, else the upload's when the
 * upload named one. A part of an upload that named none answers with what it declared, or nothing.
 */
function partChecksumEcho(setting: UploadChecksum, part: StoredPart, declared: ChecksumAlgorithm | null) {
  const algorithm = declared ?? (setting.named ? setting.algorithm : null);
  const value = algorithm === null ? undefined : part.checksums[algorithm];
  return algorithm === null || value === undefined ? null : { algorithm, value, type: 'FULL_OBJECT' as const };
}

export const uploadPart: Controller = async (call) => {
  const number = partNumber(call);
  const target = upload(call);
  declaredLength(call, limits.maxPartBytes);
  const setting = uploadChecksum(target);
  const declared = call.body.declaredChecksum;
  for (const algorithm of partAlgorithms(setting, declared)) call.body.computeChecksum(algorithm);
  const part = await call.storage.putPart(target, number, call.body);
  call.res.setHeader('ETag', quoted(part.etag));
  setChecksumHeaders(call.res, partChecksumEcho(setting, part, declared), { withType: false });
  sendEmpty(call.res, 200);
};

function copySourceRange(value: string | undefined, size: number): ByteRange | null {
  if (value === undefined) return null;
  const match = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  const start = Number(match?.[1]);
  const end = Number(match?.[2]);
  if (!match || end < start || end >= size) {
    throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${size}`, {
      ArgumentName: 'x-amz-copy-source-range',
      ArgumentValue: value,
    });
  }
  return { start, end };
}

export const uploadPartCopy: Controller = async (call) => {
  const number = partNumber(call);
  const target = upload(call);
  const source = copySourceObject(call);
  const range = copySourceRange(header(call.req, 'x-amz-copy-source-range'), source.size);
  const length = range ? range.end - range.start + 1 : source.size;
  if (length > limits.maxPartBytes) {
    throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', {
      ProposedSize: String(length),
      MaxSizeAllowed: String(limits.maxPartBytes),
    });
  }
  const setting = uploadChecksum(target);
  // The copied bytes carry no declared checksum: the part's is computed as they are copied.
  const [algorithm] = partAlgorithms(setting, null, true) as [ChecksumAlgorithm];
  const part = await call.storage.copyPart(target, number, source, range, createChecksum(algorithm));
  sendXml(call.res, 200, 'CopyPartResult', {
    ETag: quoted(part.etag),
    LastModified: isoTime(part.lastModified),
    ...checksumElements(partChecksumEcho(setting, part, null), { withType: false }),
  });
};

/** Every part but the last is at least S3's minimum part size. */
function requireMinimumPartSizes(parts: readonly StoredPart[]): void {
  for (const part of parts.slice(0, -1)) {
    if (part.size < limits.minPartBytes) {
      throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
        ProposedSize: String(part.size),
        MinSizeAllowed: String(limits.minPartBytes),
        PartNumber: String(part.partNumber),
        ETag: `"${part.etag}"`,
      });
    }
  }
}

/** A part as CompleteMultipartUpload's body lists it. */
interface ListedPart {
  readonly partNumber: number;
  readonly etag: string;
  /** The part checksums the request lists (ChecksumCRC32…), by algorithm. */
  readonly checksums: Checksums;
}

function readListedParts(body: Buffer): ListedPart[] {
  const request = parseXmlBody(body, 'CompleteMultipartUpload', ['Part']);
  const parts = xmlRead.elements(request, 'Part').map((part): ListedPart => {
    const rawNumber = xmlRead.trimmed(part, 'PartNumber');
    const etag = xmlRead.trimmed(part, 'ETag');
    if (rawNumber === undefined || etag === undefined || !/^\d+$/.test(rawNumber)) throw malformedXml();
    const checksums: Record<string, string> = {};
    for (const algorithm of checksumAlgorithms) {
      const value = xmlRead.trimmed(part, checksumField(algorithm));
      if (value !== undefined) checksums[algorithm] = value;
    }
    // One checksum per part, each well-formed.
    const listed = Object.entries(checksums);
    if (listed.length > 1 || listed.some(([algorithm, value]) => !isChecksumValue(algorithm as ChecksumAlgorithm, value))) {
      throw invalidArgument('Checksum', listed.map(([, value]) => value).join(','), 'Invalid Base64 or multiple checksums present in request');
    }
    return { partNumber: Number(rawNumber), etag, checksums };
  });
  if (parts.length === 0 || parts.length > limits.maxParts) throw malformedXml();
  return parts;
}

/**
 * The part checksums a complete request lists, against the parts stored. An upload that named no algorithm takes no
 * part checksums; one that did takes its algorithm's, each matching the stored part (else InvalidPart), and for a
 * composite needs one for every part.
 */
function checkListedChecksums(setting: UploadChecksum, listed: readonly ListedPart[], chosen: readonly StoredPart[], uploadId: string): void {
  chosen.forEach((part, index) => {
    const request = listed[index] as ListedPart;
    const invalidPart = () =>
      new S3Error('InvalidPart', 'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.', {
        UploadId: uploadId,
        PartNumber: String(request.partNumber),
        ETag: request.etag,
      });
    const entries = Object.entries(request.checksums);
    if (!setting.named) {
      if (entries.length > 0) throw invalidPart();
      return;
    }
    const value = request.checksums[setting.algorithm];
    if (value !== undefined) {
      if (part.checksums[setting.algorithm] !== value) throw invalidPart();
      return;
    }
    if (setting.type !== 'COMPOSITE') return;
    const other = entries[0];
    if (other) {
      throw new S3Error('BadDigest', `The ${other[0].toLowerCase()} you specified for part ${request.partNumber} did not match what we received.`);
    }
    throw new S3Error(
      'InvalidRequest',
      `The upload was created using a ${setting.algorithm.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${request.partNumber} in the request.`,
    );
  });
}

/** The object-level checksum a complete request declares in `x-amz-checksum-*` headers: at most one, well-formed. */
function declaredObjectChecksum(call: S3Call): { readonly algorithm: ChecksumAlgorithm; readonly value: string } | null {
  const declared: { algorithm: ChecksumAlgorithm; value: string }[] = [];
  for (const name of Object.keys(call.req.headers)) {
    const algorithm = checksumHeaderAlgorithm(name);
    const value = algorithm === undefined ? undefined : header(call.req, name);
    if (algorithm !== undefined && value !== undefined) declared.push({ algorithm, value: value.trim() });
  }
  if (declared.length > 1) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const [first] = declared;
  if (first === undefined) return null;
  // A composite value may carry its part count.
  const match = /^(.*?)(?:-(\d+))?$/.exec(first.value);
  if (!isChecksumValue(first.algorithm, match?.[1] ?? '')) {
    throw new S3Error('InvalidRequest', `Value for ${checksumHeaderName(first.algorithm)} header is invalid.`);
  }
  return first;
}

/**
 * The object's checksum, from its parts', checked against the one the request declared. An upload that named no
 * algorithm ignores a declared checksum, as S3 does.
 */
function completedChecksums(setting: UploadChecksum, declared: { readonly algorithm: ChecksumAlgorithm; readonly value: string } | null, parts: readonly StoredPart[]): Checksums {
  const checksums = multipartChecksum(completedChecksum(setting), parts);
  const computed = checksums[setting.algorithm];
  if (!setting.named || declared === null || computed === undefined) return checksums;
  const mismatch = () => new S3Error('BadDigest', `The ${setting.algorithm.toLowerCase()} you specified did not match the calculated checksum.`);
  if (declared.algorithm !== setting.algorithm) throw mismatch();
  const value = typeOfValue(computed) === 'COMPOSITE' && !/-\d+$/.test(declared.value) ? `${declared.value}-${parts.length}` : declared.value;
  if (value !== computed) throw mismatch();
  return checksums;
}

/**
 * `x-amz-mp-object-size`: the object size the request expects (null when absent), checked against the parts once they
 * are known. A value that is no whole number, or is negative, is refused before any part is looked at.
 */
function readDeclaredSize(call: S3Call): bigint | null {
  const raw = header(call.req, 'x-amz-mp-object-size') ?? null;
  const decision = declaredObjectSize(raw);
  if (decision.ok) return decision.value;
  // A negative value is named as S3 reads it (a number); any other refused value as it was sent.
  const trimmed = (raw ?? '').trim();
  throw refusalError(decision.refusal, { sizeHeader: decision.refusal === 'object-size-negative' ? String(BigInt(trimmed)) : trimmed });
}

export const completeMultipartUpload: Controller = async (call) => {
  const target = upload(call);
  const setting = uploadChecksum(target);
  const typeHeader = header(call.req, 'x-amz-checksum-type');
  if (typeHeader !== undefined && typeHeader.trim() !== '') {
    const type = parseChecksumType(typeHeader);
    const uploadType = setting.named ? setting.type : null;
    if (type !== uploadType) {
      throw new S3Error('InvalidRequest', `The upload was created using the ${uploadType ?? 'null'} checksum mode. The complete request must use the same checksum mode.`);
    }
  }
  const declared = declaredObjectChecksum(call);
  const parts = readListedParts(await call.body.buffer(maxXmlBodyBytes));
  const declaredSize = readDeclaredSize(call);
  // Checked in S3's order, each over the whole list: ordering here, then parts and ETags (the store), their
  // checksums and sizes, the object size the request declared, then the object's checksum.
  parts.reduce((previous, part) => {
    if (part.partNumber <= previous) {
      throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
    }
    return part.partNumber;
  }, 0);
  const precondition = writePrecondition(call, target.bucket, target.key);
  const object = await call.storage.completeUpload(target, parts, {
    checkParts: (chosen) => {
      checkListedChecksums(setting, parts, chosen, target.uploadId);
      requireMinimumPartSizes(chosen);
      const total = chosen.reduce((sum, part) => sum + part.size, 0);
      const size = objectSizeMatches(declaredSize, total);
      if (!size.ok) throw refusalError(size.refusal, { sizeHeader: String(declaredSize), computedSize: total });
    },
    combineChecksums: (_upload, chosen) => completedChecksums(setting, declared, chosen),
    precondition,
  });
  sendXml(call.res, 200, 'CompleteMultipartUploadResult', {
    Location: objectUrl(call, target.bucket, target.key),
    Bucket: target.bucket,
    Key: target.key,
    ETag: quoted(object.etag),
    ...checksumElements(objectChecksum(object)),
  });
};

export const abortMultipartUpload: Controller = async (call) => {
  await call.storage.abortUpload(upload(call));
  sendEmpty(call.res, 204);
};

export const listParts: Controller = async (call) => {
  const target = upload(call);
  const maxParts = integerParam(call, 'max-parts', { min: 0, max: limits.maxListItems, fallback: limits.maxListItems, clampMax: true });
  const marker = integerParam(call, 'part-number-marker', { min: 0, max: limits.maxParts, fallback: 0 });
  const { parts, isTruncated } = call.storage.listParts(target.uploadId, marker, maxParts);
  const encode = encoder(call.route.query.get('encoding-type') === 'url' ? 'url' : null);
  const setting = uploadChecksum(target);
  sendXml(call.res, 200, 'ListPartsResult', {
    Bucket: target.bucket,
    Key: encode(target.key),
    UploadId: target.uploadId,
    PartNumberMarker: marker,
    NextPartNumberMarker: parts.at(-1)?.partNumber ?? marker,
    MaxParts: maxParts,
    IsTruncated: isTruncated,
    Part: parts.map((part) => {
      // Each part shows the checksum its object is made from: the upload's algorithm (S3's default for an upload
      // that named none), when the part has it.
      const value = part.checksums[setting.algorithm];
      return {
        PartNumber: part.partNumber,
        LastModified: isoTime(part.lastModified),
        ETag: quoted(part.etag),
        Size: part.size,
        ...(value === undefined ? {} : { [checksumField(setting.algorithm)]: value }),
      };
    }),
    Initiator: owner(call),
    Owner: owner(call),
    StorageClass: 'STANDARD',
    ChecksumAlgorithm: setting.algorithm,
    ChecksumType: setting.type,
  });
};
