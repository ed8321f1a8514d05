import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartLimits } from '../../spec/index.js';
import { spawnMock, type ChildMock } from './test/child.js';
import { listAllKeys, SecretRegistry, type IssuedToken } from './test/mock.js';
import { api, issueToken, s3Client, type RemoteMock } from './test/remote.js';

/**
 * Crash safety: `ibee-mock --data-dir` is killed with SIGKILL while concurrent uploads and multipart completions
 * are in flight, then restarted on the same directory, twice. Every acknowledged object is intact (SHA-256), every
 * key holds either its last acknowledged body or the body of a write that was in flight at the kill (never a torn
 * mix), nothing is visible that no client wrote, and the token, its credentials and the bucket survive.
 */

const writers = 16;
const managementToken = 'reliability-crash-management-token-3b8d';
const bucket = 'crash-bucket';
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

let root: string;
let dataDir: string;
let child: ChildMock | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ibee-crash-'));
  dataDir = join(root, 'data');
});

afterAll(async () => {
  await child?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true, maxRetries: 5 });
});

async function start(): Promise<RemoteMock> {
  child = await spawnMock(['--data-dir', dataDir, '--management-token', managementToken, '--log-level', 'warn']);
  return { apiUrl: child.ready.api_url, s3Endpoint: child.ready.s3_endpoint, projectId: child.ready.project_id, managementToken, secrets: new SecretRegistry() };
}

/** What each key may hold after a crash. */
interface KeyState {
  /** SHA-256 of the last acknowledged body, if any. */
  acknowledged: string | null;
  /** Bodies of writes started after that acknowledgement and not acknowledged (in flight, or failed by the kill). */
  inFlight: Set<string>;
}

const keys = new Map<string, KeyState>();

function stateOf(key: string): KeyState {
  let state = keys.get(key);
  if (!state) {
    state = { acknowledged: null, inFlight: new Set() };
    keys.set(key, state);
  }
  return state;
}

/** Runs writers until `stopped()`; each write is recorded as in flight first, acknowledged when the call returns. */
async function write(s3: S3Client, id: number, round: number, stopped: () => boolean): Promise<void> {
  let n = 0;
  const partSize = multipartLimits.value.minPartBytes;
  while (!stopped()) {
    n += 1;
    // A few keys per writer, so that later writes overwrite earlier ones (and a crash can land mid-overwrite).
    const key = `w${id}/k${n % 5}`;
    const state = stateOf(key);
    try {
      if (id % 4 === 0 && n % 3 === 1) {
        const first = randomBytes(partSize);
        const second = randomBytes(1 + Math.floor(Math.random() * 100_000));
        const hash = sha256(Buffer.concat([first, second]));
        const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
        const p1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId!, PartNumber: 1, Body: first }));
        const p2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId!, PartNumber: 2, Body: second }));
        state.inFlight.add(hash);
        await s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: upload.UploadId!,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag! }, { PartNumber: 2, ETag: p2.ETag! }] },
          }),
        );
        state.acknowledged = hash;
        state.inFlight.clear();
      } else {
        const body = randomBytes(Math.floor(Math.random() * (round === 1 ? 300_000 : 1_000_000)));
        const hash = sha256(body);
        state.inFlight.add(hash);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
        state.acknowledged = hash;
        state.inFlight.clear();
      }
    } catch {
      // The kill: whatever was in flight stays a candidate; this writer is done.
      return;
    }
  }
}

async function verify(s3: S3Client): Promise<{ acknowledged: number; inFlightLanded: number }> {
  const listed = await listAllKeys(s3, bucket);
  let acknowledged = 0;
  let inFlightLanded = 0;
  for (const key of listed) expect(keys.has(key), `${key} is visible but no client wrote it`).toBe(true);
  for (const [key, state] of keys) {
    if (!listed.has(key)) {
      expect(state.acknowledged, `${key}: acknowledged but gone after the crash`).toBeNull();
      continue;
    }
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const hash = sha256(await got.Body!.transformToByteArray());
    const allowed = [state.acknowledged, ...state.inFlight].filter((h): h is string => h !== null);
    expect(allowed, `${key}: holds bytes no write produced (torn or partial)`).toContain(hash);
    if (hash === state.acknowledged) acknowledged += 1;
    else inFlightLanded += 1;
    // What is there now is the new truth for the next round.
    state.acknowledged = hash;
    state.inFlight.clear();
  }
  return { acknowledged, inFlightLanded };
}

describe('crash safety with --data-dir', () => {
  it('keeps every acknowledged object intact across kill -9 during uploads and multipart completes', async () => {
    let remote = await start();
    const token: IssuedToken = await issueToken(remote, { level: 'admin_rw' });
    let admin = s3Client(remote, token);
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));

    for (const round of [1, 2]) {
      let stopped = false;
      const clients = Array.from({ length: writers }, () => s3Client(remote, token, { maxSockets: 1 }));
      const running = Promise.all(clients.map((s3, id) => write(s3, id, round, () => stopped)));
      // Let writes pile up, then kill in the middle of them.
      await new Promise((resolve) => setTimeout(resolve, 2000 + Math.random() * 1500));
      const inFlightAtKill = [...keys.values()].filter((s) => s.inFlight.size > 0).length;
      await child!.kill('SIGKILL');
      stopped = true;
      await running;
      for (const s3 of [admin, ...clients]) s3.destroy();
      expect(inFlightAtKill, 'the kill landed while writes were in flight').toBeGreaterThan(0);

      remote = await start();
      // The token, its S3 credentials and the bucket survived the crash.
      const status = await api(remote, 'GET', `/v1/projects/${remote.projectId}/api-tokens/${token.id}`);
      expect(status.status).toBe(200);
      expect((status.body as { status: string }).status).toBe('active');
      admin = s3Client(remote, token);
      const outcome = await verify(admin);
      expect(outcome.acknowledged, `round ${round}: acknowledged objects found`).toBeGreaterThan(0);
    }
    // The restarted mock still takes writes and serves them back.
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'after', Body: 'after the crashes' }));
    const after = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'after' }));
    expect(await after.Body!.transformToString()).toBe('after the crashes');
    admin.destroy();
  }, 120_000);
});
