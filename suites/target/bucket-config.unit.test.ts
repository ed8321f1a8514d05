import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CreateMultipartUploadCommand,
  DeleteBucketCorsCommand,
  DeleteBucketLifecycleCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
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
import { corsConfiguration, encryptionConfiguration, exercisers, lifecycleConfiguration } from '../checks/exercisers.js';
import { exerciseTarget, prepareGridFixture } from '../checks/permissions.js';
import { configPartWrittenBy, configParts, noneIsRestorable, readConfiguration, restoreConfiguration, reviveConfigurationDates, writesConfiguration, type ConfigPart } from './bucket-config.js';
import { CleanupRegistry, readJournal } from './cleanup.js';
import type { RunSettings } from './config.js';
import { createSuiteContext, lifecycleNotWritten, type SuiteContext } from './context.js';
import { startEmbeddedMock, type EmbeddedMock } from './embedded-mock.js';
import type { ManualCredential } from './manual-driver.js';
import { settleRun } from './run.js';
import { sweepJournal } from './sweep.js';

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

  it('a write to such a bucket sends the bucket\'s own configuration, is journaled first and undone at dispose; lifecycle rules only with the flag', async () => {
    const cors = [{ ID: 'users', AllowedMethods: ['GET'], AllowedOrigins: ['https://users.example'] }];
    await configure(ownerS3, bucket, { cors, lifecycle: [{ ID: 'users', Status: 'Enabled', Filter: { Prefix: 'old/' }, Expiration: { Days: 9 } }], encryption: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } } });
    const before = await configurationOf(ownerS3, bucket);
    const journalFile = join(mkdtempSync(join(dir, 'run-')), 'created.jsonl');
    const ctx = await contextOf('guest', journalFile);
    const fixture = await prepareGridFixture(ctx, bucket);
    // The fixture writes no configuration to it.
    expect(await configurationOf(ownerS3, bucket)).toEqual(before);

    expect(await ctx.permitConfigurationWrite(bucket, 'PutBucketLifecycleConfiguration')).toEqual({ granted: false, reason: lifecycleNotWritten });
    expect(await ctx.permitConfigurationWrite(bucket, 'DeleteBucketLifecycle')).toEqual({ granted: false, reason: lifecycleNotWritten });
    const permit = await ctx.permitConfigurationWrite(bucket, 'PutBucketCors');
    expect(permit).toEqual({ granted: true, bodies: { cors: before.cors } });
    // Journaled before the write.
    expect(readJournal(journalFile).configurations).toEqual([{ bucket, part: 'cors', prior: before.cors }]);
    const admin = await ctx.admin();
    const write = (operation: 'PutBucketCors' | 'DeleteBucketCors', bodies = {}) =>
      exercisers[operation](exerciseTarget(ctx, ctx.s3For(admin), admin, fixture, bucket, `${ctx.settings.runPrefix}-k`, bodies));
    expect((await write('PutBucketCors', permit.granted ? permit.bodies : {})).status).toBe(200);
    expect(await configurationOf(ownerS3, bucket)).toEqual(before);
    // A write the bucket's own body does not cover: removed, then put back.
    expect((await ctx.permitConfigurationWrite(bucket, 'DeleteBucketCors')).granted).toBe(true);
    expect((await write('DeleteBucketCors')).status).toBe(204);
    expect((await configurationOf(ownerS3, bucket)).cors).toBeNull();
    await ctx.dispose();
    expect(await configurationOf(ownerS3, bucket)).toEqual(before);
    // The run's keys are gone; the user's object stays.
    expect(((await ownerS3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key)).toEqual(['users/own.txt']);

    const allowed = await contextOf('allowed', null, { allowConfigWrites: true });
    expect(await allowed.permitConfigurationWrite(bucket, 'PutBucketLifecycleConfiguration')).toEqual({ granted: true, bodies: { lifecycle: before.lifecycle } });
    await allowed.dispose();
  });

  it('restores what the bucket had before the run\'s first write, even when another worker read it after that write', async () => {
    await configure(ownerS3, bucket, { cors: null, lifecycle: null, encryption: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } } });
    const journalFile = join(mkdtempSync(join(dir, 'run-')), 'created.jsonl');
    const first = await contextOf('workers', journalFile);
    expect(await first.permitConfigurationWrite(bucket, 'PutBucketCors')).toEqual({ granted: true, bodies: {} });
    await ownerS3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: corsConfiguration }));
    // A second worker of the same run: it finds the journaled configuration (none), not the one the first wrote.
    const second = await contextOf('workers', journalFile);
    expect(await second.permitConfigurationWrite(bucket, 'DeleteBucketCors')).toEqual({ granted: true, bodies: {} });
    await second.dispose();
    expect((await configurationOf(ownerS3, bucket)).cors).toBeNull();
    await first.dispose();
  });

  it('writes nothing where no key may read and restore the configuration, and uses a bucket-scoped admin key where that is the best one', async () => {
    const scoped = (level: 'object_rw' | 'admin_rw') => owner.token({ object_storage: { permission_type: level, bucket_scope: 'specific', allowed_buckets: [bucket] } });
    const credential = async (level: 'object_rw' | 'admin_rw'): Promise<ManualCredential> => {
      const token = await scoped(level);
      return { permission_type: level, bucket_scope: 'specific', allowed_buckets: [bucket], bearer_token: token.bearerToken!, access_key_id: token.accessKeyId!, secret_access_key: token.secretAccessKey! };
    };
    const objectOnly = join(dir, 'object-only.json');
    writeFileSync(objectOnly, JSON.stringify({ tokens: [await credential('object_rw')] }));
    const withoutKeeper = await contextOf('nokeeper', null, { driver: 'manual', credentialsFile: objectOnly });
    const refused = await withoutKeeper.permitConfigurationWrite(bucket, 'PutBucketCors');
    expect(refused).toMatchObject({ granted: false, reason: expect.stringMatching(/^no Admin Read & Write key on .* to read its cors configuration first and restore it after/) });
    await withoutKeeper.dispose();

    const scopedAdmin = join(dir, 'scoped-admin.json');
    writeFileSync(scopedAdmin, JSON.stringify({ tokens: [await credential('object_rw'), await credential('admin_rw')] }));
    const keeper = await contextOf('keeper', null, { driver: 'manual', credentialsFile: scopedAdmin });
    expect((await keeper.permitConfigurationWrite(bucket, 'DeleteBucketCors')).granted).toBe(true);
    await keeper.dispose();
  });

  it('an interrupted worker\'s configuration writes and keys in such a bucket are undone by the journal sweep', async () => {
    const cors = [{ ID: 'kept', AllowedMethods: ['PUT'], AllowedOrigins: ['*'] }];
    await configure(ownerS3, bucket, { cors, lifecycle: null, encryption: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } } });
    await ownerS3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'users/upload' }));
    const objectsBefore = await ownerS3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const uploadsBefore = await ownerS3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    const before = await configurationOf(ownerS3, bucket);
    const journalDir = mkdtempSync(join(dir, 'run-'));
    const run = await settleRun({ endpoint: mock.endpoint, settings: settings('crashed'), journalFile: join(journalDir, 'created.jsonl') });
    const crashed = await createSuiteContext(run);
    await prepareGridFixture(crashed, bucket);
    expect((await crashed.permitConfigurationWrite(bucket, 'DeleteBucketCors')).granted).toBe(true);
    await ownerS3.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    // The worker "dies" here: no dispose.

    expect(await sweepJournal(run)).toEqual({ tokenIds: [], buckets: [], configurations: [] });
    expect(await configurationOf(ownerS3, bucket)).toEqual(before);
    expect((await ownerS3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents).toEqual(objectsBefore.Contents);
    expect((await ownerS3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads).toEqual(uploadsBefore.Uploads);
    expect(readFileSync(run.journalFile!, 'utf8')).toContain('"foreign-bucket"');
  });
});
