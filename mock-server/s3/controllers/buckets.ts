import { bucketRegions, multipartLimits } from '../../../spec/index.js';
import type { StoredObject } from '../../store/types.js';
import { StoreError } from '../../store/errors.js';
import { fromStoreError, S3Error } from '../errors.js';
import { sendable } from '../header-values.js';
import { objectChecksum, uploadChecksum } from '../object-checksums.js';
import { malformedXml, parseXmlBody, sendXml, xmlRead, type XmlTree } from '../xml.js';
import {
  bucketName,
  checkKey,
  encoder,
  encodingType,
  integerParam,
  invalidArgument,
  isoTime,
  maxXmlBodyBytes,
  owner,
  projectOf,
  quoted,
  requireBucket,
  sendEmpty,
  type Controller,
  type S3Call,
} from './common.js';
import { corsFromXml, corsToXml, encryptionFromXml, encryptionToXml, lifecycleFromXml, lifecycleToXml } from '../models/bucket-config.js';

/** Bucket operations: create, delete, head, location, configuration, listings and multi-delete. */

const maxListKeys = multipartLimits.value.maxListItems;

export const createBucket: Controller = async (call) => {
  const name = bucketName(call);
  const body = await call.body.buffer(maxXmlBodyBytes);
  const { regions, default: defaultRegion } = bucketRegions.value;
  let region = regions.includes(call.caller.region) ? call.caller.region : defaultRegion;
  if (body.length > 0) {
    const config = parseXmlBody(body, 'CreateBucketConfiguration');
    const constraint = xmlRead.trimmed(config, 'LocationConstraint');
    if (constraint) {
      if (!regions.includes(constraint)) {
        throw new S3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', { LocationConstraint: sendable(constraint).slice(0, 256) });
      }
      region = constraint;
    }
  }
  call.storage.createBucket(projectOf(call), name, region);
  call.res.setHeader('Location', `/${name}`);
  sendEmpty(call.res, 200);
};

export const deleteBucket: Controller = async (call) => {
  await call.storage.deleteBucket(projectOf(call), bucketName(call));
  sendEmpty(call.res, 204);
};

export const headBucket: Controller = async (call) => {
  const bucket = requireBucket(call);
  call.res.setHeader('x-amz-bucket-region', sendable(bucket.region));
  sendEmpty(call.res, 200);
};

export const getBucketLocation: Controller = async (call) => {
  const bucket = requireBucket(call);
  // us-east-1 is the empty LocationConstraint, as on AWS.
  sendXml(call.res, 200, 'LocationConstraint', bucket.region === 'us-east-1' ? '' : bucket.region);
};

export const getBucketVersioning: Controller = async (call) => {
  requireBucket(call);
  // Versioning is never enabled (IBEE documents none, PutBucketVersioning is not implemented): AWS answers a bucket
  // that never had it with an empty configuration, no Status element.
  sendXml(call.res, 200, 'VersioningConfiguration', '');
};

/** Object Lock as the bucket was made with it (IBEE's public API); AWS's answer for a bucket without it otherwise. */
export const getObjectLockConfiguration: Controller = async (call) => {
  const bucket = requireBucket(call);
  if (bucket.objectLock === null) {
    throw new S3Error('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', { BucketName: bucket.name });
  }
  const retention = bucket.objectLock.defaultRetention;
  sendXml(call.res, 200, 'ObjectLockConfiguration', {
    ObjectLockEnabled: 'Enabled',
    ...(retention === null
      ? {}
      : { Rule: { DefaultRetention: { Mode: retention.mode, ...('days' in retention ? { Days: retention.days } : { Years: retention.years }) } } }),
  });
};

export const getBucketCors: Controller = async (call) => {
  const bucket = requireBucket(call);
  if (!bucket.cors) {
    throw new S3Error('NoSuchCORSConfiguration', 'The CORS configuration does not exist', { BucketName: bucket.name });
  }
  sendXml(call.res, 200, 'CORSConfiguration', corsToXml(bucket.cors));
};

export const putBucketCors: Controller = async (call) => {
  const bucket = requireBucket(call);
  const json = corsFromXml(await call.body.buffer(maxXmlBodyBytes));
  call.storage.setBucketConfig(bucket, 'cors', json);
  sendEmpty(call.res, 200);
};

export const deleteBucketCors: Controller = async (call) => {
  const bucket = requireBucket(call);
  call.storage.setBucketConfig(bucket, 'cors', null);
  sendEmpty(call.res, 204);
};

export const getBucketLifecycleConfiguration: Controller = async (call) => {
  const bucket = requireBucket(call);
  if (!bucket.lifecycle) {
    throw new S3Error('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', { BucketName: bucket.name });
  }
  sendXml(call.res, 200, 'LifecycleConfiguration', lifecycleToXml(bucket.lifecycle));
};

export const putBucketLifecycleConfiguration: Controller = async (call) => {
  const bucket = requireBucket(call);
  const json = lifecycleFromXml(await call.body.buffer(maxXmlBodyBytes));
  call.storage.setBucketConfig(bucket, 'lifecycle', json);
  sendEmpty(call.res, 200);
};

export const deleteBucketLifecycle: Controller = async (call) => {
  const bucket = requireBucket(call);
  call.storage.setBucketConfig(bucket, 'lifecycle', null);
  sendEmpty(call.res, 204);
};

export const getBucketEncryption: Controller = async (call) => {
  const bucket = requireBucket(call);
  sendXml(call.res, 200, 'ServerSideEncryptionConfiguration', encryptionToXml(bucket.encryption));
};

export const putBucketEncryption: Controller = async (call) => {
  const bucket = requireBucket(call);
  const json = encryptionFromXml(await call.body.buffer(maxXmlBodyBytes));
  call.storage.setBucketConfig(bucket, 'encryption', json);
  sendEmpty(call.res, 200);
};

function contentsEntry(call: S3Call, object: StoredObject, encode: (value: string) => string, withOwner: boolean): XmlTree {
  const checksum = objectChecksum(object);
  return {
    Key: encode(object.key),
    LastModified: isoTime(object.lastModified),
    ETag: quoted(object.etag),
    ChecksumAlgorithm: checksum?.algorithm,
    ChecksumType: checksum?.type,
    Size: object.size,
    StorageClass: 'STANDARD',
    Owner: withOwner ? owner(call) : undefined,
  };
}

function listingParams(call: S3Call) {
  const query = call.route.query;
  return {
    prefix: query.get('prefix') ?? '',
    delimiter: query.get('delimiter') ?? '',
    maxKeys: integerParam(call, 'max-keys', { min: 0, max: 2_147_483_647, fallback: maxListKeys }),
    encoding: encodingType(call),
  };
}

export const listObjectsV2: Controller = async (call) => {
  const bucket = requireBucket(call);
  const { prefix, delimiter, maxKeys, encoding } = listingParams(call);
  const query = call.route.query;
  const continuationToken = query.get('continuation-token');
  const startAfter = query.get('start-after') ?? '';
  let after = startAfter;
  if (continuationToken !== null) {
    const decoded = Buffer.from(continuationToken, 'base64url').toString('utf8');
    if (continuationToken === '' || Buffer.from(decoded, 'utf8').toString('base64url') !== continuationToken) {
      throw invalidArgument('continuation-token', continuationToken, 'The continuation token provided is incorrect');
    }
    after = decoded;
  }
  const listing = call.storage.listObjects(bucket.name, { prefix, delimiter, after, maxKeys: Math.min(maxKeys, maxListKeys) });
  const encode = encoder(encoding);
  const withOwner = query.get('fetch-owner') === 'true';
  sendXml(call.res, 200, 'ListBucketResult', {
    Name: bucket.name,
    Prefix: encode(prefix),
    Delimiter: delimiter ? encode(delimiter) : undefined,
    MaxKeys: maxKeys,
    EncodingType: encoding ?? undefined,
    KeyCount: listing.objects.length + listing.commonPrefixes.length,
    IsTruncated: listing.isTruncated,
    ContinuationToken: continuationToken ?? undefined,
    NextContinuationToken: listing.isTruncated && listing.last !== null ? Buffer.from(listing.last, 'utf8').toString('base64url') : undefined,
    StartAfter: query.has('start-after') ? encode(startAfter) : undefined,
    Contents: listing.objects.map((object) => contentsEntry(call, object, encode, withOwner)),
    CommonPrefixes: listing.commonPrefixes.map((commonPrefix) => ({ Prefix: encode(commonPrefix) })),
  });
};

export const listObjects: Controller = async (call) => {
  const bucket = requireBucket(call);
  const { prefix, delimiter, maxKeys, encoding } = listingParams(call);
  const marker = call.route.query.get('marker') ?? '';
  const listing = call.storage.listObjects(bucket.name, { prefix, delimiter, after: marker, maxKeys: Math.min(maxKeys, maxListKeys) });
  const encode = encoder(encoding);
  sendXml(call.res, 200, 'ListBucketResult', {
    Name: bucket.name,
    Prefix: encode(prefix),
    Marker: encode(marker),
    // As on S3, NextMarker comes only with a delimiter; without one, clients continue from the last key.
    NextMarker: delimiter && listing.isTruncated && listing.last !== null ? encode(listing.last) : undefined,
    MaxKeys: maxKeys,
    Delimiter: delimiter ? encode(delimiter) : undefined,
    EncodingType: encoding ?? undefined,
    IsTruncated: listing.isTruncated,
    Contents: listing.objects.map((object) => contentsEntry(call, object, encode, true)),
    CommonPrefixes: listing.commonPrefixes.map((commonPrefix) => ({ Prefix: encode(commonPrefix) })),
  });
};

/** Buckets are never versioned here: every current object is its one version, id `null`. */
export const listObjectVersions: Controller = async (call) => {
  const bucket = requireBucket(call);
  const { prefix, delimiter, maxKeys, encoding } = listingParams(call);
  const query = call.route.query;
  const keyMarker = query.get('key-marker') ?? '';
  const versionIdMarker = query.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '') {
    throw invalidArgument('version-id-marker', versionIdMarker, 'A version-id marker cannot be specified without a key marker.');
  }
  const listing = call.storage.listObjects(bucket.name, { prefix, delimiter, after: keyMarker, maxKeys: Math.min(maxKeys, maxListKeys) });
  const encode = encoder(encoding);
  const lastIsObject = listing.objects.length > 0 && listing.objects.at(-1)?.key === listing.last;
  sendXml(call.res, 200, 'ListVersionsResult', {
    Name: bucket.name,
    Prefix: encode(prefix),
    KeyMarker: encode(keyMarker),
    VersionIdMarker: versionIdMarker,
    NextKeyMarker: listing.isTruncated && listing.last !== null ? encode(listing.last) : undefined,
    NextVersionIdMarker: listing.isTruncated && lastIsObject ? 'null' : undefined,
    MaxKeys: maxKeys,
    Delimiter: delimiter ? encode(delimiter) : undefined,
    EncodingType: encoding ?? undefined,
    IsTruncated: listing.isTruncated,
    Version: listing.objects.map((object) => ({
      Key: encode(object.key),
      VersionId: 'null',
      IsLatest: true,
      LastModified: isoTime(object.lastModified),
      ETag: quoted(object.etag),
      Size: object.size,
      StorageClass: 'STANDARD',
      Owner: owner(call),
    })),
    CommonPrefixes: listing.commonPrefixes.map((commonPrefix) => ({ Prefix: encode(commonPrefix) })),
  });
};

export const listMultipartUploads: Controller = async (call) => {
  const bucket = requireBucket(call);
  const query = call.route.query;
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const keyMarker = query.get('key-marker') ?? '';
  const uploadIdMarker = query.get('upload-id-marker') ?? '';
  const maxUploads = integerParam(call, 'max-uploads', { min: 0, max: maxListKeys, fallback: maxListKeys, clampMax: true });
  const encode = encoder(encodingType(call));
  const listing = call.storage.listUploads(bucket.name, { prefix, delimiter, keyMarker, uploadIdMarker: keyMarker ? uploadIdMarker : '', maxUploads });
  sendXml(call.res, 200, 'ListMultipartUploadsResult', {
    Bucket: bucket.name,
    KeyMarker: encode(keyMarker),
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: listing.isTruncated && listing.nextKeyMarker !== null ? encode(listing.nextKeyMarker) : undefined,
    NextUploadIdMarker: listing.isTruncated ? (listing.nextUploadIdMarker ?? undefined) : undefined,
    Prefix: encode(prefix),
    Delimiter: delimiter ? encode(delimiter) : undefined,
    MaxUploads: maxUploads,
    EncodingType: query.has('encoding-type') ? 'url' : undefined,
    IsTruncated: listing.isTruncated,
    Upload: listing.uploads.map((upload) => ({
      Key: encode(upload.key),
      UploadId: upload.uploadId,
      Initiator: owner(call),
      Owner: owner(call),
      StorageClass: 'STANDARD',
      Initiated: isoTime(upload.initiated),
      ChecksumAlgorithm: upload.checksumAlgorithm ?? undefined,
      ChecksumType: upload.checksumAlgorithm === null ? undefined : uploadChecksum(upload).type,
    })),
    CommonPrefixes: listing.commonPrefixes.map((commonPrefix) => ({ Prefix: encode(commonPrefix) })),
  });
};

export const deleteObjects: Controller = async (call) => {
  const bucket = requireBucket(call);
  const request = parseXmlBody(await call.body.buffer(maxXmlBodyBytes), 'Delete', ['Object']);
  const quiet = (xmlRead.trimmed(request, 'Quiet') ?? 'false').toLowerCase() === 'true';
  const entries = xmlRead.elements(request, 'Object');
  if (entries.length === 0 || entries.length > maxListKeys) throw malformedXml();
  const deleted: XmlTree[] = [];
  const errors: XmlTree[] = [];
  for (const entry of entries) {
    // Keys are taken exactly as sent: leading and trailing spaces are part of a key.
    const key = xmlRead.text(entry, 'Key');
    if (key === undefined) throw malformedXml();
    const versionId = xmlRead.trimmed(entry, 'VersionId');
    try {
      checkKey(key);
      if (versionId !== undefined && versionId !== 'null') {
        errors.push({ Key: key, VersionId: versionId, Code: 'NoSuchVersion', Message: 'The specified version does not exist.' });
        continue;
      }
      await call.storage.deleteObject(bucket, key);
      if (!quiet) deleted.push({ Key: key, VersionId: versionId });
    } catch (error) {
      const s3Error = error instanceof StoreError ? fromStoreError(error) : error;
      if (!(s3Error instanceof S3Error)) throw error;
      errors.push({ Key: key, Code: s3Error.code, Message: s3Error.message });
    }
  }
  sendXml(call.res, 200, 'DeleteResult', { Deleted: deleted, Error: errors });
};
