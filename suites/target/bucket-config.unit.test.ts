import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DeleteBucketCorsCommand,
  DeleteBucketLifecycleCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  type CORSRule,
  type LifecycleRule,
  type S3Client,
  type ServerSideEncryptionRule,
} from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Operations } from '../../spec/index.js';
import { corsConfiguration, encryptionConfiguration, lifecycleConfiguration } from '../checks/exercisers.js';
import { configPartWrittenBy, configParts, noneIsRestorable, readConfiguration, restoreConfiguration, reviveConfigurationDates, writesConfiguration, type ConfigPart } from './bucket-config.js';
import { CleanupRegistry, readJournal } from './cleanup.js';
import type { RunSettings } from './config.js';
import { createSuiteContext, type SuiteContext } from './context.js';
import { startEmbeddedMock, type EmbeddedMock } from './embedded-mock.js';
import { settleRun } from './run.js';

describe('which operations write which configuration', () => {
  it('every configuration write of spec has a part the suite can read and restore', () => {
    const writes = s3Operations.filter((rule) => writesConfiguration(rule.operation)).map((rule) => rule.operation);
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.filter((operation) => configPartWrittenBy(operation) === null)).toEqual([]);
    // And nothing else is taken for one.
    expect(s3Operations.filter((rule) => !writesConfiguration(rule.operation) && configPartWrittenBy(rule.operation) !== null)).toEqual([]);
  });

  it('the first configuration journaled for a part is the one restored, whichever worker journals after it', () => {
    const journal = join(mkdtempSync(join(tmpdir(), 'ibee-first-prior-')), 'created.jsonl');
    const first = new CleanupRegistry('run', journal);
    const second = new CleanupRegistry('run', journal);
    const userCors = { CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] } };
    const suiteCors = { CORSConfiguration: corsConfiguration };
    expect(first.intendConfigurationWrite('users', 'cors', userCors).prior).toEqual(userCors);
    // The second worker read the bucket after the first one wrote: it is handed the first reading.
    expect(second.intendConfigurationWrite('users', 'cors', suiteCors).prior).toEqual(userCors);
    expect(second.intendConfigurationWrite('users', 'lifecycle', null).prior).toBeNull();
    expect(readJournal(journal).configurations).toEqual([
      { bucket: 'users', part: 'cors', prior: userCors },
      { bucket: 'users', part: 'lifecycle', prior: null },
    ]);
    expect(second.touchedConfigurations()).toEqual(readJournal(journal).configurations);
    rmSync(dirname(journal), { recursive: true, force: true });
  });

  it('"no configuration" is restorable only where IBEE\'s S3 API can remove the part', () => {
    expect(Object.fromEntries(configParts.map((part) => [part, noneIsRestorable(part)]))).toEqual({ cors: true, lifecycle: true, encryption: false });
  });
});

const corsRule: fc.Arbitrary<CORSRule> = fc.record(
  {
    ID: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
    AllowedMethods: fc.subarray(['GET', 'PUT', 'HEAD', 'POST', 'DELETE'], { minLength: 1 }),
    AllowedOrigins: fc.array(fc.oneof(fc.constant('*'), fc.stringMatching(/^[a-z0-9]{1,10}$/).map((host) => `https://${host}.example`)), { minLength: 1, maxLength: 3 }),
    AllowedHeaders: fc.subarray(['*', 'content-type', 'x-amz-date'], { minLength: 1 }),
    ExposeHeaders: fc.subarray(['ETag', 'x-amz-request-id'], { minLength: 1 }),
    MaxAgeSeconds: fc.nat({ max: 86_400 }),
  },
  { requiredKeys: ['AllowedMethods', 'AllowedOrigins'] },
);

const lifecycleRule = (id: string): fc.Arbitrary<LifecycleRule> =>
  fc.record({
    ID: fc.constant(id),
    Status: fc.constantFrom('Enabled' as const, 'Disabled' as const),
    Filter: fc.stringMatching(/^[a-z0-9/]{0,10}$/).map((Prefix) => ({ Prefix })),
    Expiration: fc.oneof(
      fc.integer({ min: 1, max: 3650 }).map((Days) => ({ Days })),
      // Lifecycle dates are at midnight UTC; they travel through the journal as JSON.
      fc.integer({ min: 20_000, max: 30_000 }).map((day) => ({ Date: new Date(day * 86_400_000) })),
    ),
  });

const lifecycleRules: fc.Arbitrary<LifecycleRule[]> = fc
  .uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { minLength: 1, maxLength: 3 })
  .chain((ids) => fc.tuple(...ids.map(lifecycleRule)));

const encryptionRule: fc.Arbitrary<ServerSideEncryptionRule> = fc.oneof(
  fc.constant({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' as const } }),
  fc.record({
    ApplyServerSideEncryptionByDefault: fc.stringMatching(/^[a-z0-9-]{1,20}$/).map((KMSMasterKeyID) => ({ SSEAlgorithm: 'aws:kms' as const, KMSMasterKeyID })),
    BucketKeyEnabled: fc.boolean(),
  }),
);

/** A bucket's configuration of each part, as a user may have set it (null: none; encryption always has one on the mock). */
const userConfiguration: fc.Arbitrary<UserConfiguration> = fc.record({
  cors: fc.option(fc.array(corsRule, { minLength: 1, maxLength: 3 }), { nil: null }),
  lifecycle: fc.option(lifecycleRules, { nil: null }),
  encryption: encryptionRule,
});

interface UserConfiguration {
  readonly cors: CORSRule[] | null;
  readonly lifecycle: LifecycleRule[] | null;
  readonly encryption: ServerSideEncryptionRule;
}

async function configure(s3: S3Client, Bucket: string, config: UserConfiguration): Promise<void> {
  if (config.cors) await s3.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: config.cors } }));
  else await s3.send(new DeleteBucketCorsCommand({ Bucket }));
  if (config.lifecycle) await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules: config.lifecycle } }));
  else await s3.send(new DeleteBucketLifecycleCommand({ Bucket }));
  await s3.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: { Rules: [config.encryption] } }));
}

/** Every part of a bucket's configuration, as S3 answers it. */
async function configurationOf(s3: S3Client, bucket: string): Promise<Record<ConfigPart, unknown>> {
  const read = async (part: ConfigPart) => {
    const outcome = await readConfiguration(s3, bucket, part);
    if (outcome.value === undefined) throw new Error(`reading ${part} of ${bucket} answered ${outcome.status} ${outcome.code}`);
    return outcome.value;
  };
  return { cors: await read('cors'), lifecycle: await read('lifecycle'), encryption: await read('encryption') };
}

describe('leaving a bucket the run did not create as found', () => {
  let mock: EmbeddedMock;
  let dir: string;
  /** The bucket's owner: a context of another run, whose prefix the runs below do not share. */
  let owner: SuiteContext;
  let ownerS3: S3Client;
  let bucket: string;

  const settings = (runPrefix: string, more: Partial<RunSettings> = {}): RunSettings => ({
    driver: 'rest',
    credentialsFile: null,
    seed: 7,
    runs: 3,
    only: null,
    runPrefix,
    checksFile: null,
    ...more,
  });
  const contextOf = async (runPrefix: string, journalFile: string | null, more: Partial<RunSettings> = {}): Promise<SuiteContext> =>
    createSuiteContext(await settleRun({ endpoint: mock.endpoint, settings: settings(runPrefix, more), journalFile }));

  beforeAll(async () => {
    mock = await startEmbeddedMock();
    dir = mkdtempSync(join(tmpdir(), 'ibee-bucket-config-'));
    owner = await contextOf('owner', null);
    ownerS3 = await owner.adminS3();
    bucket = await owner.createBucket();
    await ownerS3.send(new PutObjectCommand({ Bucket: bucket, Key: 'users/own.txt', Body: 'the user\'s object' }));
  });
  afterAll(async () => {
    await owner?.dispose();
    await mock?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('property: what was read, put back (through the journal\'s JSON), reads the same, whatever the bucket had', async () => {
    await fc.assert(
      fc.asyncProperty(userConfiguration, async (config) => {
        await configure(ownerS3, bucket, config);
        const before = await configurationOf(ownerS3, bucket);
        const priors = JSON.parse(JSON.stringify(before), reviveConfigurationDates) as Record<ConfigPart, never>;
        // What the suite writes, then the restore.
        await ownerS3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: corsConfiguration }));
        await ownerS3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: lifecycleConfiguration }));
        await ownerS3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: encryptionConfiguration }));
        for (const part of configParts) expect((await restoreConfiguration(ownerS3, bucket, part, priors[part])).status, part).toBeLessThan(300);
        expect(await configurationOf(ownerS3, bucket)).toEqual(before);
      }),
      { numRuns: 12, seed: 20260101 },
    );
  });

});
