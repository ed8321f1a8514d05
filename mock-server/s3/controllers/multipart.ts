import { multipartLimits } from '../../../spec/index.js';
import type { ByteRange } from '../../store/blobs.js';
import type { MultipartUpload, PartChecksumCombiner, StoredPart } from '../../store/types.js';
import { checksumAlgorithms, createChecksum } from '../signing/checksums.js';
import { S3Error } from '../errors.js';
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
  setChecksumHeaders,
  objectUrl,
  type Controller,
  type S3Call,
} from './common.js';
import { copySourceObject, declaredLength, writePrecondition } from './objects.js';

/** Multipart uploads: create, upload (or copy) parts, list parts, complete, abort. */

const limits = multipartLimits.value;
/**
 * S3's composite checksum of a multipart object: the checksum of the concatenated binary part checksums, then
 * `-N`. Only when the upload named an algorithm and every part carried it; CRC64NVME exists only as full-object.
 */
const compositeChecksums: PartChecksumCombiner = (upload, parts) => {
  const algorithm = checksumAlgorithms.find((candidate) => candidate === upload.checksumAlgorithm);
  if (!algorithm || algorithm === 'CRC64NVME') return {};
  const values = parts.map((part) => part.checksums[algorithm]);
  if (values.some((value) => value === undefined)) return {};
  const combined = createChecksum(algorithm);
  for (const value of values) combined.update(Buffer.from(value as string, 'base64'));
  return { [algorithm]: `${combined.digestBase64()}-${parts.length}` };
};

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
  const algorithmHeader = header(call.req, 'x-amz-checksum-algorithm')?.toUpperCase() ?? null;
  if (algorithmHeader !== null && !checksumAlgorithms.some((algorithm) => algorithm === algorithmHeader)) {
    throw invalidArgument('x-amz-checksum-algorithm', algorithmHeader, 'Checksum algorithm provided is unsupported.');
  }
  const created = call.storage.createUpload(bucket.name, key, metadataFromHeaders(call.req.headers, 'header'), algorithmHeader);
  if (algorithmHeader) call.res.setHeader('x-amz-checksum-algorithm', algorithmHeader);
  sendXml(call.res, 200, 'InitiateMultipartUploadResult', { Bucket: bucket.name, Key: key, UploadId: created.uploadId });
};

export const uploadPart: Controller = async (call) => {
  const number = partNumber(call);
  const target = upload(call);
  declaredLength(call, limits.maxPartBytes);
  const part = await call.storage.putPart(target, number, call.body);
  call.res.setHeader('ETag', quoted(part.etag));
  setChecksumHeaders(call.res, part.checksums);
  call.res.removeHeader('x-amz-checksum-type');
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
  const part = await call.storage.copyPart(target, number, source, range);
  sendXml(call.res, 200, 'CopyPartResult', { ETag: quoted(part.etag), LastModified: isoTime(part.lastModified) });
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

export const completeMultipartUpload: Controller = async (call) => {
  const target = upload(call);
  const request = parseXmlBody(await call.body.buffer(maxXmlBodyBytes), 'CompleteMultipartUpload', ['Part']);
  const parts = xmlRead.elements(request, 'Part').map((part) => {
    const rawNumber = xmlRead.trimmed(part, 'PartNumber');
    const etag = xmlRead.trimmed(part, 'ETag');
    if (rawNumber === undefined || etag === undefined || !/^\d+$/.test(rawNumber)) throw malformedXml();
    const checksums: Record<string, string> = {};
    for (const algorithm of checksumAlgorithms) {
      const value = xmlRead.trimmed(part, `Checksum${algorithm}`);
      if (value !== undefined) checksums[algorithm] = value;
    }
    return { partNumber: Number(rawNumber), etag, checksums };
  });
  if (parts.length === 0 || parts.length > limits.maxParts) throw malformedXml();
  // Checked in S3's order, each over the whole list: ordering here, then parts and ETags (the store), then sizes.
  parts.reduce((previous, part) => {
    if (part.partNumber <= previous) {
      throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
    }
    return part.partNumber;
  }, 0);
  const precondition = writePrecondition(call, target.bucket, target.key);
  const object = await call.storage.completeUpload(target, parts, { checkParts: requireMinimumPartSizes, combineChecksums: compositeChecksums, precondition });
  sendXml(call.res, 200, 'CompleteMultipartUploadResult', {
    Location: objectUrl(call, target.bucket, target.key),
    Bucket: target.bucket,
    Key: target.key,
    ETag: quoted(object.etag),
    ...Object.fromEntries(Object.entries(object.checksums).map(([algorithm, value]) => [`Checksum${algorithm}`, value])),
    ChecksumType: Object.values(object.checksums)[0] ? 'COMPOSITE' : undefined,
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
  sendXml(call.res, 200, 'ListPartsResult', {
    Bucket: target.bucket,
    Key: encode(target.key),
    UploadId: target.uploadId,
    PartNumberMarker: marker,
    NextPartNumberMarker: parts.at(-1)?.partNumber ?? marker,
    MaxParts: maxParts,
    IsTruncated: isTruncated,
    Part: parts.map((part) => ({
      PartNumber: part.partNumber,
      LastModified: isoTime(part.lastModified),
      ETag: quoted(part.etag),
      Size: part.size,
      ...Object.fromEntries(Object.entries(part.checksums).map(([algorithm, value]) => [`Checksum${algorithm}`, value])),
    })),
    Initiator: owner(call),
    Owner: owner(call),
    StorageClass: 'STANDARD',
    ChecksumAlgorithm: target.checksumAlgorithm ?? undefined,
  });
};
