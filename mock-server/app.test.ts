import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request as httpRequest } from 'node:http';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { s3SigningRegion } from '../spec/index.js';
import { createMockServer, type MockServer } from './app.js';
import { runCli } from './cli.js';
import { createLogger } from './logger.js';
import { DataDirInUseError } from './store/database.js';
import { withWorkspace } from './reliability/test/http.js';

/** The mock as a whole, over real HTTP: createMockServer, the CLI, persistence, logs. */

const open: MockServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function start(options: Parameters<typeof createMockServer>[0] = {}): Promise<MockServer> {
  const server = await createMockServer(options);
  open.push(server);
  return server;
}

/** A logger whose lines a test can read. */
function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: 'trace', destination }) };
}

async function api(server: MockServer, method: string, path: string, token: string, body?: unknown, workspace = server.projectId) {
  const response = await fetch(`${server.apiUrl}${withWorkspace(path, workspace)}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, text, headers: response.headers };
}

function s3For(server: MockServer, created: { access_key_id: string; secret_access_key: string }) {
  return new S3Client({
    endpoint: server.s3Endpoint,
    region: s3SigningRegion.value.default,
    forcePathStyle: true,
    credentials: { accessKeyId: created.access_key_id, secretAccessKey: created.secret_access_key },
    maxAttempts: 1,
  });
}

const adminRw = { name: 'admin', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } };

describe('createMockServer', () => {
  it('serves the REST API and S3 with one token store; revocation reaches S3 at once', async () => {
    const server = await start();
    expect(server.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.projectId).toMatch(/^\d{4}$/);
    expect(server.projectIds).toEqual([server.projectId]);

    const created = await api(server, 'POST', `/v1/projects/${server.projectId}/api-tokens`, server.managementToken, adminRw);
    expect(created.status).toBe(201);
    expect(created.body.s3_endpoint).toBe(server.s3Endpoint);
    expect((await api(server, 'POST', '/v1/object-storage/buckets', created.body.bearer_token, { name: 'from-rest', region: 'in-south-1' })).status).toBe(201);

    const s3 = s3For(server, created.body);
    const listed = await s3.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((b) => b.Name)).toEqual(['from-rest']);

    const revoked = await api(server, 'POST', `/v1/projects/${server.projectId}/api-tokens/${created.body.id}/revoke`, server.managementToken);
    expect(revoked.status).toBe(200);
    await expect(s3.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'AccessDenied' });
    expect((await api(server, 'GET', '/v1/object-storage/buckets', created.body.bearer_token)).status).toBe(403);
  });

  it('refuses every request that starts after the revoke call returns, even under load', async () => {
    const server = await start();
    const created = await api(server, 'POST', `/v1/projects/${server.projectId}/api-tokens`, server.managementToken, adminRw);
    const bearer = created.body.bearer_token as string;
    let revokedAt = Number.POSITIVE_INFINITY;
    const outcomes: { started: number; status: number }[] = [];
    const hammer = async () => {
      for (let i = 0; i < 25; i++) {
        const started = performance.now();
        const res = await fetch(`${server.apiUrl}${withWorkspace('/v1/object-storage/buckets', server.projectId)}`, { headers: { authorization: `Bearer ${bearer}` } });
        await res.arrayBuffer();
        outcomes.push({ started, status: res.status });
      }
    };
    const load = Promise.all([hammer(), hammer(), hammer(), hammer()]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const revoke = await api(server, 'POST', `/v1/projects/${server.projectId}/api-tokens/${created.body.id}/revoke`, server.managementToken);
    revokedAt = performance.now();
    expect(revoke.status).toBe(200);
    await load;
    const after = outcomes.filter((o) => o.started > revokedAt);
    expect(after.length).toBeGreaterThan(0);
    for (const outcome of after) expect(outcome.status).toBe(403);
    for (const outcome of outcomes) expect([200, 403]).toContain(outcome.status);
  });

  it('serves several projects and keeps them apart', async () => {
    const server = await start({ projectIds: ['1001', '2002'] });
    expect(server.projectId).toBe('1001');
    const a = await api(server, 'POST', '/v1/projects/1001/api-tokens', server.managementToken, adminRw);
    const b = await api(server, 'POST', '/v1/projects/2002/api-tokens', server.managementToken, adminRw);
    await api(server, 'POST', '/v1/object-storage/buckets', a.body.bearer_token, { name: 'bucket-of-a', region: 'in-south-1' });
    await api(server, 'POST', '/v1/object-storage/buckets', b.body.bearer_token, { name: 'bucket-of-b', region: 'in-south-1' }, '2002');
    expect((await api(server, 'GET', '/v1/object-storage/buckets', a.body.bearer_token)).body.buckets.map((x: { name: string }) => x.name)).toEqual(['bucket-of-a']);
    expect((await api(server, 'GET', '/v1/projects/2002/api-tokens', server.managementToken)).body.tokens.map((t: { id: string }) => t.id)).toEqual([b.body.id]);
    expect((await api(server, 'GET', '/v1/projects/3003/api-tokens', server.managementToken)).status).toBe(404);
  });

  it('keeps tokens, revocations, buckets and the default project across a restart with a data dir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ibee-mock-app-'));
    dirs.push(dataDir);
    const first = await createMockServer({ dataDir, managementToken: 'management-token-for-restart' });
    const kept = await api(first, 'POST', `/v1/projects/${first.projectId}/api-tokens`, first.managementToken, adminRw);
    const gone = await api(first, 'POST', `/v1/projects/${first.projectId}/api-tokens`, first.managementToken, adminRw);
    await api(first, 'POST', `/v1/projects/${first.projectId}/api-tokens/${gone.body.id}/revoke`, first.managementToken);
    await api(first, 'POST', '/v1/object-storage/buckets', kept.body.bearer_token, { name: 'durable', region: 'in-south-1' });
    await first.close();

    const second = await start({ dataDir, managementToken: 'management-token-for-restart' });
    expect(second.projectId).toBe(first.projectId);
    const list = await api(second, 'GET', '/v1/object-storage/buckets', kept.body.bearer_token);
    expect(list.body.buckets.map((x: { name: string }) => x.name)).toEqual(['durable']);
    expect((await api(second, 'GET', '/v1/object-storage/buckets', gone.body.bearer_token)).status).toBe(403);
    const listed = await s3For(second, kept.body).send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((b) => b.Name)).toEqual(['durable']);
  });

  it('keeps the moved clock across a restart with a data dir, so an expired token stays expired', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ibee-mock-clock-'));
    dirs.push(dataDir);
    const managementToken = 'management-token-for-clock-restart';
    const first = await createMockServer({ dataDir, managementToken });
    const token = await api(first, 'POST', `/v1/projects/${first.projectId}/api-tokens`, managementToken, {
      name: 'short', expires_in_days: 1, billing: { permission_type: 'read_only' },
    });
    expect((await api(first, 'GET', '/v1/billing/balance', token.body.bearer_token)).status).toBe(200);
    await api(first, 'POST', '/_mock/clock', managementToken, { advance_seconds: 2 * 86_400 });
    expect((await api(first, 'GET', '/v1/billing/balance', token.body.bearer_token)).status).toBe(403);
    const movedTo = Date.parse((await api(first, 'GET', '/_mock/clock', managementToken)).body.now);
    await first.close();

    const second = await start({ dataDir, managementToken });
    expect((await api(second, 'GET', '/v1/billing/balance', token.body.bearer_token)).status).toBe(403);
    expect((await api(second, 'GET', `/v1/projects/${second.projectId}/api-tokens/${token.body.id}`, managementToken)).body.status).toBe('expired');
    expect(Date.parse((await api(second, 'GET', '/_mock/clock', managementToken)).body.now)).toBeGreaterThanOrEqual(movedTo);
  });

  it('refuses a second mock on a data dir in use, touching nothing of the first, and starts once the first has closed', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ibee-mock-lock-'));
    dirs.push(dataDir);
    const managementToken = 'management-token-for-lock';
    const first = await createMockServer({ dataDir, managementToken });
    const token = await api(first, 'POST', `/v1/projects/${first.projectId}/api-tokens`, managementToken, adminRw);
    await api(first, 'POST', '/v1/object-storage/buckets', token.body.bearer_token, { name: 'held', region: 'in-south-1' });
    const tmpBefore = await readdir(join(dataDir, 'blobs', 'tmp'));
    const error = await createMockServer({ dataDir, managementToken }).then(
      async (second) => {
        await second.close();
        return null;
      },
      (refused: unknown) => refused,
    );
    expect(error).toBeInstanceOf(DataDirInUseError);
    expect(String(error)).toContain(dataDir);
    // The first mock goes on as before, with its temporary folder untouched.
    expect(await readdir(join(dataDir, 'blobs', 'tmp'))).toEqual(tmpBefore);
    await s3For(first, token.body).send(new PutObjectCommand({ Bucket: 'held', Key: 'k', Body: 'still mine' }));
    await first.close();
    const again = await start({ dataDir, managementToken });
    const got = await s3For(again, token.body).send(new GetObjectCommand({ Bucket: 'held', Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('still mine');
  });

  it('refuses an upload whose token is revoked while its body is still arriving, and stores nothing', async () => {
    const server = await start();
    const created = await api(server, 'POST', `/v1/projects/${server.projectId}/api-tokens`, server.managementToken, adminRw);
    const client = s3For(server, created.body);
    await client.send(new CreateBucketCommand({ Bucket: 'in-flight' }));

    const url = new URL(`${server.s3Endpoint}/in-flight/slow`);
    const signer = new SignatureV4({
      credentials: { accessKeyId: created.body.access_key_id, secretAccessKey: created.body.secret_access_key },
      region: s3SigningRegion.value.default,
      service: 's3',
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: 'PUT',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        headers: { host: url.host, 'content-length': '10', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      }),
    );
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ method: 'PUT', host: url.hostname, port: url.port, path: url.pathname, headers: signed.headers }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('12345');
      // Revoke while the body is half sent; only then send the rest.
      setTimeout(() => {
        void api(server, 'POST', `/v1/projects/${server.projectId}/api-tokens/${created.body.id}/revoke`, server.managementToken).then((revoked) => {
          expect(revoked.status).toBe(200);
          req.end('67890');
        }, reject);
      }, 100);
    });
    const answered = await response;
    expect(answered.status).toBe(403);
    expect(answered.body).toContain('<Code>AccessDenied</Code>');

    const other = await api(server, 'POST', `/v1/projects/${server.projectId}/api-tokens`, server.managementToken, adminRw);
    await expect(s3For(server, other.body).send(new HeadObjectCommand({ Bucket: 'in-flight', Key: 'slow' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('remembers the projects it was first given when restarted without any', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ibee-mock-projects-'));
    dirs.push(dataDir);
    await (await createMockServer({ dataDir, projectIds: ['4242', '4343'] })).close();
    const again = await start({ dataDir });
    expect(again.projectIds).toEqual(['4242', '4343']);
  });

  it('refuses everywhere the tokens of a project it no longer serves, and serves them again with their project', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ibee-mock-unserved-'));
    dirs.push(dataDir);
    const managementToken = 'unserved-projects-management-token-0123456789';
    const first = await createMockServer({ dataDir, projectIds: ['4242', '4343'], managementToken });
    const created = await api(first, 'POST', '/v1/projects/4242/api-tokens', managementToken, adminRw);
    expect(created.status).toBe(201);
    await s3For(first, created.body).send(new CreateBucketCommand({ Bucket: 'of-4242' }));
    await first.close();

    const onlyOther = await start({ dataDir, projectIds: ['4343'], managementToken });
    await expect(s3For(onlyOther, created.body).send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } });
    await expect(s3For(onlyOther, created.body).send(new PutObjectCommand({ Bucket: 'of-4242', Key: 'k', Body: 'x' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    expect((await api(onlyOther, 'GET', '/v1/object-storage/buckets', created.body.bearer_token)).status).toBe(401);
    expect((await api(onlyOther, 'GET', `/v1/projects/4242/api-tokens/${created.body.id}`, managementToken)).status).toBe(404);
    await onlyOther.close();

    const both = await start({ dataDir, projectIds: ['4242', '4343'], managementToken });
    expect((await s3For(both, created.body).send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['of-4242']);
    expect((await api(both, 'POST', `/v1/projects/4242/api-tokens/${created.body.id}/revoke`, managementToken)).status).toBe(200);
    await expect(s3For(both, created.body).send(new ListBucketsCommand({}))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });

  it('has no control routes with control: false', async () => {
    const server = await start({ control: false });
    expect((await api(server, 'GET', '/_mock/clock', server.managementToken)).status).toBe(404);
  });

  it('refuses invalid options', async () => {
    await expect(createMockServer({ projectIds: ['not a label'] })).rejects.toThrow(/project id/);
    await expect(createMockServer({ projectIds: [] })).rejects.toThrow(/at least one/);
    await expect(createMockServer({ projectIds: ['1', '1'] })).rejects.toThrow(/distinct/);
    await expect(createMockServer({ managementToken: 'short' })).rejects.toThrow(/management token/);
    await expect(createMockServer({ apiPort: 70000 })).rejects.toThrow(/port/);
  });

  it('closes both servers, idempotently', async () => {
    const server = await createMockServer();
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(`${server.apiUrl}/_mock/clock`)).rejects.toThrow();
    await expect(fetch(server.s3Endpoint)).rejects.toThrow();
  });
});

describe('logs', () => {
  it('never contain a secret, a bearer token or the management token, even at trace level', async () => {
    const { lines, logger } = capturingLogger();
    const server = await start({ logger });
    const created = await api(server, 'POST', `/v1/projects/${server.projectId}/api-tokens`, server.managementToken, {
      ...adminRw,
      billing: { permission_type: 'read_only' },
    });
    await api(server, 'POST', '/v1/object-storage/buckets', created.body.bearer_token, { name: 'logged' });
    await api(server, 'GET', '/v1/billing/invoices', created.body.bearer_token);
    await api(server, 'GET', '/v1/object-storage/buckets?token=x', created.body.bearer_token);
    await s3For(server, created.body).send(new ListBucketsCommand({}));
    await api(server, 'POST', `/v1/projects/${server.projectId}/api-tokens/${created.body.id}/revoke`, server.managementToken);
    await api(server, 'GET', '/v1/object-storage/buckets', created.body.bearer_token);
    const log = lines.join('');
    expect(log).toContain('"path":"/v1/object-storage/buckets"');
    for (const secret of [created.body.bearer_token, created.body.secret_access_key, server.managementToken]) expect(log).not.toContain(secret);
  });

  it('redact credential fields wherever a log call puts them', () => {
    const { lines, logger } = capturingLogger();
    logger.info({
      authorization: 'Bearer one',
      req: { headers: { authorization: 'Bearer two', 'x-amz-signature': 'three' } },
      token: { secret_access_key: 'four', bearer_token: 'five' },
      secretAccessKey: 'six',
    });
    const log = lines.join('');
    for (const secret of ['one', 'two', 'three', 'four', 'five', 'six']) expect(log).not.toContain(secret);
    expect(log).toContain('[redacted]');
  });
});

describe('ibee-mock CLI', () => {
  function io() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) } };
  }
  const quiet = createLogger({ level: 'silent' });

  it('prints the ready line first on stdout, and a generated management token on stderr only', async () => {
    const { out, err, io: streams } = io();
    const server = await runCli(['--project-id', '1234', '--project-id', '5678', '--no-control'], streams, quiet);
    expect(server).toBeDefined();
    open.push(server!);
    expect(out).toHaveLength(1);
    const ready = JSON.parse(out[0]!);
    expect(ready).toEqual({ event: 'ready', api_url: server!.apiUrl, s3_endpoint: server!.s3Endpoint, project_id: '1234', project_ids: ['1234', '5678'], organization_id: server!.organizationId });
    expect(out[0]).not.toContain(server!.managementToken);
    expect(err.join('\n')).toContain(server!.managementToken);
    expect((await api(server!, 'GET', '/v1/projects/5678/api-tokens', server!.managementToken)).status).toBe(200);
    expect((await api(server!, 'GET', '/_mock/clock', server!.managementToken)).status).toBe(404);
  });

  it('does not print a management token it was given', async () => {
    const { out, err, io: streams } = io();
    const server = await runCli(['--management-token', 'given-management-token-123', '--api-port', '0'], streams, quiet);
    open.push(server!);
    expect(server!.managementToken).toBe('given-management-token-123');
    expect([...out, ...err].join('\n')).not.toContain('given-management-token-123');
  });

  it('accepts Signature Version 2 only with --allow-sigv2', async () => {
    const plain = await runCli(['--api-port', '0'], io().io, quiet);
    open.push(plain!);
    expect(plain!.context.allowSigV2).toBe(false);
    const allowing = await runCli(['--allow-sigv2'], io().io, quiet);
    open.push(allowing!);
    expect(allowing!.context.allowSigV2).toBe(true);
  });

  it('shows help, and refuses bad arguments', async () => {
    const { out, io: streams } = io();
    expect(await runCli(['--help'], streams, quiet)).toBeUndefined();
    for (const flag of ['--host', '--api-port', '--s3-port', '--project-id', '--management-token', '--data-dir', '--s3-domain', '--allow-sigv2', '--no-control', '--log-level']) {
      expect(out.join('\n')).toContain(flag);
    }
    await expect(runCli(['--api-port', 'eighty'], io().io, quiet)).rejects.toBeInstanceOf(CommanderError);
    await expect(runCli(['--log-level', 'loud'], io().io, quiet)).rejects.toBeInstanceOf(CommanderError);
    await expect(runCli(['--unknown'], io().io, quiet)).rejects.toBeInstanceOf(CommanderError);
  });
});
