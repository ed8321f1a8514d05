import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { copyChecksum, multipartLimits, singleUploadChecksum } from '../../../spec/index.js';
import type { ByteRange } from '../../store/blobs.js';
import type { ObjectMetadata, StoredObject, WritePrecondition } from '../../store/types.js';
import { createChecksum } from '../checksum-algorithms.js';
import { S3Error } from '../errors.js';
import { checksumElements, objectChecksum, partReadChecksumOf, setChecksumHeaders } from '../object-checksums.js';
import { requireNullVersion } from '../router.js';
import { parseChecksumAlgorithm } from '../signing/checksums.js';
import { sendXml } from '../xml.js';
import {
  header,
  isoTime,
  metadataFromHeaders,
  objectKey,
  projectOf,
  quoted,
  readResponseOverrides,
  requireBucket,
  requireObject,
  sendEmpty,
  objectHeaders,
  type Controller,
  type S3Call,
} from './common.js';
import { evaluatePreconditions, notModified, parseRange, preconditionFailed } from '../preconditions.js';

/** Object operations: head, get, put, copy, delete. */

export function readConditions(call: S3Call, prefix: '' | 'x-amz-copy-source-') {
  return {
    ifMatch: header(call.req, `${prefix}if-match`),
    ifNoneMatch: header(call.req, `${prefix}if-none-match`),
    ifModifiedSince: header(call.req, `${prefix}if-modified-since`),
    ifUnmodifiedSince: header(call.req, `${prefix}if-unmodified-since`),
  };
}

/**
 * `partNumber` on GetObject/HeadObject: the part's number and byte range (a single-part object is its own part 1;
 * null for an empty part).
 */
function requestedPart(call: S3Call, object: StoredObject, raw: string): { readonly number: number; readonly range: ByteRange | null } {
  if (header(call.req, 'range') !== undefined) {
    throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
  }
  const number = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(number >= 1 && number <= multipartLimits.value.maxParts)) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${multipartLimits.value.maxParts}, inclusive`, {
      ArgumentName: 'partNumber',
      ArgumentValue: raw,
    });
  }
  const sizes = object.partSizes ?? [object.size];
  if (number > sizes.length) throw new S3Error('InvalidPartNumber', 'The requested partnumber is not satisfiable', { PartNumberRequested: raw, ActualPartCount: String(sizes.length) });
  const start = sizes.slice(0, number - 1).reduce((sum, size) => sum + size, 0);
  const size = sizes[number - 1] ?? 0;
  return { number, range: size === 0 ? null : { start, end: start + size - 1 } };
}

/** HeadObject and GetObject share everything but the body. */
async function serveObject(call: S3Call, withBody: boolean): Promise<void> {
  const key = objectKey(call);
  const bucket = requireBucket(call);
  requireNullVersion(call.route.query.get('versionId'));
  const overrides = readResponseOverrides(call.route.query);
  const object = requireObject(call, bucket.name, key);
  const outcome = evaluatePreconditions(object, readConditions(call, ''));
  if (outcome === 'failed') throw preconditionFailed(header(call.req, 'if-match') !== undefined ? 'If-Match' : 'If-Unmodified-Since');
  if (outcome === 'not-modified') {
    call.res.setHeader('ETag', quoted(object.etag));
    call.res.setHeader('Last-Modified', object.lastModified.toUTCString());
    throw notModified();
  }
  const partNumber = call.route.query.get('partNumber');
  const part = partNumber === null ? null : requestedPart(call, object, partNumber);
  const range = part === null ? parseRange(header(call.req, 'range'), object.size) : part.range;
  const headers = objectHeaders(object, overrides);
  // The body is opened (and its size checked against the object's) before any header is set: a damaged blob is an
  // error response, never a 200 that stalls. A body held in memory, or a small file, goes out in one write: a
  // stream pipeline per request showed in the CPU profile of small GETs.
  let whole: Buffer | Promise<Buffer> | null = null;
  let stream: Readable | null = null;
  if (withBody) {
    whole = call.storage.readObjectBuffer(object, range ?? undefined);
    if (whole === null) stream = call.storage.readObject(object, range ?? undefined);
  }
  for (const [name, value] of headers) call.res.setHeader(name, value);
  if (partNumber !== null) call.res.setHeader('x-amz-mp-parts-count', String(object.partsCount ?? 1));
  // Asked for, the checksum goes back for the whole object, or for a part as spec's partReadChecksum says; a byte
  // range gets none.
  const wantsChecksum = header(call.req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  if (wantsChecksum && part !== null) setChecksumHeaders(call.res, partReadChecksumOf(object, part.number));
  else if (wantsChecksum && range === null) setChecksumHeaders(call.res, objectChecksum(object));
  if (range) {
    call.res.statusCode = 206;
    call.res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${object.size}`);
    call.res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    call.res.statusCode = 200;
    call.res.setHeader('Content-Length', String(object.size));
  }
  if (whole !== null) {
    call.res.end(await whole);
    return;
  }
  if (stream === null) {
    call.res.end();
    return;
  }
  await pipeline(stream, call.res);
}

export const headObject: Controller = (call) => serveObject(call, false);
export const getObject: Controller = (call) => serveObject(call, true);

/**
 * Conditional writes: If-None-Match: * refuses to overwrite, If-Match requires the current ETag. Checked once now,
 * so a doomed write fails before its body is read, and returned to be re-checked by the store in the same
 * transaction as the commit, so that of two racing conditional writes only one succeeds.
 */
export function writePrecondition(call: S3Call, bucket: string, key: string): WritePrecondition | undefined {
  const ifNoneMatch = header(call.req, 'if-none-match');
  const ifMatch = header(call.req, 'if-match');
  if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
  const precondition: WritePrecondition = (current) => {
    if (ifNoneMatch !== undefined && current) throw preconditionFailed('If-None-Match');
    if (ifMatch !== undefined) {
      if (!current) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
      if (evaluatePreconditions(current, { ifMatch }) === 'failed') throw preconditionFailed('If-Match');
    }
  };
  precondition(call.storage.getObject(bucket, key));
  return precondition;
}

/** The decoded body length a write declares; refuses sizes above `max` before reading a byte. */
export function declaredLength(call: S3Call, max: number): void {
  const length = call.body.declaredLength;
  if (length === null && header(call.req, 'transfer-encoding') !== undefined) {
    throw new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.');
  }
  if (length !== null && length > max) {
    throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', {
      ProposedSize: String(length),
      MaxSizeAllowed: String(max),
    });
  }
}

export const putObject: Controller = async (call) => {
  const key = objectKey(call);
  const bucket = requireBucket(call);
  declaredLength(call, multipartLimits.value.maxSinglePutBytes);
  const metadata = metadataFromHeaders(call.req.headers, 'header');
  const precondition = writePrecondition(call, bucket.name, key);
  // The object carries the checksum the request declared (verified as the body arrives), else S3's default, computed.
  const { algorithm } = singleUploadChecksum(call.body.declaredChecksum);
  call.body.computeChecksum(algorithm);
  const object = await call.storage.putObject({ bucket, key, body: call.body, metadata, precondition });
  call.res.setHeader('ETag', quoted(object.etag));
  setChecksumHeaders(call.res, objectChecksum(object));
  sendEmpty(call.res, 200);
};

/** `x-amz-checksum-algorithm` (CopyObject), or null when absent or empty. */
export function namedChecksumAlgorithm(call: S3Call) {
  const value = header(call.req, 'x-amz-checksum-algorithm');
  return value === undefined || value.trim() === '' ? null : parseChecksumAlgorithm(value);
}

/** The copy source named by x-amz-copy-source, after its conditions were checked. */
export function copySourceObject(call: S3Call): StoredObject {
  const source = call.route.copySource;
  if (source === null) throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  call.storage.requireBucket(projectOf(call), source.bucket);
  const object = requireObject(call, source.bucket, source.key);
  const outcome = evaluatePreconditions(object, readConditions(call, 'x-amz-copy-source-'));
  // For copies a "not modified" outcome is a failed precondition too: there is nothing to return.
  if (outcome !== 'proceed') throw preconditionFailed('x-amz-copy-source-If-*');
  return object;
}

export const copyObject: Controller = async (call) => {
  const key = objectKey(call);
  const bucket = requireBucket(call);
  const source = copySourceObject(call);
  const directive = (header(call.req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  }
  if (source.bucket === bucket.name && source.key === key && directive === 'COPY') {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const named = namedChecksumAlgorithm(call);
  const precondition = writePrecondition(call, bucket.name, key);
  const metadata: ObjectMetadata = directive === 'REPLACE' ? metadataFromHeaders(call.req.headers, 'header') : source.metadata;
  const sourceChecksum = objectChecksum(source);
  const copied = copyChecksum(named, sourceChecksum);
  const checksum = copied.keepsSourceValue && sourceChecksum !== null
    ? { keep: { [sourceChecksum.algorithm]: sourceChecksum.value } }
    : { compute: createChecksum(copied.algorithm) };
  const object = await call.storage.copyObject({ source, bucket, key, metadata, checksum, precondition });
  sendXml(call.res, 200, 'CopyObjectResult', {
    ETag: quoted(object.etag),
    LastModified: isoTime(object.lastModified),
    ...checksumElements(objectChecksum(object)),
  });
};

export const deleteObject: Controller = async (call) => {
  const key = objectKey(call);
  const bucket = requireBucket(call);
  requireNullVersion(call.route.query.get('versionId'));
  await call.storage.deleteObject(bucket, key);
  sendEmpty(call.res, 204);
};
