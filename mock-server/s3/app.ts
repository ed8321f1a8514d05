import { randomBytes } from 'node:crypto';
import type { IncomingMessage as Request, RequestListener, ServerResponse as Response } from 'node:http';
import { authorize, authorizeAnonymous } from '../authorization/authorize.js';
import type { S3OperationName } from '../../spec/index.js';
import type { MockContext } from '../context.js';
import { authenticate, authenticatePostPolicy, type PostPolicyUpload } from './signing/index.js';
import type { AnonymousCaller, Caller, S3Caller, VerifiedBody } from './signing/types.js';
import { header, notImplemented } from './controllers/common.js';
import { applyCorsHeaders, answerPreflight } from './cors.js';
import { StoreError } from '../store/errors.js';
import { fromStoreError, S3Error } from './errors.js';
import { s3OperationTable } from './operations.js';
import { routeRequest } from './router.js';
import { sendError } from './xml.js';

/**
 * Random bytes for request ids, drawn from a pool refilled 4 KiB at a time: one randomBytes call per request
 * pair showed in the CPU profile of small requests. The ids only need to be unique, not secret.
 */
const idPool = { bytes: Buffer.alloc(0), offset: 0 };
function randomIdBytes(length: number): Buffer {
  if (idPool.offset + length > idPool.bytes.length) {
    idPool.bytes = randomBytes(4096);
    idPool.offset = 0;
  }
  const slice = idPool.bytes.subarray(idPool.offset, idPool.offset + length);
  idPool.offset += length;
  return slice;
}

/** Lets the rest of a request body flow away, so the connection stays usable after an early answer. */
function discardBody(req: Request, body: VerifiedBody | null): void {
  if (body) {
    body.digests.catch(() => undefined);
    body.stream.on('error', () => undefined);
    if (!body.stream.destroyed) {
      body.stream.resume();
      return;
    }
  }
  if (!req.complete) req.resume();
}

/**
 * The S3 endpoint: router → authenticate (s3/signing) → authorize (bucket scope, then level, before any existence
 * check) → controller → store → XML. Every response carries a Date from the mock's clock and a request id.
 */
export function createS3App(ctx: MockContext): RequestListener {
  const { storage } = ctx;

  // A plain node:http listener: S3 needs no routing framework (router.ts maps the request), and Express's
  // per-request work (prototype swaps, its router) showed in the CPU profile of small requests.
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Only a failure while reporting a failure lands here: nothing sensible can be sent any more.
      ctx.logger.error({ err: error }, 's3 error response failed');
      res.destroy();
    });
  };

  async function handle(req: Request, res: Response): Promise<void> {
    const requestId = randomIdBytes(8).toString('hex').toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', randomIdBytes(24).toString('base64'));
    res.setHeader('Date', ctx.clock.now().toUTCString());
    res.setHeader('Server', 'IbeeMockS3');
    const host = header(req, 'host') ?? '';
    const route = routeRequest(req.method ?? 'GET', req.url ?? '/', host, ctx.s3Domain, {
      contentType: header(req, 'content-type'),
      copySource: header(req, 'x-amz-copy-source'),
    });
    let body: VerifiedBody | null = null;
    const operation = route.operation;
    let errorCode: string | undefined;
    try {
      if (req.method === 'OPTIONS') {
        answerPreflight(storage, route, req, res);
        return;
      }
      if (route.bucket) applyCorsHeaders(storage, route.bucket, req, res);

      const row = operation === null ? null : s3OperationTable[operation];
      let caller: Caller;
      let form: PostPolicyUpload | null = null;
      if (row?.authentication === 'post-policy' && route.bucket !== null && route.error === null) {
        form = await authenticatePostPolicy(req, ctx, route.bucket);
        caller = form.caller;
        body = form.file;
      } else {
        const authenticated = await authenticate(req, ctx, {
          rawPath: route.rawPath,
          rawQuery: route.rawQuery,
          host,
          ...(route.virtualHosted && route.bucket !== null ? { virtualHostedBucket: route.bucket } : {}),
          ...(row?.checksumHeaders ? { checksumHeaders: row.checksumHeaders } : {}),
        });
        body = authenticated.body;
        caller = authenticated.caller.anonymous ? requirePublicRead(ctx, operation, route.bucket, requestId) : authenticated.caller;
        // A presigned URL's hoisted x-amz-* values are its headers from here on (a header sent as well, signed, wins).
        for (const [name, value] of Object.entries(authenticated.hoistedHeaders)) req.headers[name] ??= value;
      }
      if (route.error) throw route.error;
      if (operation === null || row === null) throw notImplemented();
      const touched = route.bucket === null ? [] : [route.bucket];
      if (route.copySource !== null && !touched.includes(route.copySource.bucket)) touched.push(route.copySource.bucket);
      if (!caller.anonymous) {
        requireAllowed(ctx, caller, { operation, buckets: touched }, requestId);
        ctx.tokens.recordUse(caller.token, ctx.clock.nowMs());
      }
      await row.controller({ ctx, storage, req, res, route, operation, caller, body, form, requestId });
    } catch (error) {
      if (res.headersSent) {
        // The body was under way (a client that went away mid-download, say): nothing left to report to it.
        ctx.logger.debug({ requestId, operation, err: error }, 's3 response interrupted');
        res.destroy();
        return;
      }
      const s3Error = error instanceof S3Error ? error : error instanceof StoreError ? fromStoreError(error) : internalError(ctx, error, operation);
      errorCode = s3Error.code;
      sendError(res, s3Error, { method: req.method ?? 'GET', resource: route.rawPath, requestId });
    } finally {
      discardBody(req, body);
      ctx.logger.debug({ requestId, operation, bucket: route.bucket, status: res.statusCode, code: errorCode }, 's3 request');
    }
  }
}

/** Asks the one authorization decision; a denial is AWS's bare "Access Denied", its reason goes to the log. */
function requireAllowed(ctx: MockContext, caller: S3Caller, request: { operation: S3OperationName; buckets: readonly string[] }, requestId: string): void {
  const decision = authorize(
    caller.token,
    { kind: 'object-storage', need: { operation: request.operation }, buckets: request.buckets, presigned: caller.presigned },
    ctx.clock.nowMs(),
  );
  if (!decision.allowed) {
    ctx.logger.info({ requestId, ...request, accessKeyId: caller.accessKeyId, reason: decision.reason }, 's3 access denied');
    throw new S3Error('AccessDenied', 'Access Denied');
  }
}

/** An anonymous request: allowed only to read a public bucket, and then it acts in that bucket's project. */
function requirePublicRead(ctx: MockContext, operation: S3OperationName | null, bucketName: string | null, requestId: string): AnonymousCaller {
  const bucket = bucketName === null ? undefined : ctx.storage.findBucket(bucketName);
  const decision = authorizeAnonymous(operation, bucket);
  if (!decision.allowed || !bucket) {
    ctx.logger.info({ requestId, operation, bucket: bucketName, reason: 'anonymous' }, 's3 access denied');
    throw new S3Error('AccessDenied', 'Access Denied');
  }
  return { anonymous: true, projectId: bucket.projectId, region: bucket.region };
}

function internalError(ctx: MockContext, error: unknown, operation: S3OperationName | null): S3Error {
  ctx.logger.error({ err: error, operation }, 's3 request failed unexpectedly');
  return new S3Error('InternalError', 'We encountered an internal error. Please try again.');
}
