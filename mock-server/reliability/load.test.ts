import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartLimits } from '../../spec/index.js';
import { spawnMock, type ChildMock } from './test/child.js';
import { listAllKeys, SecretRegistry } from './test/mock.js';
import { api, issueToken, s3Client, type RemoteMock } from './test/remote.js';

/**
 * Load: 64 concurrent clients run a fixed-length mix of operations against `ibee-mock --data-dir` in its own
 * process, with zero errors; every client checks its reads against what it knows it wrote; at the end every
 * acknowledged write is read back and compared by SHA-256, deleted keys are gone, and keys written concurrently by
 * several clients hold exactly one of the acknowledged bodies (never a mix, never a torn write).
 */

const clients = 64;
const durationMs = Number(process.env.RELIABILITY_LOAD_SECONDS ?? '20') * 1000;
const managementToken = 'reliability-load-management-token-0f9a';
const bucket = 'load-bucket';
const sharedKeys = ['shared/a', 'shared/b', 'shared/c'];

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

let child: ChildMock;
let remote: RemoteMock;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ibee-load-'));
  child = await spawnMock(['--data-dir', join(root, 'data'), '--management-token', managementToken, '--log-level', 'warn']);
  remote = { apiUrl: child.ready.api_url, s3Endpoint: child.ready.s3_endpoint, projectId: child.ready.project_id, managementToken, secrets: new SecretRegistry() };
}, 120_000);

afterAll(async () => {
  await child?.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true, maxRetries: 5 });
});

interface Failure {
  readonly client: number;
  readonly operation: string;
  readonly message: string;
}

/** Sizes around the interesting boundaries: empty, small, the SDK's 64 KiB chunking, a few hundred KiB. */
function randomSize(): number {
  const choices = [0, 1, 100, 4096, 65_535, 65_536, 65_537, 100_000, 300_000];
  return Math.random() < 0.7 ? choices[Math.floor(Math.random() * choices.length)]! : Math.floor(Math.random() * 200_000);
}

describe('load', () => {
  it(`serves ${clients} concurrent clients for a fixed time with zero errors and loses no acknowledged write`, async () => {
    const token = await issueToken(remote, { level: 'admin_rw' });
    const setup = s3Client(remote, token);
    await setup.send(new CreateBucketCommand({ Bucket: bucket }));

    const failures: Failure[] = [];
    /** Per client: key → SHA-256 of the last acknowledged body, or null once deleted. */
    const models: Array<Map<string, string | null>> = [];
    /** Shared keys: every acknowledged body's hash. */
    const sharedWrites = new Map<string, Set<string>>(sharedKeys.map((k) => [k, new Set<string>()]));
    let operations = 0;
    const deadline = Date.now() + durationMs;
    const partSize = multipartLimits.value.minPartBytes;

    async function runClient(id: number, s3: S3Client): Promise<void> {
      const model = new Map<string, string | null>();
      models[id] = model;
      let counter = 0;
      const ownKey = () => `c${id}/k${Math.floor(Math.random() * 12)}`;
      const liveKeys = () => [...model.entries()].filter(([, hash]) => hash !== null).map(([key]) => key);
      // Parts are at least 5 MiB: one multipart upload for every eighth client keeps the mix mostly small objects.
      let multipartDone = id % 8 !== 0;
      while (Date.now() < deadline) {
        const roll = Math.random();
        let operation = 'unknown';
        try {
          if (roll < 0.3) {
            operation = 'PutObject';
            const key = ownKey();
            const body = randomBytes(randomSize());
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
            model.set(key, sha256(body));
          } else if (roll < 0.55) {
            operation = 'GetObject';
            const keys = liveKeys();
            if (keys.length === 0) continue;
            const key = keys[Math.floor(Math.random() * keys.length)]!;
            const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            const hash = sha256(await got.Body!.transformToByteArray());
            if (hash !== model.get(key)) throw new Error(`read of ${key} returned other bytes than the last acknowledged write`);
          } else if (roll < 0.62) {
            operation = 'HeadObject';
            const keys = liveKeys();
            if (keys.length === 0) continue;
            await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: keys[0]! }));
          } else if (roll < 0.7) {
            operation = 'ListObjectsV2';
            const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `c${id}/` }));
            const listedKeys = new Set((listed.Contents ?? []).map((o) => o.Key!));
            for (const key of liveKeys()) if (!listedKeys.has(key)) throw new Error(`${key} missing from the listing`);
            for (const key of listedKeys) if (!model.get(key)) throw new Error(`${key} listed but deleted or never written`);
          } else if (roll < 0.78) {
            operation = 'DeleteObject';
            const key = ownKey();
            await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
            model.set(key, null);
          } else if (roll < 0.84) {
            operation = 'CopyObject';
            const keys = liveKeys();
            if (keys.length === 0) continue;
            const source = keys[Math.floor(Math.random() * keys.length)]!;
            const target = `c${id}/copy${counter++ % 4}`;
            // Copying an object onto itself unchanged is an error in S3; not what this mix is after.
            if (source === target) continue;
            await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: `${bucket}/${encodeURIComponent(source)}` }));
            model.set(target, model.get(source)!);
          } else if (roll < 0.9) {
            operation = 'PutObject(shared)';
            const key = sharedKeys[Math.floor(Math.random() * sharedKeys.length)]!;
            const body = randomBytes(randomSize());
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
            sharedWrites.get(key)!.add(sha256(body));
          } else if (roll < 0.93) {
            operation = 'DeleteObjects';
            const keys = [ownKey(), ownKey()];
            const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
            if ((result.Errors ?? []).length > 0) throw new Error(`DeleteObjects errors: ${JSON.stringify(result.Errors)}`);
            for (const key of keys) model.set(key, null);
          } else if (roll < 0.97 || multipartDone) {
            operation = 'REST GET bucket';
            const res = await api(remote, 'GET', `/v1/object-storage/buckets/${bucket}`, { token: token.bearer });
            if (res.status !== 200) throw new Error(`REST answered ${res.status}: ${res.text}`);
          } else {
            // Two parts (the first at the 5 MiB minimum), completed.
            operation = 'MultipartUpload';
            multipartDone = true;
            const key = `c${id}/multipart`;
            const first = randomBytes(partSize);
            const second = randomBytes(1000 + Math.floor(Math.random() * 1000));
            const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
            try {
              const p1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId!, PartNumber: 1, Body: first }));
              const p2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId!, PartNumber: 2, Body: second }));
              await s3.send(
                new CompleteMultipartUploadCommand({
                  Bucket: bucket,
                  Key: key,
                  UploadId: upload.UploadId!,
                  MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag! }, { PartNumber: 2, ETag: p2.ETag! }] },
                }),
              );
            } catch (error) {
              await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId! })).catch(() => undefined);
              throw error;
            }
            model.set(key, sha256(Buffer.concat([first, second])));
          }
          operations += 1;
        } catch (error) {
          failures.push({ client: id, operation, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        }
      }
    }

    const s3Clients = Array.from({ length: clients }, () => s3Client(remote, token, { maxSockets: 1 }));
    await Promise.all(s3Clients.map((s3, id) => runClient(id, s3)));

    expect(
      failures.slice(0, 10).map((f) => `client ${f.client} ${f.operation}: ${f.message}`),
      `${failures.length} of ${operations + failures.length} operations failed`,
    ).toEqual([]);
    // The run did real work, not a handful of requests.
    expect(operations).toBeGreaterThan(clients * 5);

    // Every acknowledged write, read back byte for byte; every delete holds; nothing else exists.
    const expected = new Map<string, string | null>();
    for (const model of models) for (const [key, hash] of model) expected.set(key, hash);
    const listed = await listAllKeys(setup, bucket);
    for (const [key, hash] of expected) {
      if (hash === null) {
        expect(listed.has(key), `${key} was deleted`).toBe(false);
        continue;
      }
      expect(listed.has(key), `${key} is missing`).toBe(true);
      const got = await setup.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(sha256(await got.Body!.transformToByteArray()), key).toBe(hash);
    }
    for (const key of sharedKeys) {
      const writes = sharedWrites.get(key)!;
      if (writes.size === 0) continue;
      const got = await setup.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(writes.has(sha256(await got.Body!.transformToByteArray())), `${key} holds none of the ${writes.size} acknowledged bodies`).toBe(true);
    }
    for (const key of listed) expect(expected.has(key) || sharedKeys.includes(key), `unexpected ${key}`).toBe(true);
    for (const s3 of [setup, ...s3Clients]) s3.destroy();
    // No error logged by the server during the run.
    expect(child.stderr.filter((line) => /"level":(50|60)/.test(line)).slice(0, 3)).toEqual([]);
  }, durationMs + 120_000);
});
