import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { StoreError } from '../store/errors.js';
import { RestError, type RestErrorCode } from './errors.js';

/**
 * The HTTP plumbing every REST route shares: request ids and no-store caching, an access log without query
 * strings or headers, a bounded JSON body reader, and the one place errors become JSON.
 */

/** Largest request body the REST API reads. */
export const maxBodyBytes = 64 * 1024;

export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    res.setHeader('x-request-id', requestId);
    // Creation responses hold secrets; nothing here is worth caching anyway.
    res.setHeader('Cache-Control', 'no-store');
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The path only: no query string, no headers, no body.
      logger.info({ requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}

const parseJson = express.json({
  limit: maxBodyBytes,
  strict: true,
  inflate: false,
  type: () => true,
  // JSON is UTF-8 (RFC 8259): malformed bytes are refused rather than read as U+FFFD into a token's name.
  verify: (_req, _res, body) => {
    if (!isUtf8(body)) throw Object.assign(new Error('body is not UTF-8'), { status: 400, type: 'entity.invalid.utf8' });
  },
});

/**
 * Reads a JSON body if the request has one. Another content type is 415; no body leaves `req.body` undefined
 * (routes decide whether they need one).
 */
export const jsonBody: RequestHandler = (req, res, next) => {
  const type = req.is('application/json');
  const declaredEmpty = req.headers['content-length'] === '0' && req.headers['transfer-encoding'] === undefined;
  if (type === null || declaredEmpty) {
    req.body = undefined;
    next();
    return;
  }
  if (type === false) {
    next(new RestError(415, 'unsupported_media_type', 'Request bodies must be application/json.'));
    return;
  }
  // JSON is UTF-8: a body declared in another charset (body-parser would decode utf-16 or utf-7) is refused.
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    next(new RestError(415, 'unsupported_media_type', 'Request bodies must be UTF-8 JSON.'));
    return;
  }
  parseJson(req, res, next);
};

/**
 * Every value of one query parameter, read from the raw URL: Express's parsed query folds repeats into arrays
 * and cannot say whether a parameter was sent twice, which the public API's rules need.
 */
export function queryValues(req: Request, name: string): string[] {
  const start = req.originalUrl.indexOf('?');
  return start < 0 ? [] : new URLSearchParams(req.originalUrl.slice(start + 1)).getAll(name);
}

/** Answers 405 with an Allow header, for a known path with a method it does not serve. */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  const allow = [...new Set([...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])])].join(', ');
  return (req, _res, next) => {
    next(new RestError(405, 'method_not_allowed', `${req.method} is not allowed here; allowed: ${allow}.`, { headers: { Allow: allow } }));
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new RestError(404, 'not_found', `No route for ${req.method} ${req.path.slice(0, 200)}.`));
};

/** body-parser (and Express) errors carry a `type` and a 4xx `status`; map them to our codes. */
function fromHttpError(error: { type?: unknown; status?: unknown }): RestError | undefined {
  const status = typeof error.status === 'number' ? error.status : undefined;
  if (status === undefined || status < 400 || status > 499) return undefined;
  const byType: Record<string, [number, RestErrorCode, string]> = {
    'entity.parse.failed': [400, 'invalid_json', 'The body is not valid JSON (a JSON object is expected).'],
    'entity.invalid.utf8': [400, 'invalid_json', 'The body is not valid UTF-8 (JSON bodies must be UTF-8).'],
    'entity.too.large': [413, 'payload_too_large', `The body is larger than ${maxBodyBytes} bytes.`],
    'encoding.unsupported': [415, 'unsupported_media_type', 'Compressed request bodies are not supported.'],
    'charset.unsupported': [415, 'unsupported_media_type', 'Request bodies must be UTF-8 JSON.'],
  };
  const known = typeof error.type === 'string' ? byType[error.type] : undefined;
  if (known) return new RestError(known[0], known[1], known[2]);
  return new RestError(status === 413 || status === 415 ? status : 400, 'invalid_request', 'The request could not be read.');
}

/** The store's refusals in REST's words. */
function fromStoreError(error: StoreError): RestError {
  switch (error.code) {
    case 'NoSuchBucket':
      return new RestError(404, 'bucket_not_found', 'The bucket does not exist.');
    case 'BucketNotEmpty':
      return new RestError(409, 'bucket_not_empty', 'The bucket is not empty; delete its objects first.');
    case 'BucketAlreadyExists':
      return new RestError(409, 'bucket_already_exists', 'The bucket name is taken; bucket names are unique across all projects.');
    case 'BucketAlreadyOwnedByYou':
      return new RestError(409, 'bucket_already_owned_by_you', 'The project already has this bucket.');
    case 'BucketObjectLocked':
      return new RestError(409, 'bucket_object_lock', 'The bucket has Object Lock enabled and cannot be deleted.');
    case 'InvalidBucketName':
      return new RestError(422, 'invalid_bucket_name', 'The bucket name breaks the naming rules.');
    case 'BucketOfAnotherProject':
      return new RestError(404, 'bucket_not_found', 'The bucket does not exist.');
    default:
      return new RestError(400, 'invalid_request', error.message);
  }
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    let rest: RestError | undefined;
    if (error instanceof RestError) rest = error;
    else if (error instanceof StoreError) rest = fromStoreError(error);
    else if (typeof error === 'object' && error !== null) rest = fromHttpError(error as { type?: unknown; status?: unknown });
    if (!rest || rest.status >= 500) {
      // Never log the request itself (it may carry credentials); the error and where it happened suffice.
      logger.error({ err: error, method: req.method, path: req.path }, 'unexpected error');
      rest ??= new RestError(500, 'internal_error', 'Internal error.');
    }
    for (const [name, value] of Object.entries(rest.headers)) res.setHeader(name, value);
    res.status(rest.status).json(rest.toBody());
  };
}
