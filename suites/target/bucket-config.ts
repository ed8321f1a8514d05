import {
  DeleteBucketCorsCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketLifecycleCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  type PutBucketCorsCommandInput,
  type PutBucketEncryptionCommandInput,
  type PutBucketLifecycleConfigurationCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isS3OperationName, s3Operation, type S3OperationName } from '../../spec/index.js';
import { attempt, type S3Outcome } from './s3.js';

/**
 * A bucket's configuration, part by part (CORS, lifecycle, default encryption), as the run reads it before writing
 * one of those parts on a bucket it did not create, and puts back afterwards. A part's configuration is kept as the
 * body of the Put that restores it (without the bucket), or null when the bucket has none of that part.
 */

export interface PartConfigurations {
  readonly cors: Omit<PutBucketCorsCommandInput, 'Bucket'>;
  readonly lifecycle: Omit<PutBucketLifecycleConfigurationCommandInput, 'Bucket'>;
  readonly encryption: Omit<PutBucketEncryptionCommandInput, 'Bucket'>;
}

export type ConfigPart = keyof PartConfigurations;

export const configParts: readonly ConfigPart[] = ['cors', 'lifecycle', 'encryption'];

/** Some configuration of one part: its Put body, or null for none. */
export type PartConfiguration = PartConfigurations[ConfigPart] | null;

/** Bodies for the Puts of some parts, in place of the suite's own (a user's bucket's own configuration). */
export type ConfigurationBodies = { readonly [P in ConfigPart]?: PartConfigurations[P] };

interface PartAccess<P extends ConfigPart> {
  /** The S3 operation that removes the part: restoring "none" needs it. */
  readonly removeOperation: string;
  read(s3: S3Client, bucket: string): Promise<S3Outcome<PartConfigurations[P] | null>>;
  put(s3: S3Client, bucket: string, body: PartConfigurations[P]): Promise<S3Outcome>;
  remove(s3: S3Client, bucket: string): Promise<S3Outcome>;
}

/** A Get whose 404 with `absentCode` means the bucket has none of the part. */
async function readPart<T, P>(get: () => Promise<T>, absentCode: string, bodyOf: (value: T) => P | null): Promise<S3Outcome<P | null>> {
  const outcome = await attempt(get);
  if (outcome.status === 200 && outcome.value !== undefined) return { status: 200, code: null, message: null, value: bodyOf(outcome.value) };
  if (outcome.status === 404 && outcome.code === absentCode) return { status: 404, code: outcome.code, message: null, value: null };
  return { status: outcome.status, code: outcome.code, message: outcome.message };
}

const partAccess: { readonly [P in ConfigPart]: PartAccess<P> } = {
  cors: {
    removeOperation: 'DeleteBucketCors',
    read: (s3, Bucket) =>
      readPart(() => s3.send(new GetBucketCorsCommand({ Bucket })), 'NoSuchCORSConfiguration', (v) => (v.CORSRules?.length ? { CORSConfiguration: { CORSRules: v.CORSRules } } : null)),
    put: (s3, Bucket, body) => attempt(() => s3.send(new PutBucketCorsCommand({ Bucket, ...body }))),
    remove: (s3, Bucket) => attempt(() => s3.send(new DeleteBucketCorsCommand({ Bucket }))),
  },
  lifecycle: {
    removeOperation: 'DeleteBucketLifecycle',
    read: (s3, Bucket) =>
      readPart(() => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })), 'NoSuchLifecycleConfiguration', (v) =>
        v.Rules?.length
          ? { LifecycleConfiguration: { Rules: v.Rules }, ...(v.TransitionDefaultMinimumObjectSize ? { TransitionDefaultMinimumObjectSize: v.TransitionDefaultMinimumObjectSize } : {}) }
          : null,
      ),
    put: (s3, Bucket, body) => attempt(() => s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, ...body }))),
    remove: (s3, Bucket) => attempt(() => s3.send(new DeleteBucketLifecycleCommand({ Bucket }))),
  },
  encryption: {
    removeOperation: 'DeleteBucketEncryption',
    read: (s3, Bucket) =>
      readPart(() => s3.send(new GetBucketEncryptionCommand({ Bucket })), 'ServerSideEncryptionConfigurationNotFoundError', (v) =>
        v.ServerSideEncryptionConfiguration?.Rules?.length ? { ServerSideEncryptionConfiguration: v.ServerSideEncryptionConfiguration } : null,
      ),
    put: (s3, Bucket, body) => attempt(() => s3.send(new PutBucketEncryptionCommand({ Bucket, ...body }))),
    remove: (s3, Bucket) => attempt(() => s3.send(new DeleteBucketEncryptionCommand({ Bucket }))),
  },
};

/** The part of a bucket's configuration each configuration write of spec's operations changes. */
const partWrittenBy: Readonly<Partial<Record<S3OperationName, ConfigPart>>> = {
  PutBucketCors: 'cors',
  DeleteBucketCors: 'cors',
  PutBucketLifecycleConfiguration: 'lifecycle',
  DeleteBucketLifecycle: 'lifecycle',
  PutBucketEncryption: 'encryption',
};

/** Whether an operation writes bucket configuration (spec's `config.write` action). */
export function writesConfiguration(operation: S3OperationName): boolean {
  return s3Operation(operation).action === 'config.write';
}

/** The part a configuration write changes; null for an operation whose effect the suite cannot undo. */
export function configPartWrittenBy(operation: S3OperationName): ConfigPart | null {
  return partWrittenBy[operation] ?? null;
}

/**
 * Whether "no configuration of this part" can be restored with an operation of IBEE's S3 API (spec): removing CORS
 * or lifecycle rules can; spec has no DeleteBucketEncryption, so an encryption configuration written where there was
 * none could not be taken back.
 */
export function noneIsRestorable(part: ConfigPart): boolean {
  return isS3OperationName(partAccess[part].removeOperation);
}

/** Reads one part of a bucket's configuration: the outcome carries it (null: none) when it could be read. */
export function readConfiguration(s3: S3Client, bucket: string, part: ConfigPart): Promise<S3Outcome<PartConfiguration>> {
  return partAccess[part].read(s3, bucket);
}

/** Puts a part's configuration back, or removes the part when there was none. */
export function restoreConfiguration(s3: S3Client, bucket: string, part: ConfigPart, configuration: PartConfiguration): Promise<S3Outcome> {
  if (configuration === null) return partAccess[part].remove(s3, bucket);
  // The body was read from the same part, so it has that part's shape.
  return (partAccess[part] as PartAccess<ConfigPart>).put(s3, bucket, configuration as PartConfigurations[ConfigPart]);
}

/**
 * Journal lines carry a configuration as JSON; lifecycle rules hold dates (`Expiration.Date`, `Transitions[].Date`),
 * which the SDK serialises from Date objects only.
 */
export function reviveConfigurationDates(key: string, value: unknown): unknown {
  return key === 'Date' && typeof value === 'string' ? new Date(value) : value;
}
