import { randomBytes } from 'node:crypto';
import type { IncomingMessage as Request, RequestListener, ServerResponse as Response } from 'node:http';
import { authorizeOperation } from '../auth/authorize.js';
import type { MockContext } from '../context.js';
import type { Storage } from '../store/storage.js';
import { authenticate, authenticatePostPolicy } from './auth/index.js';
import type { VerifiedBody } from './auth/types.js';
import * as buckets from './controllers/buckets.js';
import { header, notImplemented, type Controller, type S3Call } from './controllers/common.js';
import { applyCorsHeaders, answerPreflight } from './controllers/cors.js';
import * as multipart from './controllers/multipart.js';
import * as objects from './controllers/objects.js';
import { postObject } from './controllers/post-object.js';
import { listBuckets } from './controllers/service.js';
import { S3Error } from './errors.js';
import { parseCopySource, routeRequest, withCopySource, type Route } from './router.js';
import { sendError } from './xml.js';

/** Every S3 operation the mock serves (the rows of spec's permission matrix) and its controller. PostObject is apart. */
export const s3Controllers: Readonly<Record<string, Controller>> = {
  ListBuckets: listBuckets,
  CreateBucket: buckets.createBucket,
  DeleteBucket: buckets.deleteBucket,
  HeadBucket: buckets.headBucket,
  GetBucketLocation: buckets.getBucketLocation,
  GetBucketVersioning: buckets.getBucketVersioning,
  GetBucketCors: buckets.getBucketCors,
  PutBucketCors: buckets.putBucketCors,
  DeleteBucketCors: buckets.deleteBucketCors,
  GetBucketLifecycleConfiguration: buckets.getBucketLifecycle,
  PutBucketLifecycleConfiguration: buckets.putBucketLifecycle,
  DeleteBucketLifecycle: buckets.deleteBucketLifecycle,
  GetBucketEncryption: buckets.getBucketEncryption,
  PutBucketEncryption: buckets.putBucketEncryption,
  ListObjects: buckets.listObjectsV1,
  ListObjectsV2: buckets.listObjectsV2,
  ListObjectVersions: buckets.listObjectVersions,
  ListMultipartUploads: buckets.listMultipartUploads,
  DeleteObjects: buckets.deleteObjects,
  HeadObject: objects.headObject,
  GetObject: objects.getObject,
  PutObject: objects.putObject,
  CopyObject: objects.copyObject,
  DeleteObject: objects.deleteObject,
  CreateMultipartUpload: multipart.createMultipartUpload,
  UploadPart: multipart.uploadPart,
  UploadPartCopy: multipart.uploadPartCopy,
  CompleteMultipartUpload: multipart.completeMultipartUpload,
  AbortMultipartUpload: multipart.abortMultipartUpload,
  ListParts: multipart.listParts,
};

function isStorage(store: MockContext['storage']): store is Storage {
  return typeof (store as Partial<Storage>).putObject === 'function' && typeof (store as Partial<Storage>).listObjects === 'function';
}

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
 * The S3 endpoint: router → authenticate (s3/auth) → authorize (bucket scope, then level, before any existence
 * check) → controller → store → XML. Every response carries a Date from the mock's clock and a request id.
 */
export function createS3App(ctx: MockContext): RequestListener {
  const candidate = ctx.storage;
  if (!isStorage(candidate)) throw new Error('createS3App needs the storage made by createStorage (mock-server/store/storage.ts)');
  const storage: Storage = candidate;

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
    const route = routeRequest(req.method ?? 'GET', req.url ?? '/', host, ctx.s3Domain, header(req, 'content-type') ?? '');
    let body: VerifiedBody | null = null;
    let operation: string | null = route.operation;
    let errorCode: string | undefined;
    try {
      if (req.method === 'OPTIONS') {
        answerPreflight(storage, route, req, res);
        return;
      }
      if (route.bucket) applyCorsHeaders(storage, route.bucket, req, res);

      if (route.operation === 'PostObject' && route.bucket !== null && route.error === null) {
        const upload = await authenticatePostPolicy(req, ctx, route.bucket);
        body = upload.file;
        authorize(ctx, upload.caller.token, 'PostObject', [route.bucket], true, requestId);
        await postObject(makeCall(ctx, storage, req, res, route, 'PostObject', upload.caller, upload.file, requestId), upload);
        return;
      }

      const authenticated = await authenticate(req, ctx, { rawPath: route.rawPath, rawQuery: route.rawQuery, host });
      body = authenticated.body;
      if (route.error) throw route.error;
      // A presigned URL's hoisted x-amz-* values are its headers from here on (a header sent as well, signed, wins).
      for (const [name, value] of Object.entries(authenticated.hoistedHeaders)) req.headers[name] ??= value;
      const copySource = header(req, 'x-amz-copy-source');
      operation = withCopySource(route.operation, copySource);
      const controller = operation === null ? undefined : s3Controllers[operation];
      if (operation === null || controller === undefined) throw notImplemented();
      const touched = route.bucket === null ? [] : [route.bucket];
      if (copySource !== undefined && (operation === 'CopyObject' || operation === 'UploadPartCopy')) {
        const source = parseCopySource(copySource).bucket;
        if (!touched.includes(source)) touched.push(source);
      }
      authorize(ctx, authenticated.caller.token, operation, touched, authenticated.caller.presigned, requestId);
      await controller(makeCall(ctx, storage, req, res, route, operation, authenticated.caller, authenticated.body, requestId));
    } catch (error) {
      if (res.headersSent) {
        // The body was under way (a client that went away mid-download, say): nothing left to report to it.
        ctx.logger.debug({ requestId, operation, err: error }, 's3 response interrupted');
        res.destroy();
        return;
      }
      const s3Error = error instanceof S3Error ? error : internalError(ctx, error, operation);
      errorCode = s3Error.code;
      sendError(res, s3Error, { method: req.method ?? 'GET', resource: route.rawPath, requestId });
    } finally {
      discardBody(req, body);
      ctx.logger.debug({ requestId, operation, bucket: route.bucket, status: res.statusCode, code: errorCode }, 's3 request');
    }
  }
}

function authorize(ctx: MockContext, token: S3Call['caller']['token'], operation: string, touched: string[], presigned: boolean, requestId: string): void {
  const decision = authorizeOperation(token, { operation, buckets: touched, presigned }, ctx.clock.nowMs());
  if (!decision.allowed) {
    // The client gets AWS's bare "Access Denied"; the reason goes to the mock's log, for whoever debugs the test.
    ctx.logger.info({ requestId, operation, buckets: touched, accessKeyId: token.accessKeyId, reason: decision.reason }, 's3 access denied');
    throw new S3Error('AccessDenied', 'Access Denied');
  }
}

function makeCall(
  ctx: MockContext,
  storage: Storage,
  req: Request,
  res: Response,
  route: Route,
  operation: string,
  caller: S3Call['caller'],
  body: VerifiedBody,
  requestId: string,
): S3Call {
  return { ctx, storage, req, res, route, operation, caller, body, requestId };
}

function internalError(ctx: MockContext, error: unknown, operation: string | null): S3Error {
  ctx.logger.error({ err: error, operation }, 's3 request failed unexpectedly');
  return new S3Error('InternalError', 'We encountered an internal error. Please try again.');
}
