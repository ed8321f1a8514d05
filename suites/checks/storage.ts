import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Crc32 } from '@aws-crypto/crc32';
import fc from 'fast-check';
import type { Evidence } from '../../reports/results-format.js';
import { bucketNameRules, objectKeyRules, restBucketRegions } from '../../spec/index.js';
import { bucketName } from '../arbitraries/bucketName.js';
import { corruptedUpload, declaredChecksums, type CorruptedUpload, type DeclaredChecksum } from '../arbitraries/corruptedUpload.js';
import { invalidBucketName, type InvalidBucketName } from '../arbitraries/invalidBucketName.js';
import { longObjectKey } from '../arbitraries/longObjectKey.js';
import { objectBody, seededBytes } from '../arbitraries/objectBody.js';
import { objectKey } from '../arbitraries/objectKey.js';
import { overlongObjectKey } from '../arbitraries/overlongObjectKey.js';
import { oneAtATimePerKey } from '../target/concurrency.js';
import { noRestApiReason, type RestApi } from '../target/config.js';
import type { SuiteContext } from '../target/context.js';
import { DriverCannot } from '../target/driver.js';
import { httpRequest, toEvidence, type HttpExchange, publicApiUrl } from '../target/http.js';
import { attempt, credentialsOf, rawFetch, signRequest, type RawResponse, type S3Credentials, type S3Outcome } from '../target/s3.js';
import { describeOutcome } from './exercisers.js';
import { recordCheck } from './record.js';
import { assertProperty, defineCheck, RequirementViolation, type CheckDefinition } from './registry.js';

/** Storage: bucket naming, deleting non-empty buckets, exact object round trips, and checksum verification. */

export const bucketNamesValidCheck = defineCheck({
  name: 'storage.bucket-names-valid',
  requirementIds: ['BUCKET-NAME-RULES'],
  summary: 'Valid bucket names under the run prefix are accepted by S3 CreateBucket and REST POST /v1/object-storage/buckets, and deleted again.',
  area: 'storage',
  run: (ctx) => checkValidBucketNames(ctx),
});
export const bucketNamesInvalidCheck = defineCheck({
  name: 'storage.bucket-names-invalid',
  requirementIds: ['BUCKET-NAME-RULES'],
  summary: 'Names breaking one naming rule (upper case, _, ., edge hyphen, length, other characters) are refused (S3 400 InvalidBucketName, REST 4xx JSON) and never created.',
  area: 'storage',
  run: (ctx) => checkInvalidBucketNames(ctx),
});
export const deleteNonEmptyCheck = defineCheck({
  name: 'storage.delete-nonempty-bucket',
  requirementIds: ['BUCKET-DELETE-NONEMPTY'],
  summary: 'A bucket holding an object is refused DeleteBucket (S3 409 BucketNotEmpty, REST 409) and keeps its object; once emptied it can be deleted.',
  area: 'storage',
  run: (ctx) => checkDeleteNonEmpty(ctx),
});
export const objectRoundTripCheck = defineCheck({
  name: 'storage.object-roundtrip',
  requirementIds: ['OBJECT-ROUNDTRIP'],
  summary: 'Any key up to 1024 UTF-8 bytes and any body (empty, small, around 64 KiB) is read back byte for byte, listed under its exact key, and HEAD gives its length.',
  area: 'storage',
  run: (ctx) => checkObjectRoundTrip(ctx),
});
export const keyTooLongCheck = defineCheck({
  name: 'storage.key-too-long',
  requirementIds: ['OBJECT-ROUNDTRIP'],
  summary: 'Keys over 1024 UTF-8 bytes are refused (400 KeyTooLongError) and nothing is stored.',
  area: 'storage',
  run: (ctx) => checkKeyTooLong(ctx),
});
export const checksumMismatchCheck = defineCheck({
  name: 'storage.checksum-mismatch',
  requirementIds: ['DATA-INTEGRITY'],
  summary: 'A PUT whose body does not match its Content-MD5, x-amz-checksum-crc32/sha256 or x-amz-content-sha256 is refused (BadDigest / XAmzContentSHA256Mismatch) and stores nothing.',
  area: 'storage',
  run: (ctx) => checkChecksumMismatch(ctx),
});

/** Bucket creations per property run are bounded for real accounts: each run makes (and removes) two. */
const maxBucketNameRuns = 10;
const maxDeleteNonEmptyRuns = 4;

const bucketsPath = '/v1/object-storage/buckets';

function bearerOf(bearerToken: string): Record<string, string> {
  return { authorization: `Bearer ${bearerToken}` };
}

/** The REST API and the fixture admin's Authorization header, for the REST half of a storage check. */
interface RestCaller {
  readonly api: RestApi;
  readonly headers: Record<string, string>;
}

/**
 * The REST half of a storage check: null when there is none to call (an S3-only run, or pre-made keys without a
 * Bearer token), recorded not_applicable for that half, saying why; the S3 half is judged either way.
 */
async function restHalf(ctx: SuiteContext, definition: CheckDefinition, what: string): Promise<RestCaller | null> {
  const api = ctx.restApi;
  let reason = noRestApiReason;
  if (api !== null) {
    try {
      return { api, headers: bearerOf(await ctx.adminBearer()) };
    } catch (error) {
      if (!(error instanceof DriverCannot)) throw error;
      reason = error.message;
    }
  }
  recordCheck({ check: definition.name, requirementIds: definition.requirementIds, status: 'not_applicable', reason: `${what} not judged: ${reason}` }, ctx.settings.checksFile);
  return null;
}

function restBucketUrl(api: RestApi, name?: string): string {
  return publicApiUrl(api, `${bucketsPath}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`);
}

function isJsonError(exchange: HttpExchange): boolean {
  return exchange.json !== null && typeof exchange.json === 'object' && !Array.isArray(exchange.json);
}

/** Whether ListBuckets shows `name` (one page is enough for a run's own account of test buckets). */
async function bucketListed(s3: S3Client, name: string): Promise<boolean> {
  const listed = await attempt(() => s3.send(new ListBucketsCommand({})));
  if (listed.status !== 200) throw new Error(`ListBuckets with the fixture admin answered ${describeOutcome(listed)}`);
  return (listed.value?.Buckets ?? []).some((bucket) => bucket.Name === name);
}

/**
 * Whether `bucket` exists, as the fixture admin sees it: HeadBucket answers 200 or 404. A target may refuse
 * HeadBucket itself (an IAM that authorizes it as an action of its own): the grid judges that under the levels'
 * permissions, so here ListObjectsV2 is asked instead (200, or 404 NoSuchBucket). `present` is null when neither
 * tells; `seen` says what was answered.
 */
async function bucketPresence(s3: S3Client, bucket: string): Promise<{ present: boolean | null; seen: string }> {
  const head = await attempt(() => s3.send(new HeadBucketCommand({ Bucket: bucket })));
  const headSeen = `HeadBucket ${describeOutcome(head)}`;
  if (head.status === 200 || head.status === 404) return { present: head.status === 200, seen: headSeen };
  const list = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 })));
  const seen = `${headSeen}, ListObjectsV2 ${describeOutcome(list)}`;
  if (list.status === 200) return { present: true, seen };
  if (list.status === 404 && list.code === 'NoSuchBucket') return { present: false, seen };
  return { present: null, seen };
}

async function readBytes(s3: S3Client, bucket: string, key: string): Promise<S3Outcome<Uint8Array>> {
  return attempt(async () => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToByteArray()) ?? new Uint8Array(0);
  });
}

function describeKey(key: string): string {
  const characters = Array.from(key);
  return `${JSON.stringify(characters.length > 60 ? `${characters.slice(0, 60).join('')}…` : key)} (${Buffer.byteLength(key, 'utf8')} UTF-8 bytes)`;
}

/** Where two byte strings first differ, for a message that says what broke. */
function firstDifference(expected: Uint8Array, actual: Uint8Array): string {
  const length = Math.min(expected.length, actual.length);
  for (let i = 0; i < length; i += 1) {
    if (expected[i] !== actual[i]) return `byte ${i} is 0x${actual[i]!.toString(16).padStart(2, '0')}, expected 0x${expected[i]!.toString(16).padStart(2, '0')}`;
  }
  return `${actual.length} bytes, expected ${expected.length}`;
}

function sameBytes(expected: Uint8Array, actual: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength), Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)) === 0;
}

// ---------------------------------------------------------------------------------------------------------------
// BUCKET-NAME-RULES

export async function checkValidBucketNames(ctx: SuiteContext): Promise<void> {
  await ctx.requireBucketCreation();
  const s3 = await ctx.adminS3();
  const rest = await restHalf(ctx, bucketNamesValidCheck, `POST ${bucketsPath}`);
  const prefix = ctx.settings.runPrefix;
  const used = new Set<string>();
  const property = fc.asyncProperty(bucketName(prefix), bucketName(prefix), async (viaS3, viaRest) => {
    // A name is created once per check: re-creating a just-deleted name is another question on real endpoints.
    fc.pre(viaS3 !== viaRest && !used.has(viaS3) && !used.has(viaRest));
    used.add(viaS3).add(viaRest);

    ctx.cleanup.trackBucket(viaS3);
    const created = await attempt(() => s3.send(new CreateBucketCommand({ Bucket: viaS3 })));
    if (created.status !== 200) {
      throw new RequirementViolation('BUCKET-NAME-RULES', `CreateBucket refused the valid name ${JSON.stringify(viaS3)} (${viaS3.length} characters): ${describeOutcome(created)}`);
    }
    const made = await bucketPresence(s3, viaS3);
    if (made.present !== true) throw new RequirementViolation('BUCKET-NAME-RULES', `bucket ${JSON.stringify(viaS3)} was created, but ${made.seen}`);
    const deleted = await attempt(() => s3.send(new DeleteBucketCommand({ Bucket: viaS3 })));
    if (deleted.status !== 204 && deleted.status !== 200) throw new Error(`DeleteBucket of the new empty bucket ${viaS3} answered ${describeOutcome(deleted)}`);
    ctx.cleanup.bucketRemoved(viaS3);

    if (rest === null) return;
    ctx.cleanup.trackBucket(viaRest);
    const posted = await httpRequest('POST', restBucketUrl(rest.api), { headers: rest.headers, json: { name: viaRest, region: restBucketRegions.value.regions[0] } });
    const postedName = (posted.json as { name?: unknown } | undefined)?.name;
    if (posted.response.status !== 201 || postedName !== viaRest) {
      throw new RequirementViolation(
        'BUCKET-NAME-RULES',
        `POST ${bucketsPath} with the valid name ${JSON.stringify(viaRest)} answered ${posted.response.status} (name ${JSON.stringify(postedName)}), expected 201`,
        [toEvidence(posted)],
      );
    }
    const removed = await httpRequest('DELETE', restBucketUrl(rest.api, viaRest), { headers: rest.headers });
    if (removed.response.status !== 200 && removed.response.status !== 204) throw new Error(`DELETE ${bucketsPath}/${viaRest} of the new empty bucket answered ${removed.response.status}`);
    ctx.cleanup.bucketRemoved(viaRest);
  });
  const { maxLength } = bucketNameRules.value;
  // The longest name, and hyphens in a row and digits: always tried, whatever the seed.
  const longest = `${prefix}-`.padEnd(maxLength - 1, 'x') + '9';
  await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, maxBucketNameRuns) }, 'BUCKET-NAME-RULES', {
    examples: [[longest, `${prefix}-0--9`]],
  });
}

/** Best effort: a target that wrongly created an invalid bucket should not keep it (the check fails anyway). */
async function removeWronglyCreated(s3: S3Client, name: string, rest: RestCaller | null): Promise<void> {
  await attempt(() => s3.send(new DeleteBucketCommand({ Bucket: name })));
  if (rest) await httpRequest('DELETE', restBucketUrl(rest.api, name), { headers: rest.headers }).catch(() => undefined);
}

export async function checkInvalidBucketNames(ctx: SuiteContext): Promise<void> {
  await ctx.requireBucketCreation();
  const s3 = await ctx.adminS3();
  const rest = await restHalf(ctx, bucketNamesInvalidCheck, `POST ${bucketsPath}`);
  const property = fc.asyncProperty(invalidBucketName(ctx.settings.runPrefix), async ({ breaks, name }) => {
    const what = `a name breaking the ${breaks} rule, ${JSON.stringify(name)},`;
    const created = await attempt(() => s3.send(new CreateBucketCommand({ Bucket: name })));
    const posted = rest ? await httpRequest('POST', restBucketUrl(rest.api), { headers: rest.headers, json: { name, region: restBucketRegions.value.regions[0] } }) : null;
    const exists = await bucketListed(s3, name);
    if (created.status < 300 || (posted !== null && posted.response.status < 300) || exists) await removeWronglyCreated(s3, name, rest);
    if (created.status === 0) throw new Error(`CreateBucket ${JSON.stringify(name)} never reached the target: ${created.message ?? created.code}`);
    if (created.status !== 400 || created.code !== 'InvalidBucketName') {
      throw new RequirementViolation('BUCKET-NAME-RULES', `CreateBucket with ${what} answered ${describeOutcome(created)}, expected 400 InvalidBucketName`);
    }
    const status = posted?.response.status;
    if (posted && status !== undefined && (status < 400 || status >= 500 || !isJsonError(posted))) {
      throw new RequirementViolation('BUCKET-NAME-RULES', `POST ${bucketsPath} with ${what} answered ${status}, expected a 4xx JSON error`, [toEvidence(posted)]);
    }
    if (exists) throw new RequirementViolation('BUCKET-NAME-RULES', `${what} was refused, yet ListBuckets shows the bucket`);
  });
  const prefix = ctx.settings.runPrefix;
  const examples: [InvalidBucketName][] = [
    [{ breaks: 'upper-case', name: `${prefix}-Upper` }],
    [{ breaks: 'too-short', name: 'ab' }],
    [{ breaks: 'too-long', name: `${prefix}-`.padEnd(bucketNameRules.value.maxLength + 1, 'x') }],
  ];
  await assertProperty(property, ctx.settings, 'BUCKET-NAME-RULES', { examples }, { independentRuns: true });
}

// ---------------------------------------------------------------------------------------------------------------
// BUCKET-DELETE-NONEMPTY

/** The object a bucket holds when the target refuses to store the drawn key (see checkDeleteNonEmpty). */
const plainHeldKey = 'held-object.txt';

export async function checkDeleteNonEmpty(ctx: SuiteContext): Promise<void> {
  await ctx.requireBucketCreation();
  const s3 = await ctx.adminS3();
  const rest = await restHalf(ctx, deleteNonEmptyCheck, `DELETE ${bucketsPath}/{bucket_name}`);
  const finalDeletes = rest === null ? (['s3'] as const) : (['s3', 'rest'] as const);
  const property = fc.asyncProperty(objectKey(), fc.constantFrom(...finalDeletes), async (drawnKey, finalDelete) => {
    const bucket = await ctx.createBucket();
    const body = `held by ${bucket}`;
    const putAs = (key: string) => attempt(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })));
    // A drawn key the target refuses to store is OBJECT-ROUNDTRIP's failure, judged there: this rule is then
    // judged with a plain key rather than failed for it.
    let key = drawnKey;
    let put = await putAs(key);
    if (put.status >= 400 && put.status < 500 && key !== plainHeldKey) {
      key = plainHeldKey;
      put = await putAs(key);
    }
    if (put.status !== 200) throw new Error(`fixture: PutObject ${describeKey(key)} answered ${describeOutcome(put)}`);

    const s3Delete = await attempt(() => s3.send(new DeleteBucketCommand({ Bucket: bucket })));
    if (s3Delete.status !== 409 || s3Delete.code !== 'BucketNotEmpty') {
      throw new RequirementViolation('BUCKET-DELETE-NONEMPTY', `DeleteBucket of a bucket holding ${describeKey(key)} answered ${describeOutcome(s3Delete)}, expected 409 BucketNotEmpty`);
    }
    const restDelete = rest ? await httpRequest('DELETE', restBucketUrl(rest.api, bucket), { headers: rest.headers }) : null;
    if (restDelete && restDelete.response.status !== 409) {
      throw new RequirementViolation('BUCKET-DELETE-NONEMPTY', `DELETE ${bucketsPath}/${bucket} of a non-empty bucket answered ${restDelete.response.status}, expected 409`, [
        toEvidence(restDelete),
      ]);
    }
    const still = await bucketPresence(s3, bucket);
    const kept = await readBytes(s3, bucket, key);
    const keptBody = Buffer.from(kept.value ?? []).toString('utf8');
    if (still.present !== true || kept.status !== 200 || keptBody !== body) {
      const content = kept.status === 200 && keptBody !== body ? ` with other content (${keptBody.length} characters)` : '';
      throw new RequirementViolation(
        'BUCKET-DELETE-NONEMPTY',
        `after the refused deletes the bucket and its object should be intact: ${still.seen}, GetObject ${describeOutcome(kept)}${content}`,
      );
    }

    const emptied = await attempt(() => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    if (emptied.status !== 204 && emptied.status !== 200) throw new Error(`fixture: DeleteObject answered ${describeOutcome(emptied)}`);
    if (finalDelete === 's3' || rest === null) {
      const deleted = await attempt(() => s3.send(new DeleteBucketCommand({ Bucket: bucket })));
      if (deleted.status !== 204 && deleted.status !== 200) {
        throw new RequirementViolation('BUCKET-DELETE-NONEMPTY', `DeleteBucket of the emptied bucket answered ${describeOutcome(deleted)}, expected 204`);
      }
    } else {
      const deleted = await httpRequest('DELETE', restBucketUrl(rest.api, bucket), { headers: rest.headers });
      if (deleted.response.status !== 200 && deleted.response.status !== 204) {
        throw new RequirementViolation('BUCKET-DELETE-NONEMPTY', `DELETE ${bucketsPath}/${bucket} of the emptied bucket answered ${deleted.response.status}, expected 204`, [
          toEvidence(deleted),
        ]);
      }
    }
    const gone = await bucketPresence(s3, bucket);
    if (gone.present !== false) throw new RequirementViolation('BUCKET-DELETE-NONEMPTY', `after a successful delete the bucket should be gone: ${gone.seen}, expected 404`);
    ctx.cleanup.bucketRemoved(bucket);
  });
  await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, maxDeleteNonEmptyRuns) }, 'BUCKET-DELETE-NONEMPTY', {}, { independentRuns: true });
}

// ---------------------------------------------------------------------------------------------------------------
// OBJECT-ROUNDTRIP

/** A key of exactly the limit in UTF-8 bytes, mixing 1-, 2-, 3- and 4-byte characters. */
function keyOfMaxBytes(): string {
  const limit = objectKeyRules.value.maxBytes;
  let key = 'max/';
  const pieces = ['a', 'é', '中', '😀', '/'];
  for (let i = 0; Buffer.byteLength(key + pieces[i % pieces.length]!, 'utf8') <= limit - 1; i += 1) key += pieces[i % pieces.length];
  return key.padEnd(key.length + (limit - Buffer.byteLength(key, 'utf8')), 'z');
}

export async function checkObjectRoundTrip(ctx: SuiteContext): Promise<void> {
  const bucket = await ctx.createBucket();
  const s3 = await ctx.adminS3();
  const keys = fc.oneof({ weight: 3, arbitrary: objectKey() }, { weight: 1, arbitrary: longObjectKey() });
  // Runs made at the same time that drew the same key take turns: each reads back what it wrote.
  const byKey = oneAtATimePerKey<string>();
  const property = fc.asyncProperty(keys, objectBody(), (key, body) => byKey(key, () => roundTrip(s3, bucket, key, body)));
  await assertProperty(
    property,
    ctx.settings,
    'OBJECT-ROUNDTRIP',
    {
      examples: [
        [keyOfMaxBytes(), seededBytes(64 * 1024, 7)],
        ['empty body', new Uint8Array(0)],
      ],
    },
    { independentRuns: true },
  );
}

/** One object through PutObject, GetObject, HeadObject and ListObjectsV2, then deleted. */
async function roundTrip(s3: S3Client, bucket: string, key: string, body: Uint8Array): Promise<void> {
  const what = `${describeKey(key)} with a ${body.length}-byte body`;
  const put = await attempt(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })));
  if (put.status !== 200) throw new RequirementViolation('OBJECT-ROUNDTRIP', `PutObject ${what} answered ${describeOutcome(put)}`);
  const read = await readBytes(s3, bucket, key);
  if (read.status !== 200 || !read.value) throw new RequirementViolation('OBJECT-ROUNDTRIP', `GetObject ${what} answered ${describeOutcome(read)}`);
  if (!sameBytes(body, read.value)) throw new RequirementViolation('OBJECT-ROUNDTRIP', `GetObject ${what} returned other bytes: ${firstDifference(body, read.value)}`);
  const head = await attempt(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
  if (head.status !== 200 || head.value?.ContentLength !== body.length) {
    throw new RequirementViolation('OBJECT-ROUNDTRIP', `HeadObject ${what} answered ${describeOutcome(head)} with ContentLength ${head.value?.ContentLength}`);
  }
  const listed = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key })));
  const keys = (listed.value?.Contents ?? []).map((object) => object.Key);
  const entry = listed.value?.Contents?.find((object) => object.Key === key);
  if (listed.status !== 200 || !entry) {
    throw new RequirementViolation('OBJECT-ROUNDTRIP', `ListObjectsV2 with the key as prefix, after PutObject ${what}, answered ${describeOutcome(listed)} listing ${JSON.stringify(keys)}`);
  }
  if (entry.Size !== body.length) throw new RequirementViolation('OBJECT-ROUNDTRIP', `ListObjectsV2 lists ${what} with Size ${entry.Size}`);
  // Keeps the bucket small; later keys may share this one's prefix.
  await attempt(() => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
}

export async function checkKeyTooLong(ctx: SuiteContext): Promise<void> {
  const bucket = await ctx.createBucket();
  const s3 = await ctx.adminS3();
  const property = fc.asyncProperty(overlongObjectKey(), async (key) => {
    const put = await attempt(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'too long a key' })));
    if (put.status !== 400) {
      throw new RequirementViolation('OBJECT-ROUNDTRIP', `PutObject with a key of ${Buffer.byteLength(key, 'utf8')} UTF-8 bytes answered ${describeOutcome(put)}, expected 400 KeyTooLongError`);
    }
    const listed = await attempt(() => s3.send(new ListObjectsV2Command({ Bucket: bucket })));
    const stored = (listed.value?.Contents ?? []).map((object) => object.Key ?? '');
    if (listed.status !== 200 || stored.length > 0) {
      throw new RequirementViolation('OBJECT-ROUNDTRIP', `after refusing an overlong key the bucket lists ${describeOutcome(listed)} ${JSON.stringify(stored.map((k) => k.slice(0, 40)))}`);
    }
  });
  await assertProperty(property, { ...ctx.settings, runs: Math.min(ctx.settings.runs, 8) }, 'OBJECT-ROUNDTRIP', {}, { independentRuns: true });
}

// ---------------------------------------------------------------------------------------------------------------
// DATA-INTEGRITY

/** The header declaring `checksum` for `body`, as a client computes it. */
function declare(checksum: DeclaredChecksum, body: string): Record<string, string> {
  switch (checksum) {
    case 'content-md5':
      return { 'content-md5': createHash('md5').update(body).digest('base64') };
    case 'x-amz-checksum-crc32': {
      const crc = new Crc32().update(Buffer.from(body, 'utf8')).digest();
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(crc >>> 0);
      return { 'x-amz-checksum-crc32': bytes.toString('base64') };
    }
    case 'x-amz-checksum-sha256':
      return { 'x-amz-checksum-sha256': createHash('sha256').update(body).digest('base64') };
    case 'x-amz-content-sha256':
      // Signed as the payload hash: the signature is valid, only the body does not match it.
      return { 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') };
  }
}

const expectedRefusal: Record<DeclaredChecksum, string> = {
  'content-md5': 'BadDigest',
  'x-amz-checksum-crc32': 'BadDigest',
  'x-amz-checksum-sha256': 'BadDigest',
  'x-amz-content-sha256': 'XAmzContentSHA256Mismatch',
};

function rawEvidence(method: string, url: string, headers: Record<string, string>, body: string, response: RawResponse, note: string): Evidence {
  // The authorization header is left out: it identifies the key and carries nothing the reader needs.
  const { authorization: _signature, ...shown } = headers;
  return toEvidence(
    { request: { method, url, headers: shown, body }, response: { status: response.status, headers: response.headers, body: response.body }, json: undefined },
    note,
  );
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

export async function checkChecksumMismatch(ctx: SuiteContext): Promise<void> {
  // Only `${runPrefix}-…` keys are written: a bucket of the run's own, or the one pre-made keys may write in.
  const { bucket, token } = await ctx.writableBucket();
  const s3 = ctx.s3For(token);
  const credentials = credentialsOf(token);
  try {
    await checkChecksumsIn(ctx, s3, credentials, bucket);
  } finally {
    s3.destroy();
  }
}

async function checkChecksumsIn(ctx: SuiteContext, s3: S3Client, credentials: S3Credentials, bucket: string): Promise<void> {
  let uploads = 0;
  const property = fc.asyncProperty(corruptedUpload(), fc.boolean(), async ({ checksum, original, sent }, hasPrevious) => {
    uploads += 1;
    const key = `${ctx.settings.runPrefix}-integrity/${uploads}`;
    const previous = `previous version of ${key}`;
    if (hasPrevious) {
      const put = await attempt(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: previous })));
      if (put.status !== 200) throw new Error(`fixture: PutObject of the previous version answered ${describeOutcome(put)}`);
    }
    const url = `${ctx.target.s3Endpoint}/${bucket}/${encodeKey(key)}`;
    const signed = await signRequest({ method: 'PUT', url, credentials, region: ctx.target.region, signingDate: ctx.clock.now(), headers: declare(checksum, original), body: sent });
    const response = await rawFetch(url, { method: 'PUT', headers: signed.headers, body: sent });
    const expected = expectedRefusal[checksum];
    const evidence = () => [rawEvidence('PUT', url, signed.headers, sent, response, `${checksum} declared for a body that differs from the one sent`)];
    if (response.status !== 400 || response.code !== expected) {
      throw new RequirementViolation(
        'DATA-INTEGRITY',
        `a PUT whose ${checksum} does not match its ${sent.length}-byte body answered ${response.status}${response.code ? ` ${response.code}` : ''}, expected 400 ${expected}`,
        evidence(),
      );
    }
    const after = await readBytes(s3, bucket, key);
    const text = Buffer.from(after.value ?? []).toString('utf8');
    if (hasPrevious ? after.status !== 200 || text !== previous : after.status !== 404 || after.code !== 'NoSuchKey') {
      throw new RequirementViolation(
        'DATA-INTEGRITY',
        `after refusing a PUT with a wrong ${checksum}, GetObject answered ${describeOutcome(after)}${after.status === 200 ? ` with ${after.value?.length ?? 0} bytes${text === sent ? ' (the corrupted body)' : ''}` : ''}, expected ${hasPrevious ? 'the previous version intact' : '404 NoSuchKey'}`,
        evidence(),
      );
    }
  });
  // Each declared checksum once, whatever the seed.
  const examples: [CorruptedUpload, boolean][] = declaredChecksums.map((checksum, i) => [{ checksum, original: 'integrity', sent: 'integritY' }, i % 2 === 0]);
  await assertProperty(property, ctx.settings, 'DATA-INTEGRITY', { examples }, { independentRuns: true });
}
