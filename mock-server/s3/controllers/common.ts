import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { isValidObjectKey, objectKeyRules, storedHeadersLimit, userMetadataLimit, type S3OperationName } from '../../../spec/index.js';
import type { MockContext } from '../../context.js';
import type { ObjectMetadata, Storage, StoredBucket, StoredObject } from '../../store/types.js';
import type { PostPolicyUpload } from '../signing/post-policy.js';
import type { Caller, VerifiedBody } from '../signing/types.js';
import { S3Error } from '../errors.js';
import { checkMetadataName, isHeaderName, refuseControlCharacters, sendable, storedHeaderValue } from '../header-values.js';
import type { Route } from '../router.js';

/** Everything a controller gets: the request after routing, authentication and authorization. */
export interface S3Call {
  readonly ctx: MockContext;
  readonly storage: Storage;
  readonly req: Request;
  readonly res: Response;
  readonly route: Route;
  readonly operation: S3OperationName;
  readonly caller: Caller;
  readonly body: VerifiedBody;
  /** A browser POST upload's form (PostObject); null for every other operation. */
  readonly form: PostPolicyUpload | null;
  readonly requestId: string;
}

export type Controller = (call: S3Call) => Promise<void>;

/** XML configuration and multi-delete bodies are small; anything bigger is refused rather than buffered. */
export const maxXmlBodyBytes = 2 * 1024 * 1024;

export const projectOf = (call: S3Call): string => (call.caller.anonymous ? call.caller.projectId : call.caller.token.projectId);

export function bucketName(call: S3Call): string {
  if (call.route.bucket === null) throw new S3Error('InvalidRequest', 'A bucket name is required');
  return call.route.bucket;
}

export function requireBucket(call: S3Call): StoredBucket {
  return call.storage.requireBucket(projectOf(call), bucketName(call));
}

/** The key, checked against spec's key rules (at most 1024 UTF-8 bytes). */
export function objectKey(call: S3Call): string {
  const key = call.route.key;
  if (key === null) throw new S3Error('InvalidRequest', 'An object key is required');
  checkKey(key);
  return key;
}

export function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > objectKeyRules.value.maxBytes) {
    throw new S3Error('KeyTooLongError', 'Your key is too long', {
      MaxSizeAllowed: String(objectKeyRules.value.maxBytes),
      Size: String(Buffer.byteLength(key, 'utf8')),
    });
  }
  if (!isValidObjectKey(key)) throw new S3Error('InvalidArgument', 'The specified key is not valid.');
}

export function noSuchKey(key: string): S3Error {
  return new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
}

export function requireObject(call: S3Call, bucket: string, key: string): StoredObject {
  const object = call.storage.getObject(bucket, key);
  if (!object) throw noSuchKey(key);
  return object;
}

export function header(req: Request, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  if (Array.isArray(value)) return value.join(',');
  return value;
}

/** S3's timestamp format in XML: ISO 8601 with milliseconds. */
export const isoTime = (date: Date): string => date.toISOString();
/** HTTP-date (RFC 7231) for Last-Modified and friends. */
export const httpTime = (date: Date): string => date.toUTCString();
export const quoted = (etag: string): string => `"${etag}"`;

export function owner(call: S3Call) {
  const projectId = projectOf(call);
  return { ID: projectId, DisplayName: projectId };
}

/** An integer query parameter within bounds, or InvalidArgument. */
const int32Max = 2_147_483_647;

export interface IntegerBounds {
  readonly min: number;
  readonly max: number;
  readonly fallback: number;
  /** A value above `max` is read as `max` (S3's list sizes), not refused. */
  readonly clampMax?: boolean;
}

export function integerParam(call: S3Call, name: string, options: IntegerBounds): number {
  return integerValue(name, call.route.query.get(name), options);
}

/** An integer header (GetObjectAttributes' x-amz-max-parts, x-amz-part-number-marker), read as query parameters are. */
export function integerHeader(call: S3Call, name: string, options: IntegerBounds): number {
  return integerValue(name, header(call.req, name) ?? null, options);
}

function integerValue(name: string, raw: string | null, options: IntegerBounds): number {
  if (raw === null || raw === '') return options.fallback;
  const value = Number(raw);
  // S3 reads these as 32-bit integers: anything else is "not an integer or within integer range".
  if (!/^-?\d+$/.test(raw) || value > int32Max || value < -int32Max - 1) {
    throw invalidArgument(name, raw, `Provided ${name} not an integer or within integer range`);
  }
  if (value < options.min) throw invalidArgument(name, raw, `Argument ${name} must be an integer between ${options.min} and ${options.max}`);
  if (value > options.max) {
    if (options.clampMax) return options.max;
    throw invalidArgument(name, raw, `Argument ${name} must be an integer between ${options.min} and ${options.max}`);
  }
  return value;
}

export function invalidArgument(name: string, value: string, message: string): S3Error {
  return new S3Error('InvalidArgument', message, { ArgumentName: name, ArgumentValue: value });
}

/** `encoding-type=url`: the one encoding S3 offers for keys in listings. */
export function encodingType(call: S3Call): 'url' | null {
  const value = call.route.query.get('encoding-type');
  if (value === null || value === '') return null;
  if (value.toLowerCase() !== 'url') throw invalidArgument('encoding-type', value, 'Invalid Encoding Method specified in Request');
  return 'url';
}

/**
 * URL-encodes a key the way S3 does for `encoding-type=url`: everything but unreserved characters and `/`
 * percent-encoded, a space as `+` (clients decode with unquote_plus / decodeURIComponent after `+` → space).
 */
export function urlEncodeKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

export function encoder(encoding: 'url' | null): (value: string) => string {
  return encoding === 'url' ? urlEncodeKey : (value) => value;
}

/** Header-like input: request headers, or a POST form's fields (names lower case). */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

function single(bag: HeaderBag, name: string): string | undefined {
  const value = bag[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(',');
}

/**
 * Standard and user metadata from request headers (PutObject, CopyObject REPLACE, CreateMultipartUpload) or a POST
 * form's fields, stored as text that can always be sent back (header-values.ts).
 */
export function metadataFromHeaders(bag: HeaderBag, origin: 'header' | 'form', fallbackContentType: string | null = null): ObjectMetadata {
  const text = (name: string): string | undefined => {
    const value = single(bag, name);
    return value === undefined ? undefined : storedHeaderValue(name, value, origin);
  };
  const userMetadata: Record<string, string> = {};
  let userBytes = 0;
  for (const name of Object.keys(bag)) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const value = text(name);
    if (value === undefined) continue;
    const metaName = name.slice('x-amz-meta-'.length);
    checkMetadataName(metaName);
    userMetadata[metaName] = value;
    userBytes += Buffer.byteLength(metaName) + Buffer.byteLength(value);
  }
  if (userBytes > userMetadataLimit.value.maxBytes) {
    throw new S3Error('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size.', {
      Size: String(userBytes),
      MaxSizeAllowed: String(userMetadataLimit.value.maxBytes),
    });
  }
  // aws-chunked is transfer framing, not a property of the object.
  const encodings = (text('content-encoding') ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '' && token.toLowerCase() !== 'aws-chunked');
  const metadata: ObjectMetadata = {
    contentType: text('content-type') || (fallbackContentType === null ? null : storedHeaderValue('content-type', fallbackContentType, origin)) || 'binary/octet-stream',
    contentEncoding: encodings.length > 0 ? encodings.join(', ') : null,
    contentDisposition: text('content-disposition') ?? null,
    contentLanguage: text('content-language') ?? null,
    cacheControl: text('cache-control') ?? null,
    expires: text('expires') ?? null,
    userMetadata,
  };
  const { contentType, contentEncoding, contentDisposition, contentLanguage, cacheControl, expires } = metadata;
  const sent: Array<readonly [string, string | null]> = Object.entries(userMetadata).map(([name, value]) => [`x-amz-meta-${name}`, value]);
  sent.push(...Object.entries({ contentType, contentEncoding, contentDisposition, contentLanguage, cacheControl, expires }));
  requireSendable(sent);
  return metadata;
}

/**
 * The header values as they would be sent back (RFC 2047 encoding included, nulls left out), refused when together
 * they pass spec's limit: no response could carry them to a client.
 */
function requireSendable(values: ReadonlyArray<readonly [string, string | null]>): Array<readonly [string, string]> {
  const headers: Array<readonly [string, string]> = [];
  let bytes = 0;
  for (const [name, value] of values) {
    if (value === null) continue;
    const sent = sendable(value);
    headers.push([name, sent]);
    bytes += name.length + 2 + Buffer.byteLength(sent);
  }
  if (bytes > storedHeadersLimit.value.maxBytes) {
    throw new S3Error('RequestHeaderSectionTooLarge', 'Your request header section exceeds the maximum allowed size.', {
      Size: String(bytes),
      MaxSizeAllowed: String(storedHeadersLimit.value.maxBytes),
    });
  }
  return headers;
}

/** The `response-*` query parameters GetObject and HeadObject honour, as header names. */
const responseOverrides = {
  'response-content-type': 'Content-Type',
  'response-content-encoding': 'Content-Encoding',
  'response-content-disposition': 'Content-Disposition',
  'response-content-language': 'Content-Language',
  'response-cache-control': 'Cache-Control',
  'response-expires': 'Expires',
} as const;
export type ResponseOverrides = Partial<Record<keyof typeof responseOverrides, string>>;

/** The request's `response-*` overrides; one that no header could carry is InvalidArgument, before anything is sent. */
export function readResponseOverrides(query: URLSearchParams): ResponseOverrides {
  const overrides: ResponseOverrides = {};
  for (const param of Object.keys(responseOverrides) as Array<keyof typeof responseOverrides>) {
    const value = query.get(param);
    if (value === null) continue;
    refuseControlCharacters(param, value);
    overrides[param] = value;
  }
  return overrides;
}

/**
 * The headers describing a stored object (HeadObject, GetObject), with `response-*` overrides applied, as they will
 * be sent; together they must fit spec's limit (an override may be longer than what it replaces).
 */
export function objectHeaders(object: StoredObject, overrides: ResponseOverrides): ReadonlyArray<readonly [string, string]> {
  const meta = object.metadata;
  const pick = (param: keyof typeof responseOverrides, stored: string | null) => overrides[param] ?? stored;
  const values: Record<string, string | null> = {
    'Content-Type': pick('response-content-type', meta.contentType),
    'Content-Encoding': pick('response-content-encoding', meta.contentEncoding),
    'Content-Disposition': pick('response-content-disposition', meta.contentDisposition),
    'Content-Language': pick('response-content-language', meta.contentLanguage),
    'Cache-Control': pick('response-cache-control', meta.cacheControl),
    Expires: pick('response-expires', meta.expires),
  };
  const described: Array<readonly [string, string | null]> = Object.entries(values);
  // A name no header can carry (possible only in data stored before names were checked) is left out, not a 500.
  for (const [name, value] of Object.entries(meta.userMetadata)) if (isHeaderName(`x-amz-meta-${name}`)) described.push([`x-amz-meta-${name}`, value]);
  return [...requireSendable(described), ['ETag', quoted(object.etag)], ['Last-Modified', httpTime(object.lastModified)], ['Accept-Ranges', 'bytes']];
}

/** The URL of an object as the client addressed this endpoint (path-style or virtual-hosted). */
export function objectUrl(call: S3Call, bucket: string, key: string): string {
  // The mock serves plain HTTP only.
  const base = `http://${call.route.host}`;
  return call.route.virtualHosted ? `${base}/${urlEncodeKey(key)}` : `${base}/${encodeURIComponent(bucket)}/${urlEncodeKey(key)}`;
}

/** The S3 NotImplemented error, for requests the router could not map to an operation. */
export function notImplemented(): S3Error {
  return new S3Error('NotImplemented', 'A header or query you provided requested a function that is not implemented.');
}

export function sendEmpty(res: Response, status: number): void {
  res.statusCode = status;
  if (status !== 204) res.setHeader('Content-Length', '0');
  res.end();
}
