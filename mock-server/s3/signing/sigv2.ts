import { createHmac } from 'node:crypto';
import { S3Error } from '../errors.js';

/**
 * AWS Signature Version 2 for S3 (AWS-REST-AUTH), rebuilt on the server side from the request as received:
 *
 *   StringToSign = Method \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource
 *   Signature    = Base64(HMAC-SHA1(secret, UTF-8(StringToSign)))
 *
 * Only the maths lives here; authenticate.ts and post-policy.ts decide when it applies.
 */

/**
 * The query parameters CanonicalizedResource keeps: the sub-resources and `response-*` overrides AWS documents,
 * plus those botocore's HmacV1Auth signs as well (cors, tagging, object-lock …), which S3 must therefore accept.
 * Any other parameter (prefix, list-type, encryption …) is not signed.
 */
export const sigV2SubResources: ReadonlySet<string> = new Set([
  'accelerate',
  'acl',
  'analytics',
  'cors',
  'defaultObjectAcl',
  'delete',
  'inventory',
  'lifecycle',
  'location',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'partNumber',
  'policy',
  'replication',
  'requestPayment',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'select',
  'select-type',
  'storageClass',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
]);

function decodeOrKeep(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The sub-resource part of CanonicalizedResource: the kept parameters sorted by name, values percent-decoded
 * (they are signed unencoded), a parameter sent without `=` (`?uploads`) kept without it.
 */
export function canonicalSubresources(rawQuery: string): string {
  const kept: (readonly [string, string])[] = [];
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!sigV2SubResources.has(name)) continue;
    kept.push([name, eq < 0 ? name : `${name}=${decodeOrKeep(part.slice(eq + 1))}`]);
  }
  kept.sort(([a], [b]) => byCodePoint(a, b));
  return kept.length === 0 ? '' : `?${kept.map(([, text]) => text).join('&')}`;
}

/**
 * The CanonicalizedResource forms a correctly signed request may have used, the one S3 documents first: the raw
 * (still encoded) path, with `/bucket` in front when the bucket came from the Host header, then the sub-resources.
 * A path-style request for a bucket itself (`/bucket`) is signed as `/bucket/` by botocore (as S3 documents for
 * the virtual-hosted form) and as `/bucket` by others; both are accepted.
 */
export function canonicalizedResources(rawPath: string, rawQuery: string, virtualHostedBucket?: string): string[] {
  const path = rawPath === '' ? '/' : rawPath;
  const subresources = canonicalSubresources(rawQuery);
  if (virtualHostedBucket !== undefined) return [`/${virtualHostedBucket}${path}${subresources}`];
  if (/^\/[^/]+$/.test(path)) return [`${path}/${subresources}`, `${path}${subresources}`];
  return [`${path}${subresources}`];
}

/**
 * CanonicalizedAmzHeaders: every `x-amz-*` header, names lower-cased and sorted, the values of a repeated header
 * trimmed and joined with commas, one `name:value\n` line each. Every `x-amz-*` header is signed by construction.
 */
export function canonicalizedAmzHeaders(headers: ReadonlyMap<string, readonly string[]>): string {
  const names = [...headers.keys()].filter((name) => name.startsWith('x-amz-')).sort(byCodePoint);
  return names.map((name) => `${name}:${(headers.get(name) ?? []).map((value) => value.trim()).join(',')}\n`).join('');
}

export interface SigV2Request {
  readonly method: string;
  readonly contentMd5: string;
  readonly contentType: string;
  /** The Date header; for query-string authentication, Expires; empty when an x-amz-date header stands for it. */
  readonly date: string;
  /** `x-amz-*` headers by lower-case name, each value as received. */
  readonly amzHeaders: ReadonlyMap<string, readonly string[]>;
  /** One of canonicalizedResources. */
  readonly resource: string;
}

export function sigV2StringToSign(request: SigV2Request): string {
  return [request.method.toUpperCase(), request.contentMd5.trim(), request.contentType.trim(), request.date.trim(), '']
    .join('\n')
    .concat(canonicalizedAmzHeaders(request.amzHeaders), request.resource);
}

/** Base64 HMAC-SHA1 of the string to sign: a request's signature, or a POST policy's (over the base64 policy). */
export function signV2(secretAccessKey: string, stringToSign: string): string {
  return createHmac('sha1', secretAccessKey).update(stringToSign, 'utf8').digest('base64');
}

/** The bytes of a string to sign as S3 reports them in SignatureDoesNotMatch: two hex digits each, space-separated. */
export function stringToSignBytes(stringToSign: string): string {
  return [...Buffer.from(stringToSign, 'utf8')].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
}

/** Whether an Authorization header is Signature Version 2 (`AWS id:signature`). */
export function isSigV2Authorization(value: string): boolean {
  return value.trim().startsWith('AWS ');
}

/** Parses `AWS AccessKeyId:Signature`. */
export function parseSigV2Authorization(value: string): { readonly accessKeyId: string; readonly signature: string } {
  const match = /^AWS +([^:\s]+):(\S+)$/.exec(value.trim());
  if (!match) throw new S3Error('InvalidArgument', 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature');
  return { accessKeyId: match[1] as string, signature: match[2] as string };
}
