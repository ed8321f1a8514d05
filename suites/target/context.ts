import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { bucketNameRules, isAllowed, permissionTypes, tokenExpiryDays, type PermissionType, type S3OperationName } from '../../spec/index.js';
import { registerSecret } from '../../reports/redact.js';
import { NotApplicable } from '../checks/registry.js';
import {
  configPartWrittenBy,
  noneIsRestorable,
  readConfiguration,
  restoreConfiguration,
  type ConfigPart,
  type ConfigurationBodies,
  type PartConfiguration,
} from './bucket-config.js';
import { TargetClock, type Capabilities } from './capabilities.js';
import { CleanupRegistry } from './cleanup.js';
import { concurrencyOf, mapConcurrently } from './concurrency.js';
import { noRestApiReason, restApiOf, type RestApi, type RunSettings, type TargetEndpoint } from './config.js';
import { DriverCannot, type IssuedToken, type TokenDriver, type TokenSpec } from './driver.js';
import { CredentialsTokenDriver } from './credentials-driver.js';
import { loadCredentialsFile, ManualTokenDriver } from './manual-driver.js';
import { RestTokenDriver } from './rest-driver.js';
import type { SettledRun } from './run.js';
import { attempt, credentialsOf, s3Client } from './s3.js';

/**
 * Whether a configuration write may go to a bucket, and with what: on a bucket the run did not create, the bodies
 * of Puts are the bucket's own configuration where it has one (so that even a write the target should have refused
 * changes nothing), and what the write changes is restored after (journaled first).
 */
export type ConfigurationWritePermit =
  | { readonly granted: true; readonly bodies: ConfigurationBodies }
  | { readonly granted: false; readonly reason: string };

/** Why lifecycle rules are not written to a user's bucket: a rule can delete data. */
export const lifecycleNotWritten = 'lifecycle rules are not written to a bucket the run did not create (--allow-config-writes to allow)';

type PriorReading = { readonly prior: PartConfiguration } | { readonly reason: string };

/** Everything a check needs to talk to one target: endpoint, driver, clock, fixture admin and the cleanup registry. */

/** A key limited to one bucket, and that bucket. */
export interface KeyOnBucket {
  readonly token: IssuedToken;
  readonly bucket: string;
}

/** The levels that may write and delete objects (spec's matrix): those a fixture may set up a bucket's objects with. */
const writingLevels: readonly PermissionType[] = permissionTypes.filter((level) => isAllowed(level, 'PutObject') && isAllowed(level, 'DeleteObject'));

export class SuiteContext {
  private adminToken: Promise<IssuedToken> | null = null;
  private adminClient: Promise<S3Client> | null = null;
  private counter = 0;
  private readonly priorReadings = new Map<string, Promise<PriorReading>>();
  /** What dispose could not restore of buckets the run did not create. */
  configurationsLeft: readonly string[] = [];
  /** Per bucket the run did not create and levels: a client that may do there what those levels may (bucketClient). */
  private readonly bucketClients = new Map<string, Promise<S3Client>>();

  constructor(
    readonly run: SettledRun,
    readonly driver: TokenDriver,
    readonly cleanup: CleanupRegistry,
    readonly clock: TargetClock,
    readonly capabilities: Capabilities,
  ) {}

  get target(): TargetEndpoint {
    return this.run.endpoint;
  }

  get settings(): RunSettings {
    return this.run.settings;
  }

  /** The target's REST API, or null on an S3-only run: for checks that judge S3 and, where given, the REST API too. */
  get restApi(): RestApi | null {
    return restApiOf(this.target);
  }

  /** The target's REST API, for checks that call it: without one (an S3-only run) they are not applicable. */
  rest(): RestApi {
    const api = this.restApi;
    if (!api) throw new NotApplicable(noRestApiReason);
    return api;
  }

  /** A fresh name under the run prefix, valid as a bucket name and a token name. */
  name(kind: string): string {
    this.counter += 1;
    const name = `${this.settings.runPrefix}-${kind}-${this.counter}-${randomBytes(3).toString('hex')}`;
    if (name.length > bucketNameRules.value.maxLength) throw new Error(`generated name ${name} is too long`);
    return name;
  }

  /** A token for `spec` from the driver (made by the rest and credentials drivers, picked from the file by the manual one). */
  token(spec: Omit<TokenSpec, 'name'> & { name?: string }): Promise<IssuedToken> {
    return this.driver.obtainToken({ ...spec, name: spec.name ?? this.name('tok') });
  }

  /** The fixture token that sets up and tears down buckets: Admin Read & Write on all buckets. */
  admin(): Promise<IssuedToken> {
    // The longest life allowed, so that time travel in a suite never expires the fixture (S3 credentials never expire).
    const expiry = this.driver.capabilities.issues === 'api-tokens' ? { expires_in_days: tokenExpiryDays.value.max } : {};
    this.adminToken ??= this.token({ name: this.name('admin'), ...expiry, object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } });
    return this.adminToken;
  }

  /**
   * A Bearer token with Admin Read & Write on all buckets for the fixtures' REST calls: the fixture admin's, or, as
   * S3 credentials have none, the API token that makes them (it may write credentials of every level and scope).
   */
  async adminBearer(): Promise<string> {
    const bearer = (await this.admin()).bearerToken ?? (this.driver.capabilities.issues === 's3-credentials' ? this.target.apiToken : null);
    if (!bearer) throw new DriverCannot(`the ${this.driver.name} driver's fixture admin (admin_rw / all) has no Bearer token`);
    return bearer;
  }

  /** The fixture admin's S3 client, made once (checks running at the same time share it). */
  adminS3(): Promise<S3Client> {
    this.adminClient ??= this.admin().then((token) => this.s3For(token));
    return this.adminClient;
  }

  s3For(token: IssuedToken): S3Client {
    return s3Client(this.target, credentialsOf(token), this.clock);
  }

  /**
   * Creates a bucket under the run prefix with the fixture admin and tracks it for cleanup. Without a fixture admin
   * (a credentials file with no Admin Read & Write key on all buckets) it throws DriverCannot, saying so: the check
   * that wanted the bucket is then not applicable.
   */
  async createBucket(name: string = this.name('b')): Promise<string> {
    const s3 = await this.bucketMaker();
    this.cleanup.trackBucket(name);
    const outcome = await attempt(() => s3.send(new CreateBucketCommand({ Bucket: name })));
    if (outcome.status >= 300) throw new Error(`fixture: creating bucket ${name} answered ${outcome.status} ${outcome.code}`);
    return name;
  }

  /** Throws DriverCannot, as createBucket would, when the run cannot make buckets of its own (no fixture admin). */
  async requireBucketCreation(): Promise<void> {
    await this.bucketMaker();
  }

  private bucketMaker(): Promise<S3Client> {
    return this.adminS3().catch((error: unknown) => {
      if (error instanceof DriverCannot) throw new DriverCannot(`a bucket of the run's own is needed, and ${error.message} to create it`);
      throw error;
    });
  }

  /** Empties and deletes one of the run's buckets. */
  async removeBucket(name: string): Promise<boolean> {
    if (!this.cleanup.owns(name)) return false;
    const s3 = await this.adminS3();
    const concurrency = concurrencyOf(this.settings);
    // The open uploads are listed while the objects are (the checks that made them are over).
    const uploadsListed = attempt(() => s3.send(new ListMultipartUploadsCommand({ Bucket: name })));
    for (let round = 0; round < 50; round += 1) {
      const listed = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: name, MaxKeys: 1000 })));
      if (listed.status === 404) {
        await uploadsListed;
        return true;
      }
      const keys = listed.value?.Contents?.map((object) => object.Key).filter((key): key is string => key !== undefined) ?? [];
      if (keys.length === 0) break;
      const deleted = await mapConcurrently(keys, concurrency, (key) => attempt(() => s3.send(new DeleteObjectCommand({ Bucket: name, Key: key }))));
      // All of a complete listing deleted: listing again would find nothing.
      if (listed.value?.IsTruncated !== true && deleted.every((outcome) => outcome.status < 300 || outcome.status === 404)) break;
    }
    const uploads = await uploadsListed;
    await mapConcurrently(uploads.value?.Uploads ?? [], concurrency, async (upload) => {
      if (upload.Key && upload.UploadId) {
        const { Key, UploadId } = upload;
        await attempt(() => s3.send(new AbortMultipartUploadCommand({ Bucket: name, Key, UploadId })));
      }
    });
    const deleted = await attempt(() => s3.send(new DeleteBucketCommand({ Bucket: name })));
    return deleted.status < 300 || deleted.status === 404;
  }

  /** Marks a bucket the run does not own but writes prefixed keys into; those keys are removed in dispose (journaled). */
  useForeignBucket(name: string): void {
    this.cleanup.trackForeignBucket(name);
  }

  /**
   * A client that may read and write the configuration of `bucket`: the fixture admin, else an Admin Read & Write
   * token scoped to that bucket; null when the driver has neither.
   */
  private configurationKeeper(bucket: string): Promise<S3Client | null> {
    return this.bucketClient(bucket, ['admin_rw'], 'read and write the configuration of').catch((error: unknown) => {
      if (error instanceof DriverCannot) return null;
      throw error;
    });
  }

  /** The configuration of a part to restore: journaled by the run already, or read now; or why it cannot be had. */
  private priorConfiguration(bucket: string, part: ConfigPart): Promise<PriorReading> {
    const key = `${part} ${bucket}`;
    let reading = this.priorReadings.get(key);
    if (!reading) {
      reading = (async (): Promise<PriorReading> => {
        const keeper = await this.configurationKeeper(bucket);
        if (!keeper) return { reason: `no Admin Read & Write key on ${bucket} to read its ${part} configuration first and restore it after, so none is written to it` };
        const journaled = this.cleanup.journaledConfiguration(bucket, part);
        if (journaled) return { prior: journaled.prior };
        const read = await readConfiguration(keeper, bucket, part);
        if (read.value === undefined) {
          return { reason: `the ${part} configuration of ${bucket} could not be read first (${read.status}${read.code ? ` ${read.code}` : ''}), so none is written to it` };
        }
        return { prior: read.value };
      })();
      this.priorReadings.set(key, reading);
    }
    return reading;
  }

  /**
   * Call before each configuration write (`operation`, of spec's config.write action) to `bucket`. A bucket of the
   * run's: granted as is. A bucket the run did not create: granted only when its prior configuration of the part
   * was read (or journaled by the run already) and can be restored, after journaling it; lifecycle rules, and an
   * encryption configuration where there was none (spec has no DeleteBucketEncryption to undo it), only with
   * --allow-config-writes.
   */
  async permitConfigurationWrite(bucket: string, operation: S3OperationName): Promise<ConfigurationWritePermit> {
    if (this.cleanup.owns(bucket)) return { granted: true, bodies: {} };
    const part = configPartWrittenBy(operation);
    if (part === null) return { granted: false, reason: `${operation} is not sent to a bucket the run did not create: the suite has no way to undo it` };
    const allowed = this.settings.allowConfigWrites === true;
    if (part === 'lifecycle' && !allowed) return { granted: false, reason: lifecycleNotWritten };
    const reading = await this.priorConfiguration(bucket, part);
    if ('reason' in reading) return { granted: false, reason: reading.reason };
    if (reading.prior === null && !noneIsRestorable(part) && !allowed) {
      return {
        granted: false,
        reason: `${bucket} has no ${part} configuration, which could not be restored exactly after a write (IBEE's S3 API cannot remove one), so none is written to a bucket the run did not create (--allow-config-writes to allow)`,
      };
    }
    const { prior } = this.cleanup.intendConfigurationWrite(bucket, part, reading.prior);
    return { granted: true, bodies: (prior === null ? {} : { [part]: prior }) as ConfigurationBodies };
  }

  /** Puts back what the run wrote of the configuration of buckets it did not create; returns what it could not. */
  async restoreConfigurations(): Promise<readonly string[]> {
    const left: string[] = [];
    for (const { bucket, part, prior } of this.cleanup.touchedConfigurations()) {
      const keeper = await this.configurationKeeper(bucket).catch(() => null);
      const restored = keeper ? await restoreConfiguration(keeper, bucket, part, prior) : null;
      if (!restored || restored.status >= 300) {
        left.push(`the ${part} configuration of bucket ${bucket} (${restored ? `${restored.status}${restored.code ? ` ${restored.code}` : ''}` : 'no key may write it'})`);
      }
    }
    this.configurationsLeft = left;
    return left;
  }

  /**
   * A key of `level` limited to one bucket, and that bucket, for fixtures that need one key on one bucket. A driver
   * that makes keys makes a new bucket of the run and a key limited to it. With pre-made keys (the manual driver) the
   * key decides: the bucket the file's `level` / specific key is limited to (the run writes only `${runPrefix}-…`
   * keys there, removed at the end), or else a new bucket of the run with the file's `level` key on all buckets.
   * Throws DriverCannot, naming what is missing, when there is neither.
   */
  async keyOnBucket(level: PermissionType): Promise<KeyOnBucket> {
    if (this.driver.capabilities.create) {
      const bucket = await this.createBucket();
      return { bucket, token: await this.token({ object_storage: { permission_type: level, bucket_scope: 'specific', allowed_buckets: [bucket] } }) };
    }
    let missingSpecific: string;
    try {
      const token = await this.token({ object_storage: { permission_type: level, bucket_scope: 'specific' } });
      const bucket = token.objectStorage?.allowedBuckets[0];
      if (bucket === undefined) throw new DriverCannot(`the ${this.driver.name} driver's ${level} / specific key names no bucket (allowed_buckets)`);
      this.useForeignBucket(bucket);
      return { bucket, token };
    } catch (error) {
      if (!(error instanceof DriverCannot)) throw error;
      missingSpecific = error.message;
    }
    try {
      const token = await this.token({ object_storage: { permission_type: level, bucket_scope: 'all' } });
      return { bucket: await this.createBucket(), token };
    } catch (error) {
      if (!(error instanceof DriverCannot)) throw error;
      throw new DriverCannot(`no ${level} key on a bucket it covers: ${missingSpecific}; ${error.message}`);
    }
  }

  /**
   * A bucket to write the run's `${runPrefix}-…` keys in, and a key that may: a new bucket of the run with the fixture
   * admin, or, where the run cannot make buckets (pre-made bucket-scoped keys only), the bucket a pre-made key that
   * may write objects is limited to. Throws DriverCannot, naming what is missing, when there is neither.
   */
  async writableBucket(): Promise<KeyOnBucket> {
    const missing: string[] = [];
    try {
      const token = await this.admin();
      return { token, bucket: await this.createBucket() };
    } catch (error) {
      if (!(error instanceof DriverCannot)) throw error;
      missing.push(error.message);
    }
    for (const level of writingLevels) {
      try {
        return await this.keyOnBucket(level);
      } catch (error) {
        if (!(error instanceof DriverCannot)) throw error;
        missing.push(error.message);
      }
    }
    throw new DriverCannot(`no bucket this run may write objects in: ${missing.join('; ')}`);
  }

  /**
   * A client that may write and remove the run's `${runPrefix}-…` keys in `bucket`: the fixture admin, or, with
   * pre-made keys and no admin on all buckets, a key of the file that is limited to that bucket and may write
   * objects. Throws DriverCannot, naming what is missing, when there is none.
   */
  writerFor(bucket: string): Promise<S3Client> {
    return this.bucketClient(bucket, writingLevels, 'write objects in');
  }

  /**
   * A client for `bucket`, made once per bucket and levels: the fixture admin, else a key of the first of `levels`
   * that is limited to that bucket. Throws DriverCannot, naming what no key `does` there, when there is none.
   */
  private bucketClient(bucket: string, levels: readonly PermissionType[], does: string): Promise<S3Client> {
    const memo = `${levels.join(',')} ${bucket}`;
    let client = this.bucketClients.get(memo);
    if (!client) {
      client = (async () => {
        const missing: string[] = [];
        try {
          return await this.adminS3();
        } catch (error) {
          if (!(error instanceof DriverCannot)) throw error;
          missing.push(error.message);
        }
        for (const level of levels) {
          try {
            const token = await this.token({ object_storage: { permission_type: level, bucket_scope: 'specific', allowed_buckets: [bucket] } });
            if (!token.objectStorage?.allowedBuckets.includes(bucket)) throw new DriverCannot(`the ${this.driver.name} driver's ${level} / specific key does not cover ${bucket}`);
            return this.s3For(token);
          } catch (error) {
            if (!(error instanceof DriverCannot)) throw error;
            missing.push(error.message);
          }
        }
        throw new DriverCannot(`no key may ${does} ${bucket}: ${missing.join('; ')}`);
      })();
      this.bucketClients.set(memo, client);
    }
    return client;
  }

  private async removePrefixedKeys(bucket: string): Promise<void> {
    const s3 = await this.writerFor(bucket);
    const Prefix = `${this.settings.runPrefix}-`;
    for (let round = 0; round < 50; round += 1) {
      const listed = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix })));
      const keys = listed.value?.Contents?.map((object) => object.Key).filter((key): key is string => key !== undefined) ?? [];
      if (keys.length === 0) break;
      for (const key of keys) await attempt(() => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    }
    const uploads = await attempt(() => s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix })));
    for (const upload of uploads.value?.Uploads ?? []) {
      if (upload.Key && upload.UploadId) {
        const { Key, UploadId } = upload;
        await attempt(() => s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId })));
      }
    }
  }

  /**
   * Restores the configuration of buckets the run did not create and removes everything this context created; the
   * fixture admin goes last because it removes the buckets.
   */
  async dispose(): Promise<void> {
    await this.restoreConfigurations();
    let admin: IssuedToken | null = null;
    try {
      admin = this.adminToken ? await this.adminToken : null;
    } catch {
      admin = null;
    }
    const adminId = admin?.id ?? null;
    const canRemoveBuckets = admin !== null;
    for (const bucket of this.cleanup.foreignBuckets()) await this.removePrefixedKeys(bucket).catch(() => undefined);
    const revoker = this.driver.capabilities.revoke ? { retireToken: (id: string) => this.driver.retireToken(id) } : null;
    const concurrency = concurrencyOf(this.settings);
    await this.cleanup.cleanUp(canRemoveBuckets ? this : null, revoker, adminId ? [adminId] : [], concurrency);
    if (adminId && revoker) await this.cleanup.cleanUp(null, revoker, [], concurrency);
    const adminClient = this.adminClient ? await this.adminClient.catch(() => null) : null;
    for (const made of this.bucketClients.values()) {
      const client = await made.catch(() => null);
      if (client !== adminClient) client?.destroy();
    }
    adminClient?.destroy();
  }
}

export async function createSuiteContext(run: SettledRun): Promise<SuiteContext> {
  registerSecret(run.endpoint.managementToken, 'the management token');
  registerSecret(run.endpoint.apiToken, 'the API token');
  const cleanup = new CleanupRegistry(run.settings.runPrefix, run.journalFile);
  let driver: TokenDriver;
  if (run.settings.driver === 'manual') {
    if (!run.settings.credentialsFile) throw new DriverCannot('the manual driver needs a credentials file');
    driver = new ManualTokenDriver(loadCredentialsFile(run.settings.credentialsFile));
  } else {
    // The other drivers manage tokens through the REST API (the configuration asks for it with them).
    const api = restApiOf(run.endpoint);
    if (!api) throw new DriverCannot(`the ${run.settings.driver} driver needs the REST API (IBEE_API_URL and IBEE_PROJECT_ID)`);
    const target = { ...run.endpoint, ...api };
    if (run.settings.driver === 'credentials') {
      if (!run.endpoint.apiToken) throw new DriverCannot('the credentials driver needs an API token (IBEE_API_TOKEN)');
      driver = new CredentialsTokenDriver(target, cleanup);
    } else {
      driver = new RestTokenDriver(target, cleanup);
    }
  }
  const clock = new TargetClock(run.endpoint, run.capabilities.timeTravel);
  await clock.refresh();
  return new SuiteContext(run, driver, cleanup, clock, run.capabilities);
}
