import type { IncomingMessage } from 'node:http';
import { accessKeyIdFormat, clockSkewSeconds, presignedUrlExpirySeconds, s3SigningRegion, sdkChecksumAlgorithm } from '../../../spec/index.js';
import { tokenIsUsable } from '../../authorization/authorize.js';
import type { MockContext, TokenRecord } from '../../context.js';
import { S3Error } from '../errors.js';
import { refusalError } from '../object-checksums.js';
import { createVerifiedBody } from './body.js';
import {
  canonicalPath,
  formatAmzDate,
  isoSeconds,
  parseAmzDate,
  parseAuthorizationHeader,
  parsePresignedQuery,
  parseRawQuery,
  presignedMarkers,
  queryValue,
  type QueryValues,
  type SignatureParameters,
} from './canonical.js';
import { AwsChunkedDecoder, type BodyDecoder } from './chunked.js';
import {
  algorithmOfChecksumHeader,
  BodyVerifier,
  checksumHeaderAlgorithm,
  parseChecksumValue,
  parseContentMd5,
} from './checksums.js';
import { canonicalizedResources, isSigV2Authorization, parseSigV2Authorization, signV2, sigV2StringToSign, stringToSignBytes } from './sigv2.js';
import { buildStringToSign, deriveSigningKey, hmacHex, signaturesEqual, type ChunkSigningContext } from './sigv4.js';
import type { AuthenticatedRequest, ChecksumAlgorithm, S3Caller, VerifiedBody } from './types.js';

/** What authentication reads from the context: the clock, the token store and whether SigV2 is accepted. */
export type AuthContext = Pick<MockContext, 'clock' | 'tokens' | 'allowSigV2'>;

export interface RequestTarget {
  /** Path exactly as received, still percent-encoded. */
  readonly rawPath: string;
  /** Query string exactly as received, without `?`. */
  readonly rawQuery: string;
  /** Host the request was addressed to (used only when the Host header is missing). */
  readonly host: string;
  /** The bucket named by the Host header (virtual-hosted style): SigV2 signs it as part of the resource. */
  readonly virtualHostedBucket?: string;
  /**
   * What `x-amz-checksum-*` headers describe: the request body (the default), or the object the request makes from
   * stored data (CompleteMultipartUpload), which its controller checks; they are then no promise about the body.
   */
  readonly checksumHeaders?: 'body' | 'object';
}

export type PayloadMode =
  | { readonly kind: 'sha256'; readonly hex: string }
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'streaming-signed'; readonly trailer: boolean }
  | { readonly kind: 'streaming-unsigned-trailer' };

/** One header's value as received: repeated headers are joined with commas, as SigV4 canonicalises them. */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const values = req.headersDistinct[name];
  return values && values.length > 0 ? values.join(',') : undefined;
}

function accessDenied(message = 'Access Denied', extra: Record<string, string> = {}): S3Error {
  return new S3Error('AccessDenied', message, extra);
}

export function payloadModeOf(value: string): PayloadMode {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { kind: 'sha256', hex: value.toLowerCase() };
  switch (value) {
    case 'UNSIGNED-PAYLOAD':
      return { kind: 'unsigned' };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD':
      return { kind: 'streaming-signed', trailer: false };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER':
      return { kind: 'streaming-signed', trailer: true };
    case 'STREAMING-UNSIGNED-PAYLOAD-TRAILER':
      return { kind: 'streaming-unsigned-trailer' };
    case 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD':
    case 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER':
      throw new S3Error('NotImplemented', 'SigV4A (ECDSA) streaming payloads are not supported.');
    default:
      throw new S3Error(
        'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
      );
  }
}

/** A request whose signature checked out: its token, the key that signed it, and its body awaiting verification. */
interface VerifiedRequest {
  readonly token: TokenRecord;
  readonly accessKeyId: string;
  /** From the SigV4 credential scope; SigV2 names no region, so it is the mock's default. */
  readonly region: string;
  readonly body: AuthenticatedRequest['body'];
  readonly hoistedHeaders?: Readonly<Record<string, string>>;
}

/** How a request carries its credentials. */
type Mechanism = 'anonymous' | 'sigv4-header' | 'sigv4-query' | 'sigv2-header' | 'sigv2-query';

const unsupportedMechanism = (): S3Error =>
  new S3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');

/**
 * The one decision of how an S3 request authenticates (POST forms: post-policy.ts): SigV4 in the Authorization
 * header or the query (presigned URL), SigV2 likewise when the mock allows it, or no credentials at all. More than
 * one mechanism is refused, as S3 does; SigV2 is InvalidRequest unless allowed.
 */
function mechanismOf(authorization: string | undefined, query: QueryValues, allowSigV2: boolean): Mechanism {
  const sigV4Query = presignedMarkers.some((marker) => query[marker] !== undefined);
  const sigV2Query = query.AWSAccessKeyId !== undefined || query.Signature !== undefined;
  if ((authorization !== undefined && sigV4Query) || (allowSigV2 && sigV2Query && (authorization !== undefined || sigV4Query))) {
    throw new S3Error(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    );
  }
  if (authorization !== undefined) {
    if (!isSigV2Authorization(authorization)) return 'sigv4-header';
    if (!allowSigV2) throw unsupportedMechanism();
    return 'sigv2-header';
  }
  if (sigV4Query) return 'sigv4-query';
  if (sigV2Query) {
    if (!allowSigV2) throw unsupportedMechanism();
    return 'sigv2-query';
  }
  return 'anonymous';
}

/** The body of an anonymous request, taken as sent: nothing signs it. */
function unsignedBody(req: IncomingMessage): VerifiedBody {
  const contentLength = headerValue(req, 'content-length');
  const declaredLength = contentLength === undefined ? null : parseLength(contentLength, 'Content-Length');
  const verifier = new BodyVerifier({
    sha256Hex: null,
    contentMd5: null,
    headerChecksums: new Map(),
    trailerChecksums: [],
    declaredLength,
    declaredLengthHeader: 'Content-Length',
  });
  return createVerifiedBody({ source: req, decoder: null, verifier, declaredLength });
}

/**
 * Identifies the caller of an S3 request (see mechanismOf) and wraps its body in a verified stream. Throws S3Error.
 * The order follows S3: well-formedness, known key, time, signature, then the token's own state; scope and level
 * are authorize's business (authorization/authorize.ts), alike for every mechanism.
 */
export async function authenticate(req: IncomingMessage, ctx: AuthContext, target: RequestTarget): Promise<AuthenticatedRequest> {
  const query = parseRawQuery(target.rawQuery);
  const authorization = headerValue(req, 'authorization');
  const mechanism = mechanismOf(authorization, query, ctx.allowSigV2);
  if (mechanism === 'anonymous') {
    // No credentials at all: an anonymous caller, in the region the mock defaults to. Whether it may do anything
    // (read a public bucket) is authorization's decision, not this function's.
    return { caller: { anonymous: true, projectId: '', region: s3SigningRegion.value.default }, body: unsignedBody(req), hoistedHeaders: {} };
  }
  let verified: VerifiedRequest;
  switch (mechanism) {
    case 'sigv4-header':
      verified = await verifyHeaderSignature(req, ctx, target, query, authorization as string);
      break;
    case 'sigv4-query':
      verified = await verifyPresignedSignature(req, ctx, target, query);
      break;
    case 'sigv2-header':
      verified = verifySigV2Header(req, ctx, target, authorization as string);
      break;
    case 'sigv2-query':
      verified = verifySigV2Query(req, ctx, target, query);
      break;
  }

  const usable = tokenIsUsable(verified.token, ctx.clock.nowMs());
  if (!usable.allowed) {
    throw accessDenied(usable.reason === 'revoked' ? 'The access key has been revoked.' : 'The access key has expired.');
  }
  const caller: S3Caller = {
    token: verified.token,
    accessKeyId: verified.accessKeyId,
    presigned: mechanism === 'sigv4-query' || mechanism === 'sigv2-query',
    region: verified.region,
  };
  return { caller, body: verified.body, hoistedHeaders: verified.hoistedHeaders ?? {} };
}

function lookUpToken(ctx: AuthContext, accessKeyId: string): TokenRecord & { readonly secretAccessKey: string } {
  const token = ctx.tokens.findByAccessKeyId(accessKeyId);
  if (!token || token.secretAccessKey === null) {
    throw invalidAccessKeyId(accessKeyId);
  }
  return token as TokenRecord & { readonly secretAccessKey: string };
}

/**
 * AWS echoes the access key id it did not know. Only something shaped like one is echoed: a client that mixed up
 * its settings may have sent its secret access key or bearer token in that place.
 */
export function invalidAccessKeyId(accessKeyId: string): S3Error {
  const echo: Record<string, string> = accessKeyIdFormat.value.pattern.test(accessKeyId) ? { AWSAccessKeyId: accessKeyId } : {};
  return new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', echo);
}

/** Only the signed headers, lower-case, with values as received; the Host header falls back to the target host. */
function signedHeaderValues(req: IncomingMessage, signedHeaders: readonly string[], target: RequestTarget): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(req, name) ?? (name === 'host' ? target.host : undefined);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

/** What a signature is checked against: the request as received, what it claims to sign, and the key's secret. */
interface SignatureCheck {
  readonly req: IncomingMessage;
  readonly target: RequestTarget;
  readonly query: QueryValues;
  readonly params: SignatureParameters;
  readonly secretAccessKey: string;
  /** The request time, `YYYYMMDDTHHMMSSZ`. */
  readonly longDate: string;
  readonly payloadHash: string;
}

async function checkSignature({ req, target, query, params, secretAccessKey, longDate, payloadHash }: SignatureCheck): Promise<Buffer> {
  const { credential } = params;
  const signingKey = await deriveSigningKey(credential.accessKeyId, secretAccessKey, credential.date, credential.region, credential.service);
  const { canonicalRequest, stringToSign } = await buildStringToSign(
    {
      method: req.method ?? 'GET',
      path: canonicalPath(target.rawPath),
      query,
      headers: signedHeaderValues(req, params.signedHeaders, target),
      signedHeaders: params.signedHeaders,
      payloadHash,
    },
    longDate,
    credential.scope,
  );
  if (!signaturesEqual(hmacHex(signingKey, stringToSign), params.signature)) {
    // Like S3, say what we signed so a client author can see where the canonical forms differ. No secret in it.
    throw new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: credential.accessKeyId,
      StringToSign: stringToSign,
      SignatureProvided: params.signature,
      CanonicalRequest: canonicalRequest,
    });
  }
  return signingKey;
}

/**
 * S3 refuses `x-amz-*` headers that the signature does not cover, for header-signed requests and presigned URLs
 * alike: they change what a request does (a copy source turns a PutObject into a CopyObject; metadata, ACL, storage
 * class, tagging, encryption, redirects, object lock and checksums change what is stored), so a request may carry
 * only those its signer chose. Presigners put every other `x-amz-*` value into the signed query string.
 */
function requireSignedAmzHeaders(req: IncomingMessage, signedHeaders: readonly string[], exempt: string | null = null): void {
  const unsigned = Object.keys(req.headers).filter((name) => name.startsWith('x-amz-') && !signedHeaders.includes(name) && name !== exempt);
  if (unsigned.length > 0) {
    throw accessDenied('There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(', ') });
  }
}

function checkScope(params: SignatureParameters, amzDate: string, error: (message: string) => S3Error): void {
  if (params.credential.date !== amzDate.slice(0, 8)) {
    throw error(`Invalid credential date "${params.credential.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }
  if (params.credential.service !== 's3') {
    throw error(`Credential should be scoped to correct service: 's3'.`);
  }
  if (!params.signedHeaders.includes('host')) throw error('SignedHeaders must include host.');
}

async function verifyHeaderSignature(
  req: IncomingMessage,
  ctx: AuthContext,
  target: RequestTarget,
  query: QueryValues,
  authorization: string,
): Promise<VerifiedRequest> {
  const params = parseAuthorizationHeader(authorization);
  // x-amz-date wins; a client may sign the plain Date header instead.
  const amzDateHeader = headerValue(req, 'x-amz-date');
  const requestMs = requestTime(amzDateHeader === undefined ? undefined : parseAmzDate(amzDateHeader), headerValue(req, 'date'));
  const longDate = formatAmzDate(requestMs);
  checkScope(params, longDate, (message) => new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${message}`));

  const contentSha256 = headerValue(req, 'x-amz-content-sha256');
  if (contentSha256 === undefined) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  const mode = payloadModeOf(contentSha256.trim());

  const token = lookUpToken(ctx, params.credential.accessKeyId);
  requireCurrent(ctx, requestMs);

  requireSignedAmzHeaders(req, params.signedHeaders);
  const signingKey = await checkSignature({ req, target, query, params, secretAccessKey: token.secretAccessKey, longDate, payloadHash: contentSha256.trim() });
  const signing: ChunkSigningContext = { signingKey, longDate, scope: params.credential.scope, seedSignature: params.signature };
  const body = requestBody(req, target, mode, signing, new Map(), stillUsable(ctx, token.accessKeyId ?? params.credential.accessKeyId));
  return { token, accessKeyId: params.credential.accessKeyId, region: params.credential.region, body };
}

/**
 * The time of a header-signed request: its x-amz-date (already parsed, in the form its signature version uses),
 * else its Date header. Throws AccessDenied when neither gives a time.
 */
function requestTime(amzDateMs: number | undefined, dateHeader: string | undefined): number {
  let requestMs = amzDateMs;
  if (requestMs === undefined && dateHeader !== undefined) {
    const parsed = Date.parse(dateHeader);
    requestMs = Number.isNaN(parsed) ? undefined : parsed;
  }
  if (requestMs === undefined) throw accessDenied('AWS authentication requires a valid Date or x-amz-date header');
  return requestMs;
}

/** A header-signed request must be within the allowed clock skew of the mock's clock. */
function requireCurrent(ctx: AuthContext, requestMs: number): void {
  const nowMs = ctx.clock.nowMs();
  const maxSkewMs = clockSkewSeconds.value.max * 1000;
  if (Math.abs(requestMs - nowMs) > maxSkewMs) {
    throw new S3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: isoSeconds(requestMs),
      ServerTime: isoSeconds(nowMs),
      MaxAllowedSkewMilliseconds: String(maxSkewMs),
    });
  }
}

async function verifyPresignedSignature(
  req: IncomingMessage,
  ctx: AuthContext,
  target: RequestTarget,
  query: QueryValues,
): Promise<VerifiedRequest> {
  const params = parsePresignedQuery(query, presignedUrlExpirySeconds.value);
  checkScope(params, params.amzDate, (message) => new S3Error('AuthorizationQueryParametersError', message));
  const token = lookUpToken(ctx, params.credential.accessKeyId);
  const hoisted = hoistedHeaders(query);
  // A presigned URL's payload is UNSIGNED-PAYLOAD unless the signer put a hash into the query.
  const payloadHash = queryValue(query, 'X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  const mode = payloadModeOf(payloadHash);
  if (mode.kind !== 'sha256' && mode.kind !== 'unsigned') {
    throw new S3Error('InvalidArgument', 'Presigned URLs support only UNSIGNED-PAYLOAD or a SHA-256 payload hash.');
  }
  requireSignedAmzHeaders(req, params.signedHeaders, unsignedChecksumAllowed(req, params.signedHeaders, hoisted));
  // The signature is checked before the time window, so any change to a signed part (expiry and date included)
  // is reported as SignatureDoesNotMatch.
  await checkSignature({ req, target, query, params, secretAccessKey: token.secretAccessKey, longDate: params.amzDate, payloadHash });

  const signedAtMs = parseAmzDate(params.amzDate) as number;
  const nowMs = ctx.clock.nowMs();
  if (signedAtMs - nowMs > clockSkewSeconds.value.max * 1000) throw accessDenied('Request is not valid yet');
  const expiresAtMs = signedAtMs + params.expiresSeconds * 1000;
  if (nowMs > expiresAtMs) {
    throw accessDenied('Request has expired', {
      'X-Amz-Expires': String(params.expiresSeconds),
      Expires: isoSeconds(expiresAtMs),
      ServerTime: isoSeconds(nowMs),
    });
  }
  // Presigners may hoist checksum headers into the query (e.g. the JS SDK's x-amz-checksum-crc32): they bind too.
  const queryChecksums = new Map<string, string>();
  for (const [name, value] of Object.entries(hoisted)) if (name.startsWith('x-amz-checksum-')) queryChecksums.set(name, value);
  const body = requestBody(req, target, mode, null, queryChecksums, stillUsable(ctx, token.accessKeyId ?? params.credential.accessKeyId));
  return { token, accessKeyId: params.credential.accessKeyId, region: params.credential.region, body, hoistedHeaders: hoisted };
}

/** A string to sign in one of the forms a correct SigV2 signer may have used (see sigV2Variants). */
interface SigV2Form {
  /** The Date line. */
  readonly date: string;
  readonly amzHeaders: ReadonlyMap<string, readonly string[]>;
}

/**
 * Checks a SigV2 signature in constant time against every form a correct signer may have used (x-amz-date
 * placement, bucket-root resource); a mismatch reports the first form's StringToSign, as S3 does, never the secret.
 */
function checkSigV2Signature(
  req: IncomingMessage,
  target: RequestTarget,
  credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly signature: string },
  content: { readonly md5: string; readonly type: string },
  forms: readonly SigV2Form[],
): void {
  let reported: string | undefined;
  let matched = false;
  for (const form of forms) {
    for (const resource of canonicalizedResources(target.rawPath, target.rawQuery, target.virtualHostedBucket)) {
      const stringToSign = sigV2StringToSign({ method: req.method ?? 'GET', contentMd5: content.md5, contentType: content.type, ...form, resource });
      reported ??= stringToSign;
      if (signaturesEqual(signV2(credentials.secretAccessKey, stringToSign), credentials.signature)) matched = true;
    }
  }
  if (!matched) {
    throw new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: credentials.accessKeyId,
      StringToSign: reported ?? '',
      SignatureProvided: credentials.signature,
      StringToSignBytes: stringToSignBytes(reported ?? ''),
    });
  }
}

/** The `x-amz-*` headers a SigV2 signature covers: those received, and (presigned) those hoisted into the query. */
function amzHeadersOf(req: IncomingMessage, hoisted: Readonly<Record<string, string>> = {}): Map<string, readonly string[]> {
  const headers = new Map<string, readonly string[]>();
  for (const [name, value] of Object.entries(hoisted)) headers.set(name, [value]);
  // A header sent as well wins over a hoisted value, as it does for the operation (s3/app.ts).
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (name.startsWith('x-amz-') && values !== undefined) headers.set(name, values);
  }
  return headers;
}

/** A SigV2 body: unsigned, unless an `x-amz-content-sha256` header promises a hash; signed chunks need SigV4. */
function sigV2PayloadMode(req: IncomingMessage): PayloadMode {
  const declared = headerValue(req, 'x-amz-content-sha256');
  const mode: PayloadMode = declared === undefined ? { kind: 'unsigned' } : payloadModeOf(declared.trim());
  if (mode.kind === 'streaming-signed') {
    throw new S3Error('InvalidRequest', 'Signed aws-chunked payloads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) require AWS4-HMAC-SHA256 signing.');
  }
  return mode;
}

/** An x-amz-date in SigV2 is an HTTP date (RFC 1123); the ISO 8601 basic form SigV4 uses is read too. */
function sigV2AmzDate(value: string): number | undefined {
  const parsed = parseAmzDate(value.trim()) ?? Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/**
 * SigV2 in the Authorization header (`AWS id:signature`, AWS-REST-AUTH). When x-amz-date is sent it stands for
 * Date: S3's rules sign it among the x-amz-* headers with an empty Date line, S3's worked example puts its value on
 * the Date line instead; either is accepted, and the time checked is x-amz-date's.
 */
function verifySigV2Header(req: IncomingMessage, ctx: AuthContext, target: RequestTarget, authorization: string): VerifiedRequest {
  const { accessKeyId, signature } = parseSigV2Authorization(authorization);
  const amzDate = headerValue(req, 'x-amz-date');
  const dateHeader = headerValue(req, 'date');
  const amzDateMs = amzDate === undefined ? undefined : sigV2AmzDate(amzDate);
  if (amzDate !== undefined && amzDateMs === undefined) throw accessDenied('AWS authentication requires a valid Date or x-amz-date header');
  const requestMs = requestTime(amzDateMs, dateHeader);
  const mode = sigV2PayloadMode(req);
  const token = lookUpToken(ctx, accessKeyId);
  requireCurrent(ctx, requestMs);

  const amzHeaders = amzHeadersOf(req);
  const forms: SigV2Form[] = [];
  if (amzDate === undefined) forms.push({ date: dateHeader ?? '', amzHeaders });
  else {
    const withoutAmzDate = new Map(amzHeaders);
    withoutAmzDate.delete('x-amz-date');
    forms.push({ date: '', amzHeaders }, { date: amzDate, amzHeaders: withoutAmzDate });
  }
  const content = { md5: headerValue(req, 'content-md5') ?? '', type: headerValue(req, 'content-type') ?? '' };
  checkSigV2Signature(req, target, { accessKeyId, secretAccessKey: token.secretAccessKey, signature }, content, forms);
  const body = requestBody(req, target, mode, null, new Map(), stillUsable(ctx, accessKeyId));
  return { token, accessKeyId, region: s3SigningRegion.value.default, body };
}

/**
 * SigV2 query-string authentication (`AWSAccessKeyId`, `Expires` in epoch seconds, `Signature`): Expires takes the
 * Date line. Presigners move Content-Type, Content-MD5 and x-amz-* headers into the query (botocore does); sent
 * as headers they count, else their query values do. As for SigV4 URLs, the signature is checked before the time,
 * and a URL may not be used while more than the SigV4 maximum (7 days) of its life is left.
 */
function verifySigV2Query(req: IncomingMessage, ctx: AuthContext, target: RequestTarget, query: QueryValues): VerifiedRequest {
  const accessKeyId = queryValue(query, 'AWSAccessKeyId');
  const signature = queryValue(query, 'Signature');
  const expires = queryValue(query, 'Expires');
  if (accessKeyId === undefined || signature === undefined || expires === undefined) {
    throw accessDenied('Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  }
  if (!/^\d{1,12}$/.test(expires)) throw accessDenied(`Invalid date (should be seconds since epoch): ${expires.slice(0, 40)}`);
  const mode = sigV2PayloadMode(req);
  const token = lookUpToken(ctx, accessKeyId);
  const hoisted = hoistedHeaders(query);
  const content = {
    md5: headerValue(req, 'content-md5') ?? queryValue(query, 'content-md5') ?? '',
    type: headerValue(req, 'content-type') ?? queryValue(query, 'content-type') ?? '',
  };
  checkSigV2Signature(req, target, { accessKeyId, secretAccessKey: token.secretAccessKey, signature }, content, [{ date: expires, amzHeaders: amzHeadersOf(req, hoisted) }]);

  const nowMs = ctx.clock.nowMs();
  const expiresAtMs = Number(expires) * 1000;
  if (nowMs > expiresAtMs) throw accessDenied('Request has expired', { Expires: isoSeconds(expiresAtMs), ServerTime: isoSeconds(nowMs) });
  const maxSeconds = presignedUrlExpirySeconds.value.max;
  if (expiresAtMs - nowMs > maxSeconds * 1000) {
    throw new S3Error('AuthorizationQueryParametersError', `Expires must be less than a week (in seconds) that is ${maxSeconds} from now`);
  }
  const queryChecksums = new Map<string, string>();
  for (const [name, value] of Object.entries(hoisted)) if (name.startsWith('x-amz-checksum-')) queryChecksums.set(name, value);
  const body = requestBody(req, target, mode, null, queryChecksums, stillUsable(ctx, accessKeyId));
  return { token, accessKeyId, region: s3SigningRegion.value.default, body, hoistedHeaders: hoisted };
}

/** Query parameters of a presigned URL that make up its signature rather than stand for request headers. */
const signatureParameters = new Set([
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-signedheaders',
  'x-amz-signature',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);

/**
 * The `x-amz-*` headers a presigner moved into the signed query string (the JS presigner does so for all it may),
 * by lower-case name: S3 applies them as the headers they stand for (metadata, ACL, copy source, checksums…).
 */
function hoistedHeaders(query: QueryValues): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const key of Object.keys(query)) {
    const name = key.toLowerCase();
    if (!name.startsWith('x-amz-') || signatureParameters.has(name)) continue;
    const value = queryValue(query, key);
    if (value !== undefined && headers[name] === undefined) headers[name] = value;
  }
  return headers;
}

/**
 * The one unsigned `x-amz-*` header a presigned request may carry: the checksum of the algorithm the signer chose
 * in a signed `x-amz-sdk-checksum-algorithm` (boto3 presigns that way and has its caller send the checksum of the
 * body it did not know). The checksum is then checked against the body like any other, so it cannot change what
 * is stored, only refuse a body that does not match.
 */
function unsignedChecksumAllowed(req: IncomingMessage, signedHeaders: readonly string[], hoisted: Readonly<Record<string, string>>): string | null {
  const algorithm = hoisted['x-amz-sdk-checksum-algorithm']
    ?? (signedHeaders.includes('x-amz-sdk-checksum-algorithm') ? headerValue(req, 'x-amz-sdk-checksum-algorithm') : undefined);
  if (algorithm === undefined) return null;
  const name = `x-amz-checksum-${algorithm.trim().toLowerCase()}`;
  return algorithmOfChecksumHeader(name) ? name : null;
}

function parseLength(value: string, header: string): number {
  if (!/^\d{1,16}$/.test(value.trim())) throw new S3Error('InvalidArgument', `${header} must be a non-negative integer.`);
  return Number(value.trim());
}

/**
 * Revocation is immediate, also for an upload already under way: when its body has arrived, the token is looked
 * up again (a revocation reaches the very next lookup) and the body fails with AccessDenied if the token was
 * revoked or expired meanwhile, so nothing is committed.
 */
export function stillUsable(ctx: AuthContext, accessKeyId: string): () => void {
  return () => {
    const current = ctx.tokens.findByAccessKeyId(accessKeyId);
    const usable = current ? tokenIsUsable(current, ctx.clock.nowMs()) : ({ allowed: false, reason: 'revoked' } as const);
    if (!usable.allowed) {
      throw accessDenied(usable.reason === 'expired' ? 'The access key has expired.' : 'The access key has been revoked.');
    }
  };
}

/** Gathers the body's promises from headers (and hoisted query checksums) and wraps the request in a verified stream. */
function requestBody(
  req: IncomingMessage,
  target: RequestTarget,
  mode: PayloadMode,
  signing: ChunkSigningContext | null,
  queryChecksums: ReadonlyMap<string, string>,
  beforeFinish: () => void,
): AuthenticatedRequest['body'] {
  const streaming = mode.kind === 'streaming-signed' || mode.kind === 'streaming-unsigned-trailer';
  const contentEncoding = (headerValue(req, 'content-encoding') ?? '').toLowerCase();
  const awsChunked = contentEncoding.split(',').some((coding) => coding.trim() === 'aws-chunked');
  if (awsChunked && !streaming) {
    throw new S3Error('InvalidArgument', 'Content-Encoding aws-chunked requires a STREAMING-* x-amz-content-sha256.');
  }

  const headerChecksums = new Map<ChecksumAlgorithm, string>();
  const declare = (name: string, value: string): void => {
    const algorithm = checksumHeaderAlgorithm(name);
    if (!algorithm) return;
    headerChecksums.set(algorithm, parseChecksumValue(algorithm, value));
  };
  if (target.checksumHeaders !== 'object') {
    for (const name of Object.keys(req.headers)) {
      const value = headerValue(req, name);
      if (value !== undefined) declare(name, value);
    }
    for (const [name, value] of queryChecksums) declare(name, value);
  }

  const trailerChecksums: ChecksumAlgorithm[] = [];
  const trailerHeader = headerValue(req, 'x-amz-trailer');
  if (trailerHeader !== undefined && trailerHeader.trim() !== '') {
    if (mode.kind !== 'streaming-unsigned-trailer' && !(mode.kind === 'streaming-signed' && mode.trailer)) {
      throw new S3Error('InvalidRequest', 'x-amz-trailer requires a STREAMING-*-TRAILER x-amz-content-sha256.');
    }
    for (const name of trailerHeader.split(',').map((part) => part.trim().toLowerCase())) {
      const algorithm = algorithmOfChecksumHeader(name);
      if (!algorithm) throw new S3Error('InvalidRequest', `The trailer ${name} is not supported.`);
      trailerChecksums.push(algorithm);
    }
  }
  // The algorithm an SDK names in x-amz-sdk-checksum-algorithm must be the checksum the request carries, in a header
  // or a trailer. Only the header counts: a presigned URL's query may name it for a checksum its user never sends.
  // CompleteMultipartUpload's checksum headers are the object's, not its body's: it is not held to this.
  if (target.checksumHeaders !== 'object') {
    const carried = [...headerChecksums.keys(), ...trailerChecksums][0] ?? null;
    const sdk = sdkChecksumAlgorithm(headerValue(req, 'x-amz-sdk-checksum-algorithm') ?? null, carried);
    if (!sdk.ok) throw refusalError(sdk.refusal, {});
  }

  const md5Header = headerValue(req, 'content-md5');
  const contentMd5 = md5Header === undefined ? null : parseContentMd5(md5Header);

  let declaredLength: number | null;
  let declaredLengthHeader: string;
  if (streaming) {
    const decoded = headerValue(req, 'x-amz-decoded-content-length');
    if (decoded === undefined) {
      throw new S3Error('MissingContentLength', 'You must provide x-amz-decoded-content-length with a STREAMING-* x-amz-content-sha256.');
    }
    declaredLength = parseLength(decoded, 'x-amz-decoded-content-length');
    declaredLengthHeader = 'x-amz-decoded-content-length';
  } else {
    const contentLength = headerValue(req, 'content-length');
    declaredLength = contentLength === undefined ? null : parseLength(contentLength, 'Content-Length');
    declaredLengthHeader = 'Content-Length';
  }

  const verifier = new BodyVerifier({
    sha256Hex: mode.kind === 'sha256' ? mode.hex : null,
    contentMd5,
    headerChecksums,
    trailerChecksums,
    declaredLength,
    declaredLengthHeader,
  });
  let decoder: BodyDecoder | null = null;
  if (streaming) {
    const signed = mode.kind === 'streaming-signed';
    decoder = new AwsChunkedDecoder({ signing: signed ? signing : null, signedTrailer: signed && mode.trailer });
  }
  return createVerifiedBody({ source: req, decoder, verifier, declaredLength, beforeFinish });
}
