import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer } from '../app.js';

/**
 * The AWS CLI (v2 from Debian, v1 from the machine image's Python) and rclone, configured exactly as IBEE's API
 * Tokens page configures them, against the running mock. CI installs them (.ci/run); elsewhere a missing tool is
 * reported, and in CI (CI=true) a missing tool fails the run rather than passing silently.
 */
const run = promisify(execFile);
const inCi = process.env.CI === 'true';

interface Tool {
  readonly name: string;
  readonly bin: string;
  readonly env?: Record<string, string>;
}

const awsV2: Tool = { name: 'aws-cli v2 (Debian)', bin: '/usr/bin/aws', env: { PYENV_VERSION: 'system' } };
const awsV1: Tool = { name: 'aws-cli v1 (image Python)', bin: join(process.env.HOME ?? '/root', '.pyenv', 'shims', 'aws') };
const rclone: Tool = { name: 'rclone (Debian)', bin: '/usr/bin/rclone' };

/**
 * The bound on a test that drives a real client: every aws invocation starts a Python interpreter, 1-2 s on a quiet
 * machine and 4-5 s on a busy one, and the CLI test makes thirteen of them (rclone and boto3 are bounded alike).
 * Nothing waits for time; the bound only stops a client that hangs.
 */
const clientTestTimeoutMs = 300_000;

function available(tool: Tool): boolean {
  return existsSync(tool.bin);
}

let mock: Awaited<ReturnType<typeof createMockServer>>;
let workDir: string;
let credentials: { accessKeyId: string; secretAccessKey: string };

beforeAll(async () => {
  mock = await createMockServer({ apiPort: 0, s3Port: 0 });
  workDir = await mkdtemp(join(tmpdir(), 'ibee-clients-'));
  const response = await fetch(`${mock.apiUrl}/v1/projects/${mock.projectId}/api-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${mock.managementToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'real-clients', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } }),
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { access_key_id: string; secret_access_key: string };
  credentials = { accessKeyId: body.access_key_id, secretAccessKey: body.secret_access_key };
});

afterAll(async () => {
  await mock?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** An AWS CLI with its own config files, set up with `aws configure set` as the seed page shows. */
async function configuredAws(tool: Tool, profileDir: string) {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...tool.env,
    AWS_CONFIG_FILE: join(profileDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(profileDir, 'credentials'),
    AWS_PAGER: '',
  };
  delete env.AWS_PROFILE;
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_SECRET_ACCESS_KEY;
  const aws = (...args: string[]) => run(tool.bin, args, { env, maxBuffer: 16 * 1024 * 1024 });
  await aws('configure', 'set', 'aws_access_key_id', credentials.accessKeyId);
  await aws('configure', 'set', 'aws_secret_access_key', credentials.secretAccessKey);
  await aws('configure', 'set', 'default.region', 'us-east-1');
  return (...args: string[]) => aws(...args, '--endpoint-url', mock.s3Endpoint);
}

for (const tool of [awsV2, awsV1]) {
  describe(tool.name, () => {
    it(`is installed${inCi ? ' (required in CI)' : ''}`, () => {
      if (inCi) expect(available(tool), `${tool.bin} missing: .ci/run must install it`).toBe(true);
      else if (!available(tool)) console.warn(`${tool.name} not found at ${tool.bin}; its tests below pass vacuously`);
    });

    it('mb, cp up and down, ls, s3api, rm and rb work against the mock', async () => {
      if (!available(tool)) return;
      const profileDir = await mkdtemp(join(workDir, 'aws-'));
      const aws = await configuredAws(tool, profileDir);
      const bucket = `cli-${randomBytes(4).toString('hex')}`;
      const upload = join(profileDir, 'upload.bin');
      const download = join(profileDir, 'download.bin');
      const body = randomBytes(300 * 1024 + 7);
      await writeFile(upload, body);

      await aws('s3', 'mb', `s3://${bucket}`);
      expect((await aws('s3', 'ls')).stdout).toContain(bucket);
      await aws('s3', 'cp', upload, `s3://${bucket}/dir/ünïcode key.bin`);
      const listing = (await aws('s3', 'ls', `s3://${bucket}/dir/`)).stdout;
      expect(listing).toContain('ünïcode key.bin');
      expect(listing).toContain(String(body.length));
      await aws('s3', 'cp', `s3://${bucket}/dir/ünïcode key.bin`, download);
      expect(createHash('sha256').update(await readFile(download)).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));

      const head = JSON.parse((await aws('s3api', 'head-object', '--bucket', bucket, '--key', 'dir/ünïcode key.bin')).stdout) as { ContentLength: number };
      expect(head.ContentLength).toBe(body.length);
      const listed = JSON.parse((await aws('s3api', 'list-objects-v2', '--bucket', bucket)).stdout) as { Contents: { Key: string }[] };
      expect(listed.Contents.map((c) => c.Key)).toEqual(['dir/ünïcode key.bin']);

      await aws('s3', 'rm', `s3://${bucket}/dir/ünïcode key.bin`);
      await aws('s3', 'rb', `s3://${bucket}`);
      expect((await aws('s3', 'ls')).stdout).not.toContain(bucket);
    }, clientTestTimeoutMs);

    it('is refused with a wrong secret', async () => {
      if (!available(tool)) return;
      const profileDir = await mkdtemp(join(workDir, 'aws-bad-'));
      const aws = await configuredAws(tool, profileDir);
      await run(tool.bin, ['configure', 'set', 'aws_secret_access_key', 'not-the-secret-' + 'x'.repeat(25)], {
        env: { ...(process.env as Record<string, string>), ...tool.env, AWS_CONFIG_FILE: join(profileDir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(profileDir, 'credentials') },
      });
      await expect(aws('s3', 'ls')).rejects.toMatchObject({ stderr: expect.stringContaining('SignatureDoesNotMatch') });
    }, clientTestTimeoutMs);
  });
}

describe(rclone.name, () => {
  it(`is installed${inCi ? ' (required in CI)' : ''}`, () => {
    if (inCi) expect(available(rclone), `${rclone.bin} missing: .ci/run must install it`).toBe(true);
    else if (!available(rclone)) console.warn(`rclone not found at ${rclone.bin}; its tests below pass vacuously`);
  });

  it('lsd, copy, ls and delete work with the seed page configuration', async () => {
    if (!available(rclone)) return;
    const dir = await mkdtemp(join(workDir, 'rclone-'));
    const config = join(dir, 'rclone.conf');
    // Exactly the seed page's [ibee] section, with the mock as endpoint.
    await writeFile(
      config,
      [
        '[ibee]',
        'type = s3',
        'provider = Other',
        `access_key_id = ${credentials.accessKeyId}`,
        `secret_access_key = ${credentials.secretAccessKey}`,
        `endpoint = ${mock.s3Endpoint}`,
        '',
      ].join('\n'),
    );
    // This environment sets AWS_CA_BUNDLE, which rclone cannot load with its own transport.
    const env = { ...(process.env as Record<string, string>) };
    delete env.AWS_CA_BUNDLE;
    const rc = (...args: string[]) => run(rclone.bin, ['--config', config, ...args], { env, maxBuffer: 16 * 1024 * 1024 });

    const bucket = `rclone-${randomBytes(4).toString('hex')}`;
    await rc('mkdir', `ibee:${bucket}`);
    expect((await rc('lsd', 'ibee:')).stdout).toContain(bucket);

    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    const files = { 'a.txt': randomBytes(1000), 'nested/b.bin': randomBytes(70_000), 'ü €.txt': Buffer.from('unicode') };
    for (const [name, data] of Object.entries(files)) {
      const path = join(src, name);
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, data);
    }
    await rc('copy', src, `ibee:${bucket}`);
    const listing = (await rc('ls', `ibee:${bucket}`)).stdout;
    for (const [name, data] of Object.entries(files)) expect(listing).toContain(`${data.length} ${name}`);
    await rc('copy', `ibee:${bucket}`, dst);
    for (const [name, data] of Object.entries(files)) expect((await readFile(join(dst, name))).equals(data), name).toBe(true);
    await rc('delete', `ibee:${bucket}`);
    expect((await rc('ls', `ibee:${bucket}`)).stdout.trim()).toBe('');
    await rc('rmdir', `ibee:${bucket}`);
    expect((await rc('lsd', 'ibee:')).stdout).not.toContain(bucket);
  }, clientTestTimeoutMs);
});

const pythons: Tool[] = [
  { name: 'boto3 (Debian python3-boto3)', bin: '/usr/bin/python3' },
  { name: 'boto3 (image Python)', bin: join(process.env.HOME ?? '/root', '.pyenv', 'shims', 'python3') },
];
const boto3Script = join(import.meta.dirname, 'fixtures', 'boto3_roundtrip.py');

for (const python of pythons) {
  describe(python.name, () => {
    it(`is installed${inCi ? ' (required in CI)' : ''}`, () => {
      if (inCi) expect(available(python), `${python.bin} missing: .ci/run must install it`).toBe(true);
    });

    it('creates, writes, reads, lists, presigns and deletes', async () => {
      if (!available(python)) return;
      const bucket = `boto3-${randomBytes(4).toString('hex')}`;
      const child = execFile(python.bin, [boto3Script, mock.s3Endpoint, credentials.accessKeyId, bucket], {
        env: { ...(process.env as Record<string, string>), PYENV_VERSION: python.bin.startsWith('/usr/') ? 'system' : '' },
      });
      child.stdin!.end(`${credentials.secretAccessKey}\n`);
      const output = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d));
        child.stderr!.on('data', (d: Buffer) => (stderr += d));
        child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`boto3 script exited ${code}: ${stderr}`))));
      });
      const observed = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(observed).toMatchObject({
        roundtrip: true,
        range: true,
        metadata: { origin: 'boto3' },
        content_type: 'application/x-test',
        listed: ['boto3/ünïcode €.bin'],
        presigned: true,
      });
    }, clientTestTimeoutMs);
  });
}
