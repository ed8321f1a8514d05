import { S3Error } from '../errors.js';

/**
 * Parsing of what SigV4 signs: the raw path and query exactly as the client sent them (never Express's decoded
 * versions: `req.query` turns `+` into a space), the Authorization header and the presigned query parameters.
 */

export type QueryValues = Record<string, string | string[]>;

function decodeComponent(value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new S3Error('InvalidArgument', `The ${what} contains malformed percent-encoding.`);
  }
}

/** Parses a raw query string (with or without `?`) percent-decoding keys and values but leaving `+` alone. */
export function parseRawQuery(rawQuery: string): QueryValues {
  const query: QueryValues = Object.create(null) as QueryValues;
  const text = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
  if (text === '') return query;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeComponent(eq < 0 ? part : part.slice(0, eq), 'query string');
    const value = eq < 0 ? '' : decodeComponent(part.slice(eq + 1), 'query string');
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

/** First value of a query parameter. */
export function queryValue(query: QueryValues, key: string): string | undefined {
  const value = query[key];
  return Array.isArray(value) ? value[0] : value;
}

/** RFC 3986 escaping as SigV4 wants it: encodeURIComponent plus `!'()*`. */
export function awsUriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI for S3: each raw segment decoded once and re-escaped once (S3 does not double-encode), so
 * `%7E`, `~` and `%7e` all canonicalise alike, as they do for the client.
 */
export function canonicalPath(rawPath: string): string {
  const path = rawPath === '' ? '/' : rawPath;
  return path
    .split('/')
    .map((segment) => awsUriEscape(decodeComponent(segment, 'request path')))
    .join('/');
}

export interface CredentialScope {
  readonly accessKeyId: string;
  /** YYYYMMDD */
  readonly date: string;
  readonly region: string;
  readonly service: string;
  /** `date/region/service/aws4_request` */
  readonly scope: string;
}

export function parseCredential(credential: string): CredentialScope | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5) return undefined;
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (!accessKeyId || !/^\d{8}$/.test(date) || !region || !service || terminator !== 'aws4_request') return undefined;
  return { accessKeyId, date, region, service, scope: `${date}/${region}/${service}/aws4_request` };
}

export interface SignatureParameters {
  readonly credential: CredentialScope;
  /** Lower-case, in the order the client listed them. */
  readonly signedHeaders: readonly string[];
  /** Lower-case hex. */
  readonly signature: string;
}

const signaturePattern = /^[0-9a-f]{64}$/;
const signedHeadersPattern = /^[a-z0-9!#$%&'*+.^_`|~-]+(;[a-z0-9!#$%&'*+.^_`|~-]+)*$/;

function malformedHeader(detail: string): S3Error {
  return new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${detail}`);
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. A SigV2 header (`AWS id:signature`) never
 * gets here: authenticate's mechanismOf decides what it is.
 */
export function parseAuthorizationHeader(value: string): SignatureParameters {
  const trimmed = value.trim();
  const algorithm = 'AWS4-HMAC-SHA256';
  if (!trimmed.startsWith(`${algorithm} `)) {
    throw malformedHeader(`the authorization mechanism must be ${algorithm}.`);
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(algorithm.length + 1).split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw malformedHeader(`"${item.slice(0, 40)}" is not a key=value pair.`);
    fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  const credentialText = fields.get('Credential');
  const signedHeadersText = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credentialText === undefined || signedHeadersText === undefined || signature === undefined) {
    throw malformedHeader('it must contain Credential, SignedHeaders and Signature.');
  }
  const credential = parseCredential(credentialText);
  if (!credential) {
    throw malformedHeader('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  if (!signedHeadersPattern.test(signedHeadersText)) throw malformedHeader('SignedHeaders is mal-formed.');
  if (!signaturePattern.test(signature)) throw malformedHeader('the Signature must be 64 lower-case hex digits.');
  return { credential, signedHeaders: signedHeadersText.split(';'), signature };
}

export interface PresignedParameters extends SignatureParameters {
  /** X-Amz-Date, `YYYYMMDDTHHMMSSZ`. */
  readonly amzDate: string;
  readonly expiresSeconds: number;
}

/** The query parameters whose presence marks a request as presigned (SigV4 query-string authentication). */
export const presignedMarkers = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature'] as const;

function queryError(message: string): S3Error {
  return new S3Error('AuthorizationQueryParametersError', message);
}

export function parsePresignedQuery(query: QueryValues, expiry: { min: number; max: number }): PresignedParameters {
  const get = (key: string): string | undefined => queryValue(query, key);
  const algorithm = get('X-Amz-Algorithm');
  const credentialText = get('X-Amz-Credential');
  const amzDate = get('X-Amz-Date');
  const signedHeadersText = get('X-Amz-SignedHeaders');
  const signature = get('X-Amz-Signature');
  const expires = get('X-Amz-Expires');
  if (algorithm === undefined || credentialText === undefined || amzDate === undefined || signedHeadersText === undefined
    || signature === undefined || expires === undefined) {
    throw queryError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (algorithm !== 'AWS4-HMAC-SHA256') throw queryError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const credential = parseCredential(credentialText);
  if (!credential) {
    throw queryError('Error parsing the X-Amz-Credential parameter; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  if (parseAmzDate(amzDate) === undefined) throw queryError('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  if (!/^\d{1,10}$/.test(expires)) throw queryError('X-Amz-Expires should be a number');
  const expiresSeconds = Number(expires);
  if (expiresSeconds < expiry.min) throw queryError(`X-Amz-Expires must be non-negative and at least ${expiry.min}`);
  if (expiresSeconds > expiry.max) {
    throw queryError(`X-Amz-Expires must be less than a week (in seconds) that is ${expiry.max}`);
  }
  if (!signedHeadersPattern.test(signedHeadersText)) throw queryError('X-Amz-SignedHeaders is mal-formed.');
  if (!signaturePattern.test(signature)) throw queryError('X-Amz-Signature must be 64 lower-case hex digits.');
  return { credential, signedHeaders: signedHeadersText.split(';'), signature, amzDate, expiresSeconds };
}

/** Parses `YYYYMMDDTHHMMSSZ` into epoch milliseconds, or undefined when malformed or not a real date. */
export function parseAmzDate(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  return ms;
}

/** Epoch milliseconds as `YYYYMMDDTHHMMSSZ`. */
export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** Epoch milliseconds as ISO 8601 without fractions, the form S3 error bodies use. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
