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
import { bucketNameRules, tokenExpiryDays } from '../../spec/index.js';
import { registerSecret } from '../../reports/redact.js';
import { NotApplicable } from '../checks/registry.js';
import { TargetClock, type Capabilities } from './capabilities.js';
import { CleanupRegistry } from './cleanup.js';
import { noRestApiReason, restApiOf, type RestApi, type RunSettings, type TargetEndpoint } from './config.js';
import { DriverCannot, type IssuedToken, type TokenDriver, type TokenSpec } from './driver.js';
import { CredentialsTokenDriver } from './credentials-driver.js';
import { loadCredentialsFile, ManualTokenDriver } from './manual-driver.js';
import { RestTokenDriver } from './rest-driver.js';
import type { SettledRun } from './run.js';
import { attempt, credentialsOf, s3Client } from './s3.js';

/** Everything a check needs to talk to one target: endpoint, driver, clock, fixture admin and the cleanup registry. */

export class SuiteContext {
  private adminToken: Promise<IssuedToken> | null = null;
  private adminClient: S3Client | null = null;
  private counter = 0;
  /** Buckets the run did not create (manual driver) in which it wrote `${runPrefix}-…` keys to remove at the end. */
  private readonly foreignBuckets = new Set<string>();

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

  async adminS3(): Promise<S3Client> {
    if (!this.adminClient) this.adminClient = this.s3For(await this.admin());
    return this.adminClient;
  }

  s3For(token: IssuedToken): S3Client {
    return s3Client(this.target, credentialsOf(token), this.clock);
  }

  /** Creates a bucket under the run prefix with the fixture admin and tracks it for cleanup. */
  async createBucket(name: string = this.name('b')): Promise<string> {
    const s3 = await this.adminS3();
    this.cleanup.trackBucket(name);
    const outcome = await attempt(() => s3.send(new CreateBucketCommand({ Bucket: name })));
    if (outcome.status >= 300) throw new Error(`fixture: creating bucket ${name} answered ${outcome.status} ${outcome.code}`);
    return name;
  }

  /** Empties and deletes one of the run's buckets. */
  async removeBucket(name: string): Promise<boolean> {
    if (!this.cleanup.owns(name)) return false;
    const s3 = await this.adminS3();
    for (let round = 0; round < 50; round += 1) {
      const listed = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: name, MaxKeys: 1000 })));
      if (listed.status === 404) return true;
      const keys = listed.value?.Contents?.map((object) => object.Key).filter((key): key is string => key !== undefined) ?? [];
      if (keys.length === 0) break;
      for (const key of keys) await attempt(() => s3.send(new DeleteObjectCommand({ Bucket: name, Key: key })));
    }
    const uploads = await attempt(() => s3.send(new ListMultipartUploadsCommand({ Bucket: name })));
    for (const upload of uploads.value?.Uploads ?? []) {
      if (upload.Key && upload.UploadId) {
        const { Key, UploadId } = upload;
        await attempt(() => s3.send(new AbortMultipartUploadCommand({ Bucket: name, Key, UploadId })));
      }
    }
    const deleted = await attempt(() => s3.send(new DeleteBucketCommand({ Bucket: name })));
    return deleted.status < 300 || deleted.status === 404;
  }

  /** Marks a bucket the run does not own but writes prefixed keys into; those keys are removed in dispose. */
  useForeignBucket(name: string): void {
    if (!this.cleanup.owns(name)) this.foreignBuckets.add(name);
  }

  private async removePrefixedKeys(bucket: string): Promise<void> {
    const s3 = await this.adminS3();
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

  /** Removes everything this context created; the fixture admin goes last because it removes the buckets. */
  async dispose(): Promise<void> {
    let admin: IssuedToken | null = null;
    try {
      admin = this.adminToken ? await this.adminToken : null;
    } catch {
      admin = null;
    }
    const adminId = admin?.id ?? null;
    const canRemoveBuckets = admin !== null;
    if (canRemoveBuckets) for (const bucket of this.foreignBuckets) await this.removePrefixedKeys(bucket).catch(() => undefined);
    const revoker = this.driver.capabilities.revoke ? { retireToken: (id: string) => this.driver.retireToken(id) } : null;
    await this.cleanup.cleanUp(canRemoveBuckets ? this : null, revoker, adminId ? [adminId] : []);
    if (adminId && revoker) await this.cleanup.cleanUp(null, revoker);
    this.adminClient?.destroy();
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
