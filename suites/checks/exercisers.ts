import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketCorsCommand,
  DeleteBucketLifecycleCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { JudgedS3OperationName } from '../../spec/index.js';
import type { ConfigurationBodies } from '../target/bucket-config.js';
import type { TargetClock } from '../target/capabilities.js';
import type { TargetEndpoint } from '../target/config.js';
import { postObject } from '../target/post-policy.js';
import { attempt, s3ErrorMessage, type S3Credentials, type S3Outcome } from '../target/s3.js';

/**
 * One exerciser per S3 operation of spec's matrix: it performs the operation with the SDK against a prepared bucket
 * and reports the outcome. Exercisers are built so that an allowed call never destroys the fixture (DeleteBucket
 * hits a non-empty bucket, CreateBucket an existing one, Abort a made-up upload id): past authorization such calls
 * end in 409/404/400, which still proves the request was allowed. Configuration writes go to a bucket the run did
 * not create only under a permit of the suite context (`permitConfigurationWrite`), whose bodies they then send.
 */

export interface ExerciseTarget {
  readonly s3: S3Client;
  readonly credentials: S3Credentials;
  readonly endpoint: TargetEndpoint;
  readonly clock: TargetClock;
  readonly bucket: string;
  /** An object that exists in `bucket`. */
  readonly key: string;
  /** A multipart upload in progress in `bucket` on `uploadKey`. */
  readonly uploadKey: string;
  readonly uploadId: string;
  /** Where writes go: unique per cell, under the run prefix. */
  readonly writeKey: string;
  /** Bodies for configuration Puts instead of the suite's own: a user's bucket's own configuration, which it keeps. */
  readonly configuration?: ConfigurationBodies;
}

export type Exerciser = (t: ExerciseTarget) => Promise<S3Outcome>;

export const corsConfiguration = {
  CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['https://example.com'], AllowedHeaders: ['*'], MaxAgeSeconds: 60 }],
};
export const lifecycleConfiguration = {
  Rules: [{ ID: 'expire-tmp', Status: 'Enabled' as const, Filter: { Prefix: 'tmp/' }, Expiration: { Days: 30 } }],
};
export const encryptionConfiguration = {
  Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' as const } }],
};

async function drain<T extends { Body?: { transformToByteArray?: () => Promise<Uint8Array> } }>(value: T): Promise<T> {
  await value.Body?.transformToByteArray?.();
  return value;
}

function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

const missingUploadId = 'ibee-conformance-no-such-upload';

export const exercisers: Readonly<Record<JudgedS3OperationName, Exerciser>> = {
  ListBuckets: (t) => attempt(() => t.s3.send(new ListBucketsCommand({}))),
  CreateBucket: (t) => attempt(() => t.s3.send(new CreateBucketCommand({ Bucket: t.bucket }))),
  DeleteBucket: (t) => attempt(() => t.s3.send(new DeleteBucketCommand({ Bucket: t.bucket }))),
  HeadBucket: (t) => attempt(() => t.s3.send(new HeadBucketCommand({ Bucket: t.bucket }))),
  GetBucketLocation: (t) => attempt(() => t.s3.send(new GetBucketLocationCommand({ Bucket: t.bucket }))),
  GetBucketCors: (t) => attempt(() => t.s3.send(new GetBucketCorsCommand({ Bucket: t.bucket }))),
  PutBucketCors: (t) => attempt(() => t.s3.send(new PutBucketCorsCommand({ Bucket: t.bucket, ...(t.configuration?.cors ?? { CORSConfiguration: corsConfiguration }) }))),
  DeleteBucketCors: (t) => attempt(() => t.s3.send(new DeleteBucketCorsCommand({ Bucket: t.bucket }))),
  GetBucketLifecycleConfiguration: (t) => attempt(() => t.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: t.bucket }))),
  PutBucketLifecycleConfiguration: (t) =>
    attempt(() =>
      t.s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: t.bucket, ...(t.configuration?.lifecycle ?? { LifecycleConfiguration: lifecycleConfiguration }) })),
    ),
  DeleteBucketLifecycle: (t) => attempt(() => t.s3.send(new DeleteBucketLifecycleCommand({ Bucket: t.bucket }))),
  GetBucketEncryption: (t) => attempt(() => t.s3.send(new GetBucketEncryptionCommand({ Bucket: t.bucket }))),
  PutBucketEncryption: (t) =>
    attempt(() =>
      t.s3.send(new PutBucketEncryptionCommand({ Bucket: t.bucket, ...(t.configuration?.encryption ?? { ServerSideEncryptionConfiguration: encryptionConfiguration }) })),
    ),
  ListObjects: (t) => attempt(() => t.s3.send(new ListObjectsCommand({ Bucket: t.bucket }))),
  ListObjectsV2: (t) => attempt(() => t.s3.send(new ListObjectsV2Command({ Bucket: t.bucket }))),
  ListObjectVersions: (t) => attempt(() => t.s3.send(new ListObjectVersionsCommand({ Bucket: t.bucket }))),
  ListMultipartUploads: (t) => attempt(() => t.s3.send(new ListMultipartUploadsCommand({ Bucket: t.bucket }))),
  HeadObject: (t) => attempt(() => t.s3.send(new HeadObjectCommand({ Bucket: t.bucket, Key: t.key }))),
  GetObject: (t) => attempt(async () => drain(await t.s3.send(new GetObjectCommand({ Bucket: t.bucket, Key: t.key })))),
  GetObjectAttributes: (t) =>
    attempt(() => t.s3.send(new GetObjectAttributesCommand({ Bucket: t.bucket, Key: t.key, ObjectAttributes: ['ETag', 'ObjectSize'] }))),
  ListParts: (t) => attempt(() => t.s3.send(new ListPartsCommand({ Bucket: t.bucket, Key: t.uploadKey, UploadId: t.uploadId }))),
  PutObject: (t) => attempt(() => t.s3.send(new PutObjectCommand({ Bucket: t.bucket, Key: t.writeKey, Body: 'written by the permission grid' }))),
  PostObject: async (t) => {
    const response = await postObject(t.endpoint, t.credentials, t.clock, { bucket: t.bucket, key: t.writeKey, body: 'posted by the permission grid' });
    return {
      status: response.status,
      code: response.code,
      message: response.code ? (s3ErrorMessage(response.body) ?? response.body.slice(0, 300)) : null,
      // A form upload: the policy and its signature travel in the body, which is not kept.
      request: { method: 'POST', url: `${t.endpoint.s3Endpoint}/${encodeURIComponent(t.bucket)}`, accessKeyId: t.credentials.accessKeyId },
      requestId: response.headers['x-amz-request-id'] ?? null,
    };
  },
  CopyObject: (t) => attempt(() => t.s3.send(new CopyObjectCommand({ Bucket: t.bucket, Key: t.writeKey, CopySource: copySource(t.bucket, t.key) }))),
  DeleteObject: (t) => attempt(() => t.s3.send(new DeleteObjectCommand({ Bucket: t.bucket, Key: t.writeKey }))),
  DeleteObjects: async (t) => {
    const outcome = await attempt(() => t.s3.send(new DeleteObjectsCommand({ Bucket: t.bucket, Delete: { Objects: [{ Key: t.writeKey }] } })));
    // A 200 whose every key failed AccessDenied is a denial too.
    const errors = outcome.value?.Errors ?? [];
    if (outcome.status === 200 && errors.length > 0 && errors.every((e) => e.Code === 'AccessDenied')) {
      return { ...outcome, status: 403, code: 'AccessDenied', message: 'every key of DeleteObjects failed AccessDenied' };
    }
    return outcome;
  },
  CreateMultipartUpload: (t) => attempt(() => t.s3.send(new CreateMultipartUploadCommand({ Bucket: t.bucket, Key: t.writeKey }))),
  UploadPart: (t) =>
    attempt(() => t.s3.send(new UploadPartCommand({ Bucket: t.bucket, Key: t.uploadKey, UploadId: t.uploadId, PartNumber: 1, Body: 'part one' }))),
  UploadPartCopy: (t) =>
    attempt(() =>
      t.s3.send(new UploadPartCopyCommand({ Bucket: t.bucket, Key: t.uploadKey, UploadId: t.uploadId, PartNumber: 2, CopySource: copySource(t.bucket, t.key) })),
    ),
  CompleteMultipartUpload: (t) =>
    attempt(() =>
      t.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: t.bucket,
          Key: t.uploadKey,
          UploadId: t.uploadId,
          // A part that was never uploaded: past authorization this is InvalidPart, and the fixture upload survives.
          MultipartUpload: { Parts: [{ PartNumber: 9999, ETag: '"00000000000000000000000000000000"' }] },
        }),
      ),
    ),
  AbortMultipartUpload: (t) => attempt(() => t.s3.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.uploadKey, UploadId: missingUploadId }))),
};

export function describeOutcome(outcome: S3Outcome): string {
  return `${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}`;
}
