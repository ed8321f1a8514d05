import { multipartLimits } from '../../../spec/index.js';
import type { StoredObject } from '../../store/types.js';
import { S3Error } from '../errors.js';
import { checksumElements, checksumField, objectChecksum } from '../object-checksums.js';
import { evaluatePreconditions, notModified, preconditionFailed } from '../preconditions.js';
import { requireNullVersion } from '../router.js';
import { sendXml, type XmlTree } from '../xml.js';
import { header, httpTime, integerHeader, invalidArgument, objectKey, quoted, requireBucket, requireObject, type Controller, type S3Call } from './common.js';
import { readConditions } from './objects.js';

/**
 * GetObjectAttributes (`GET /bucket/key?attributes`): what HeadObject and ListParts tell of an object, in one XML
 * answer, limited to the attributes `x-amz-object-attributes` asks for.
 */

const objectAttributes = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
type ObjectAttribute = (typeof objectAttributes)[number];

/** The attributes asked for: a comma-separated list, at least one, each one S3 knows. */
function readAttributes(call: S3Call): ReadonlySet<ObjectAttribute> {
  const names = (header(call.req, 'x-amz-object-attributes') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) {
    throw new S3Error('InvalidRequest', 'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty');
  }
  const unknown = names.find((name) => !(objectAttributes as readonly string[]).includes(name));
  if (unknown !== undefined) throw invalidArgument('x-amz-object-attributes', unknown, 'Invalid attribute name specified.');
  return new Set(names as ObjectAttribute[]);
}

/**
 * The parts of a multipart object. Listed one by one (paged with x-amz-max-parts and x-amz-part-number-marker) only
 * for an object whose checksum is a composite of its parts' checksums, as S3 does; any other multipart object, or
 * one completed before the mock kept its parts, gets only its part count.
 */
function objectParts(object: StoredObject, page: { readonly maxParts: number; readonly marker: number }): XmlTree | undefined {
  if (object.partsCount === null) return undefined;
  const checksum = objectChecksum(object);
  if (checksum?.type !== 'COMPOSITE' || object.parts === null) return { PartsCount: object.partsCount };
  const after = object.parts.filter((part) => part.partNumber > page.marker);
  const listed = after.slice(0, page.maxParts);
  return {
    PartsCount: object.partsCount,
    PartNumberMarker: page.marker,
    NextPartNumberMarker: listed.at(-1)?.partNumber ?? 0,
    MaxParts: page.maxParts,
    IsTruncated: after.length > listed.length,
    Part: listed.map((part) => {
      const value = part.checksums[checksum.algorithm];
      return { PartNumber: part.partNumber, Size: part.size, ...(value === undefined ? {} : { [checksumField(checksum.algorithm)]: value }) };
    }),
  };
}

export const getObjectAttributes: Controller = async (call) => {
  const key = objectKey(call);
  const bucket = requireBucket(call);
  requireNullVersion(call.route.query.get('versionId'));
  const attributes = readAttributes(call);
  const limits = multipartLimits.value;
  const page = {
    maxParts: integerHeader(call, 'x-amz-max-parts', { min: 0, max: limits.maxListItems, fallback: limits.maxListItems, clampMax: true }),
    marker: integerHeader(call, 'x-amz-part-number-marker', { min: 0, max: limits.maxParts, fallback: 0 }),
  };
  const object = requireObject(call, bucket.name, key);
  // The conditional headers GetObject takes, with the same precedence (If-Match over If-Unmodified-Since, If-None-Match
  // over If-Modified-Since).
  const outcome = evaluatePreconditions(object, readConditions(call, ''));
  if (outcome === 'failed') throw preconditionFailed(header(call.req, 'if-match') !== undefined ? 'If-Match' : 'If-Unmodified-Since');
  if (outcome === 'not-modified') {
    call.res.setHeader('ETag', quoted(object.etag));
    call.res.setHeader('Last-Modified', httpTime(object.lastModified));
    throw notModified();
  }
  const checksum = objectChecksum(object);
  call.res.setHeader('Last-Modified', httpTime(object.lastModified));
  sendXml(call.res, 200, 'GetObjectAttributesResponse', {
    // Unlike every other answer, S3 sends this ETag without quotes.
    ETag: attributes.has('ETag') ? object.etag : undefined,
    // A composite value without its -N: the part count is in ObjectParts.
    Checksum: attributes.has('Checksum') && checksum !== null ? checksumElements(checksum, { withType: true, value: checksum.value.replace(/-\d+$/, '') }) : undefined,
    ObjectParts: attributes.has('ObjectParts') ? objectParts(object, page) : undefined,
    StorageClass: attributes.has('StorageClass') ? 'STANDARD' : undefined,
    ObjectSize: attributes.has('ObjectSize') ? object.size : undefined,
  });
};
