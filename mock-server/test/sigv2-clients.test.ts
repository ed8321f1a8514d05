import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer } from '../app.js';

/**
 * Signature Version 2 from real clients: boto3 signing requests with `signature_version='s3'` and presigning URLs
 * and POST forms with its defaults (SigV2 for us-east-1 in the versions on this machine), and `aws s3 presign`,
 * against a mock started with allowSigV2 (`--allow-sigv2`) and one without. As in real-clients.test.ts, a missing
 * tool is reported and its test does nothing; in CI (CI=true) it fails instead.
 */
const run = promisify(execFile);
const inCi = process.env.CI === 'true';

interface Tool {
  readonly name: string;
  readonly bin: string;
  readonly env?: Record<string, string>;
}

const pythons: Tool[] = [
  { name: 'boto3 (Debian python3-boto3)', bin: '/usr/bin/python3', env: { PYENV_VERSION: 'system' } },
  { name: 'boto3 (image Python)', bin: join(process.env.HOME ?? '/root', '.pyenv', 'shims', 'python3'), env: { PYENV_VERSION: '' } },
];
const awsClis: Tool[] = [
  { name: 'aws-cli v2 (Debian)', bin: '/usr/bin/aws', env: { PYENV_VERSION: 'system' } },
  { name: 'aws-cli v1 (image Python)', bin: join(process.env.HOME ?? '/root', '.pyenv', 'shims', 'aws') },
];
const boto3Script = join(import.meta.dirname, 'fixtures', 'boto3_sigv2.py');

/** Bounds a test that starts Python interpreters (seconds each on a busy machine); nothing waits for time. */
const clientTestTimeoutMs = 300_000;

function available(tool: Tool): boolean {
  if (existsSync(tool.bin)) return true;
  if (inCi) throw new Error(`${tool.bin} missing: .ci/run must install it`);
  console.warn(`${tool.name} not found at ${tool.bin}; its SigV2 test does nothing`);
  return false;
}

interface Key {
  readonly id: string;
  readonly tokenId: string;
  readonly secret: string;
}

async function issue(mock: MockServer, objectStorage: Record<string, unknown>): Promise<Key> {
  const response = await fetch(`${mock.apiUrl}/v1/projects/${mock.projectId}/api-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${mock.managementToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `sigv2-${randomBytes(3).toString('hex')}`, object_storage: objectStorage }),
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { id: string; access_key_id: string; secret_access_key: string };
  return { id: body.access_key_id, tokenId: body.id, secret: body.secret_access_key };
}

async function management(mock: MockServer, path: string, json: unknown = {}): Promise<void> {
  const response = await fetch(`${mock.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${mock.managementToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(json),
  });
  expect(response.status, path).toBe(200);
}

/** A bucket holding one object, made over SigV4 with the JS SDK. */
async function seed(mock: MockServer, bucket: string, key: string, body: string): Promise<void> {
  const admin = await issue(mock, { permission_type: 'admin_rw', bucket_scope: 'all' });
  const client = new S3Client({
    endpoint: mock.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: admin.id, secretAccessKey: admin.secret },
    maxAttempts: 1,
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  } finally {
    client.destroy();
  }
}

interface StepResult {
  readonly ok?: true;
  readonly error?: string;
  readonly status?: number;
  readonly [field: string]: unknown;
}

/** Runs the boto3 fixture; keys (secrets included) go to it on stdin only. */
async function boto3(python: Tool, mock: MockServer, keys: Record<string, Key>, steps: readonly Record<string, unknown>[]): Promise<StepResult[]> {
  const child = execFile(python.bin, [boto3Script, mock.s3Endpoint], { env: { ...(process.env as Record<string, string>), ...python.env } });
  const input = Object.fromEntries(Object.entries(keys).map(([name, key]) => [name, { id: key.id, secret: key.secret }]));
  child.stdin!.end(JSON.stringify({ keys: input, steps }));
  const output = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`boto3 script exited ${code}: ${stderr}`))));
  });
  return (JSON.parse(output.trim().split('\n').at(-1)!) as { results: StepResult[] }).results;
}

const isSigV2Url = (url: string): boolean => /[?&]AWSAccessKeyId=/.test(url) && /[?&]Signature=/.test(url);

async function get(url: string): Promise<{ status: number; text: string; code: string | undefined }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, text, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] };
}

/** Posts a form made of the presigner's fields and a file, as a browser does. */
async function postForm(presigned: StepResult, body: string): Promise<{ status: number; code: string | undefined }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(presigned.fields as Record<string, string>)) form.append(name, value);
  form.append('file', new Blob([body]), 'upload.txt');
  const response = await fetch(presigned.url as string, { method: 'POST', body: form });
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] };
}

/** The URL with one character of its Signature changed. */
function tampered(url: string): string {
  return url.replace(/Signature=([^&])/, (_match, first: string) => `Signature=${first === 'A' ? 'B' : 'A'}`);
}

let allowing: MockServer;
let refusing: MockServer;
let workDir: string;

beforeAll(async () => {
  allowing = await createMockServer({ allowSigV2: true });
  refusing = await createMockServer();
  workDir = await mkdtemp(join(tmpdir(), 'ibee-sigv2-'));
});
afterAll(async () => {
  await allowing?.close();
  await refusing?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

for (const python of pythons) {
  describe(python.name, () => {
    it('with --allow-sigv2: signs, presigns and posts with SigV2 under the usual level, scope, revocation and expiry', async () => {
      if (!available(python)) return;
      const bucket = `sigv2-${randomBytes(4).toString('hex')}`;
      const other = `${bucket}-other`;
      const keys = {
        admin: await issue(allowing, { permission_type: 'admin_rw', bucket_scope: 'all' }),
        reader: await issue(allowing, { permission_type: 'object_ro', bucket_scope: 'all' }),
        scoped: await issue(allowing, { permission_type: 'admin_rw', bucket_scope: 'specific', allowed_buckets: [bucket] }),
        revokee: await issue(allowing, { permission_type: 'object_rw', bucket_scope: 'all' }),
      };
      const results = await boto3(python, allowing, keys, [
        { as: 'admin', op: 'create_bucket', bucket },
        { as: 'admin', op: 'create_bucket', bucket: other },
        { as: 'admin', op: 'put', bucket, key: 'dir/ünï code.txt', body: 'signed with sigv2' },
        { as: 'admin', op: 'get', bucket, key: 'dir/ünï code.txt' },
        { as: 'admin', op: 'list', bucket },
        { as: 'reader', op: 'put', bucket, key: 'denied.txt', body: 'no' },
        { as: 'reader', op: 'get', bucket, key: 'dir/ünï code.txt' },
        { as: 'scoped', op: 'list', bucket },
        { as: 'scoped', op: 'list', bucket: other },
        { as: 'revokee', op: 'get', bucket, key: 'dir/ünï code.txt' },
        { as: 'admin', op: 'presign_get', bucket, key: 'dir/ünï code.txt', expires: 3600 },
        { as: 'admin', op: 'presign_get', bucket, key: 'dir/ünï code.txt', expires: 60 },
        { as: 'admin', op: 'presign_post', bucket, key: 'posted.txt' },
      ]);
      const [created, createdOther, put, got, listed, readerPut, readerGet, scopedIn, scopedOut, revokeeBefore, presigned, shortLived, post] = results;
      expect([created, createdOther, put]).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
      expect(got).toEqual({ ok: true, body: 'signed with sigv2', metadata: { origin: 'sigv2' }, content_type: 'text/plain' });
      expect(listed).toEqual({ ok: true, keys: ['dir/ünï code.txt'] });
      expect(readerPut).toEqual({ error: 'AccessDenied', status: 403 });
      expect(readerGet?.ok).toBe(true);
      expect(scopedIn).toEqual({ ok: true, keys: ['dir/ünï code.txt'] });
      expect(scopedOut).toEqual({ error: 'AccessDenied', status: 403 });
      expect(revokeeBefore?.ok).toBe(true);

      // boto3's default presigners use SigV2 for us-east-1 in these versions.
      const url = presigned?.url as string;
      expect(isSigV2Url(url), url).toBe(true);
      expect(await get(url)).toMatchObject({ status: 200, text: 'signed with sigv2' });
      expect(await get(tampered(url))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
      expect(Object.keys(post?.fields as object).sort()).toEqual(['AWSAccessKeyId', 'key', 'policy', 'signature']);
      expect((await postForm(post!, 'posted with a sigv2 policy')).status).toBe(204);
      const [posted] = await boto3(python, allowing, keys, [{ as: 'admin', op: 'get', bucket, key: 'posted.txt' }]);
      expect(posted).toMatchObject({ ok: true, body: 'posted with a sigv2 policy' });

      await management(allowing, `/v1/projects/${allowing.projectId}/api-tokens/${keys.revokee.tokenId}/revoke`);
      const [revokeeAfter] = await boto3(python, allowing, keys, [{ as: 'revokee', op: 'get', bucket, key: 'dir/ünï code.txt' }]);
      expect(revokeeAfter).toEqual({ error: 'AccessDenied', status: 403 });

      // Two minutes on, the 60-second URL has expired and the hour-long one still works.
      await management(allowing, '/_mock/clock', { advance_seconds: 120 });
      const expired = await get(shortLived?.url as string);
      expect(expired).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(expired.text).toContain('Request has expired');
      expect((await get(url)).status).toBe(200);
    }, clientTestTimeoutMs);

    it('without --allow-sigv2: the same requests are refused with InvalidRequest', async () => {
      if (!available(python)) return;
      const bucket = `sigv2-${randomBytes(4).toString('hex')}`;
      const admin = await issue(refusing, { permission_type: 'admin_rw', bucket_scope: 'all' });
      const [created, presigned, post] = await boto3(python, refusing, { admin }, [
        { as: 'admin', op: 'create_bucket', bucket },
        { as: 'admin', op: 'presign_get', bucket, key: 'k', expires: 3600 },
        { as: 'admin', op: 'presign_post', bucket, key: 'k' },
      ]);
      expect(created).toEqual({ error: 'InvalidRequest', status: 400 });
      expect(isSigV2Url(presigned?.url as string)).toBe(true);
      expect(await get(presigned?.url as string)).toMatchObject({ status: 400, code: 'InvalidRequest' });
      expect(await postForm(post!, 'x')).toEqual({ status: 400, code: 'InvalidRequest' });
    }, clientTestTimeoutMs);
  });
}

for (const cli of awsClis) {
  describe(cli.name, () => {
    it('aws s3 presign (region us-east-1): its URL downloads with --allow-sigv2, and a SigV2 one is refused without', async () => {
      if (!available(cli)) return;
      const profileDir = await mkdtemp(join(workDir, 'aws-'));
      await writeFile(join(profileDir, 'config'), '[default]\nregion = us-east-1\n');
      const presignOn = async (mock: MockServer, key: Key, bucket: string): Promise<string> => {
        await writeFile(join(profileDir, 'credentials'), `[default]\naws_access_key_id = ${key.id}\naws_secret_access_key = ${key.secret}\n`);
        const env: Record<string, string> = {
          ...(process.env as Record<string, string>),
          ...cli.env,
          AWS_CONFIG_FILE: join(profileDir, 'config'),
          AWS_SHARED_CREDENTIALS_FILE: join(profileDir, 'credentials'),
          AWS_PAGER: '',
        };
        for (const name of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_DEFAULT_REGION', 'AWS_REGION']) delete env[name];
        const { stdout } = await run(cli.bin, ['s3', 'presign', `s3://${bucket}/hello.txt`, '--expires-in', '600', '--endpoint-url', mock.s3Endpoint], { env });
        return stdout.trim();
      };
      const bucket = `sigv2-${randomBytes(4).toString('hex')}`;
      for (const mock of [allowing, refusing]) await seed(mock, bucket, 'hello.txt', 'hello');

      const onUrl = await presignOn(allowing, await issue(allowing, { permission_type: 'object_rw', bucket_scope: 'all' }), bucket);
      expect(await get(onUrl)).toMatchObject({ status: 200, text: 'hello' });
      const offUrl = await presignOn(refusing, await issue(refusing, { permission_type: 'object_rw', bucket_scope: 'all' }), bucket);
      const off = await get(offUrl);
      if (isSigV2Url(offUrl)) expect(off).toMatchObject({ status: 400, code: 'InvalidRequest' });
      else expect(off).toMatchObject({ status: 200, text: 'hello' });
      console.info(`${cli.name}: aws s3 presign signs with ${isSigV2Url(offUrl) ? 'SigV2' : 'SigV4'}`);
    }, clientTestTimeoutMs);
  });
}
