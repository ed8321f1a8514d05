/**
 * The S3 endpoint as a plain node:http listener, with bodies held in memory (and small files) sent in one write:
 * behaviours Express or a stream pipeline used to give, checked on raw HTTP.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameRequest, rawExchange, s3AnswerProblems, signedExchange, signHeaders } from './test/http.js';
import { answerMalformedRequests, s3MalformedAnswer } from './malformed-requests.js';
import { createS3App } from '../s3/app.js';
import { startTestS3, type Credentials, type TestS3 } from '../s3/test/test-s3.js';

const MiB = 1024 * 1024;

for (const mode of ['memory', 'files'] as const) {
  describe(`S3 listener, ${mode} bodies`, () => {
    let s3: TestS3;
    let creds: Credentials;
    let client: S3Client;
    let dir: string | null = null;
    const objects = new Map<string, Buffer>();

    beforeAll(async () => {
      if (mode === 'files') dir = mkdtempSync(join(tmpdir(), 'ibee-listener-'));
      s3 = await startTestS3({ dataDir: dir });
      // As mock-server/app.ts installs it: unknown Expect values reach the app.
      answerMalformedRequests(s3.server, createS3App(s3.ctx), s3MalformedAnswer);
      creds = s3.token();
      client = s3.client(creds);
      await client.send(new CreateBucketCommand({ Bucket: 'rev-bucket' }));
      for (const [key, size] of [['empty', 0], ['small', 10], ['mib', MiB], ['mib1', MiB + 1], ['big', 3 * MiB + 7]] as const) {
        const data = randomBytes(size);
        objects.set(key, data);
        await client.send(new PutObjectCommand({ Bucket: 'rev-bucket', Key: key, Body: data }));
      }
    });
    afterAll(async () => {
      await s3.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const get = (key: string, headers: Record<string, string> = {}, method = 'GET', query?: Record<string, string>) =>
      signedExchange(s3.port, creds, { method, rawPath: `/rev-bucket/${key}`, headers, ...(query ? { query } : {}), timeoutMs: 10_000 });

    it('GET returns every byte, with Date and x-amz-request-id, for 0 B, 10 B, 1 MiB, 1 MiB+1 and 3 MiB', async () => {
      for (const [key, data] of objects) {
        const res = await get(key);
        expect(res.status, key).toBe(200);
        expect(res.headers['content-length'], key).toBe(String(data.length));
        expect(Buffer.compare(res.body, data), key).toBe(0);
        expect(res.headers['x-amz-request-id'], key).toMatch(/^[0-9A-F]{16}$/);
        expect(res.headers.date, key).toBeDefined();
      }
    });

    it('any Range (and partNumber=1) returns exactly the requested bytes', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('small', 'mib', 'mib1', 'big'),
          fc.nat(),
          fc.nat(),
          fc.constantFrom('range', 'suffix', 'open'),
          async (key, a, b, shape) => {
            const data = objects.get(key)!;
            const start = a % data.length;
            const end = Math.min(data.length - 1, start + (b % (2 * MiB)));
            const header = shape === 'range' ? `bytes=${start}-${end}` : shape === 'suffix' ? `bytes=-${end - start + 1}` : `bytes=${start}-`;
            const [s, e] = shape === 'range' ? [start, end] : shape === 'suffix' ? [data.length - (end - start + 1), data.length - 1] : [start, data.length - 1];
            const res = await get(key, { range: header });
            expect(res.status).toBe(206);
            expect(res.headers['content-range']).toBe(`bytes ${s}-${e}/${data.length}`);
            expect(Buffer.compare(res.body, data.subarray(s, e + 1))).toBe(0);
          },
        ),
        { numRuns: 25 },
      );
      const part = await get('mib1', {}, 'GET', { partNumber: '1' });
      expect(part.status).toBe(206);
      expect(Buffer.compare(part.body, objects.get('mib1')!)).toBe(0);
    });

    it('HEAD: headers only; If-None-Match: 304 without a body; a missing key: 404 without a body', async () => {
      const head = await get('mib1', {}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe(String(MiB + 1));
      expect(head.body.length).toBe(0);
      const etag = head.headers.etag!;
      const notModified = await get('small', { 'if-none-match': (await get('small', {}, 'HEAD')).headers.etag! });
      expect(notModified.status).toBe(304);
      expect(notModified.body.length).toBe(0);
      expect(etag).toMatch(/^"/);
      const missing = await get('nope', {}, 'HEAD');
      expect(missing.status).toBe(404);
      expect(missing.body.length).toBe(0);
      expect(missing.headers['x-amz-request-id']).toBeDefined();
    });

    it('Expect: 100-continue and an unknown Expect value are served', async () => {
      for (const expectation of ['100-continue', 'x-unknown']) {
        const body = Buffer.from(`expect ${expectation}`);
        const res = await signedExchange(s3.port, creds, { method: 'PUT', rawPath: `/rev-bucket/expect-${expectation}`, headers: { expect: expectation }, body });
        expect(res.status, expectation).toBe(200);
        const back = await get(`expect-${expectation}`);
        expect(back.text).toBe(body.toString());
      }
    });

    it('absolute-form request target is answered like origin-form (no 5xx, no hang)', async () => {
      const host = `127.0.0.1:${s3.port}`;
      const signed = await signHeaders({ credentials: creds, host, method: 'GET', rawPath: '/rev-bucket/small' });
      const res = await rawExchange(
        s3.port,
        frameRequest('GET', `http://${host}/rev-bucket/small`, [...Object.entries(signed), ['connection', 'close']]),
      );
      expect(s3AnswerProblems('GET', res)).toEqual([]);
    });

    it('a client that goes away mid-download leaves the server serving', async () => {
      for (let i = 0; i < 5; i++) {
        const host = `127.0.0.1:${s3.port}`;
        const signed = await signHeaders({ credentials: creds, host, method: 'GET', rawPath: '/rev-bucket/big' });
        await new Promise<void>((resolve) => {
          const socket = connect(s3.port, '127.0.0.1', () => socket.write(frameRequest('GET', '/rev-bucket/big', Object.entries(signed))));
          socket.once('data', () => {
            socket.destroy();
            resolve();
          });
          socket.on('error', () => resolve());
        });
      }
      const res = await get('small');
      expect(res.status).toBe(200);
    });

    if (mode === 'files') {
      it('a blob file gone from disk: a clean 500 InternalError XML, and the server keeps serving', async () => {
        const data = randomBytes(100);
        await client.send(new PutObjectCommand({ Bucket: 'rev-bucket', Key: 'victim', Body: data }));
        const blobId = s3.storage.getObject('rev-bucket', 'victim')!.blobId;
        const path = (readdirSync(dir!, { recursive: true }) as string[]).find((name) => name.endsWith(blobId))!;
        unlinkSync(join(dir!, path));
        const res = await get('victim');
        expect(res.status).toBe(500);
        expect(res.text).toContain('<Code>InternalError</Code>');
        expect((await get('small')).status).toBe(200);
      });
    }
  });
}
