import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/**
 * A user's bucket as the suite finds it on an account: objects (one with metadata, one with a key a signer
 * percent-encodes), an open multipart upload, CORS, lifecycle and encryption. The suite-* tests make it before a run
 * and compare its state after, to show the run left it as found.
 */

/** Everything of a bucket a run could change: each object's bytes and headers, open uploads, its configuration. */
export interface BucketState {
  readonly objects: readonly string[];
  readonly uploads: readonly string[];
  readonly cors: unknown;
  readonly lifecycle: unknown;
  readonly encryption: unknown;
}

/** Makes `bucket` with `s3` (a key that may write objects and configuration), holding `firstKey` and more. */
export async function makeUserBucket(s3: S3Client, bucket: string, options: { firstKey: string; indexHtml: string }): Promise<void> {
  const Bucket = bucket;
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutObjectCommand({ Bucket, Key: 'index.html', Body: options.indexHtml, ContentType: 'text/html', Metadata: { owner: 'user' } }));
  await s3.send(new PutObjectCommand({ Bucket, Key: options.firstKey, Body: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256)) }));
  await s3.send(new PutObjectCommand({ Bucket, Key: 'tmp/draft.txt', Body: 'a draft the user keeps' }));
  await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'videos/holiday.mp4' }));
  await s3.send(
    new PutBucketCorsCommand({
      Bucket,
      CORSConfiguration: { CORSRules: [{ ID: 'gallery', AllowedMethods: ['GET', 'HEAD'], AllowedOrigins: ['https://gallery.example'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 300 }] },
    }),
  );
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket,
      LifecycleConfiguration: { Rules: [{ ID: 'archive', Status: 'Enabled', Filter: { Prefix: 'archive/' }, Expiration: { Days: 365 } }] },
    }),
  );
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'users-key' }, BucketKeyEnabled: true }] },
    }),
  );
}

/** A Get of a configuration part: its content, or the error code (NoSuchCORSConfiguration, …). */
export async function configurationPart(get: () => Promise<{ readonly $metadata: unknown }>): Promise<unknown> {
  try {
    const { $metadata: _, ...content } = await get();
    return content;
  } catch (error) {
    return { error: (error as { name?: string }).name };
  }
}

/** The state of `bucket` as `s3` reads it, every page of objects included. */
export async function bucketState(s3: S3Client, bucket: string): Promise<BucketState> {
  const Bucket = bucket;
  const objects: string[] = [];
  let continuation: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken: continuation }));
    for (const object of page.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket, Key: object.Key }));
      const body = createHash('sha256').update(await got.Body!.transformToByteArray()).digest('hex');
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key: object.Key }));
      objects.push(`${object.Key} etag=${object.ETag} size=${object.Size} modified=${object.LastModified?.toISOString()} sha256=${body} type=${head.ContentType} meta=${JSON.stringify(head.Metadata)}`);
    }
    continuation = page.NextContinuationToken;
  } while (continuation);
  const uploads = ((await s3.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
  return {
    objects,
    uploads,
    cors: await configurationPart(() => s3.send(new GetBucketCorsCommand({ Bucket }))),
    lifecycle: await configurationPart(() => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))),
    encryption: await configurationPart(() => s3.send(new GetBucketEncryptionCommand({ Bucket }))),
  };
}
