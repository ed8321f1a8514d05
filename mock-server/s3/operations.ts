import type { S3OperationName } from '../../spec/index.js';
import * as buckets from './controllers/buckets.js';
import type { Controller } from './controllers/common.js';
import * as multipart from './controllers/multipart.js';
import { getObjectAttributes } from './controllers/object-attributes.js';
import * as objects from './controllers/objects.js';
import { postObject } from './controllers/post-object.js';
import { listBuckets } from './controllers/service.js';

/**
 * The S3 operations the mock serves, one row each, keyed by spec's operation names: how a request of it
 * authenticates and which controller serves it. The router (router.ts) decides which operation a request is and
 * which buckets it touches (its bucket, and a copy's source); spec's permission model says what it needs. A
 * missing operation does not compile.
 */
export interface OperationRow {
  /** `signature`: SigV4 in the Authorization header or a presigned URL; `post-policy`: a browser form upload. */
  readonly authentication: 'signature' | 'post-policy';
  /**
   * What the request's `x-amz-checksum-*` headers describe: its body (the default), or the object it makes from
   * stored parts, which the controller checks instead of authentication.
   */
  readonly checksumHeaders?: 'body' | 'object';
  readonly controller: Controller;
}

const signed = (controller: Controller, options: Pick<OperationRow, 'checksumHeaders'> = {}): OperationRow => ({ authentication: 'signature', controller, ...options });

export const s3OperationTable: Readonly<Record<S3OperationName, OperationRow>> = {
  ListBuckets: signed(listBuckets),
  CreateBucket: signed(buckets.createBucket),
  DeleteBucket: signed(buckets.deleteBucket),
  HeadBucket: signed(buckets.headBucket),
  GetBucketLocation: signed(buckets.getBucketLocation),
  GetBucketVersioning: signed(buckets.getBucketVersioning),
  GetObjectLockConfiguration: signed(buckets.getObjectLockConfiguration),
  GetBucketCors: signed(buckets.getBucketCors),
  PutBucketCors: signed(buckets.putBucketCors),
  DeleteBucketCors: signed(buckets.deleteBucketCors),
  GetBucketLifecycleConfiguration: signed(buckets.getBucketLifecycleConfiguration),
  PutBucketLifecycleConfiguration: signed(buckets.putBucketLifecycleConfiguration),
  DeleteBucketLifecycle: signed(buckets.deleteBucketLifecycle),
  GetBucketEncryption: signed(buckets.getBucketEncryption),
  PutBucketEncryption: signed(buckets.putBucketEncryption),
  ListObjects: signed(buckets.listObjects),
  ListObjectsV2: signed(buckets.listObjectsV2),
  ListObjectVersions: signed(buckets.listObjectVersions),
  ListMultipartUploads: signed(buckets.listMultipartUploads),
  DeleteObjects: signed(buckets.deleteObjects),
  HeadObject: signed(objects.headObject),
  GetObject: signed(objects.getObject),
  GetObjectAttributes: signed(getObjectAttributes),
  PutObject: signed(objects.putObject),
  PostObject: { authentication: 'post-policy', controller: postObject },
  CopyObject: signed(objects.copyObject),
  DeleteObject: signed(objects.deleteObject),
  CreateMultipartUpload: signed(multipart.createMultipartUpload),
  UploadPart: signed(multipart.uploadPart),
  UploadPartCopy: signed(multipart.uploadPartCopy),
  CompleteMultipartUpload: signed(multipart.completeMultipartUpload, { checksumHeaders: 'object' }),
  AbortMultipartUpload: signed(multipart.abortMultipartUpload),
  ListParts: signed(multipart.listParts),
};
