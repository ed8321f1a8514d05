import type { IncomingMessage } from 'node:http';
import { s3SigningRegion } from '../../../spec/index.js';
import { tokenIsUsable } from '../../authorization/authorize.js';
import type { TokenRecord } from '../../context.js';
import { S3Error } from '../errors.js';
import type { AuthContext } from './authenticate.js';
import { headerValue, invalidAccessKeyId, stillUsable } from './authenticate.js';
import { createVerifiedBody } from './body.js';
import { parseAmzDate, parseCredential } from './canonical.js';
import type { BodyDecoder } from './chunked.js';
import { BodyVerifier, checksumHeaderAlgorithm, parseChecksumValue, parseContentMd5 } from './checksums.js';
import { formBoundary, MultipartFormParser } from './multipart-form.js';
import { signV2 } from './sigv2.js';
import { deriveSigningKey, hmacHex, signaturesEqual } from './sigv4.js';
import type { ChecksumAlgorithm, S3Caller, VerifiedBody } from './types.js';

/**
 * Browser POST uploads (HTML form, policy document signed with SigV4, or with SigV2 when the mock allows it). The
 * form fields before the `file` part are
 * read and checked (signature, policy expiry and conditions) before anything is returned; the file itself is then
 * streamed like any other verified body, with content-length-range enforced as it flows.
 */
export interface PostPolicyUpload {
  readonly caller: S3Caller;
  /** The object key, with `${filename}` replaced by the uploaded file's name. */
  readonly key: string;
  /** Every form field before the file, names lower-cased (Content-Type, x-amz-meta-*, success_action_status…). */
  readonly fields: Readonly<Record<string, string>>;
  readonly file: VerifiedBody;
  /** The file part's own filename and Content-Type (S3 stores the Content-Type *field*; this is a fallback). */
  readonly fileName: string;
  readonly fileContentType: string | null;
}

/** S3 reads at most this much form data before the file part. */
const maxPreFileBytes = 20 * 1024;

function policyDenied(detail: string): S3Error {
  return new S3Error('AccessDenied', `Invalid according to Policy: ${detail}`);
}

function missingField(name: string): S3Error {
  return new S3Error('InvalidArgument', `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`);
}

/** Form fields never subject to policy conditions: the policy, its signature (and SigV2's key id), the file. */
function exemptFromPolicy(name: string, signatureFields: readonly string[]): boolean {
  return name === 'policy' || signatureFields.includes(name) || name === 'file' || name.startsWith('x-ignore-');
}

/**
 * Collects fields until the `file` part starts, then hands out the file's bytes; everything after the file part
 * is parsed (so the closing boundary is checked) but ignored, as S3 does.
 */
class PostFormDecoder implements BodyDecoder {
  readonly trailers = new Map<string, string>();
  readonly fields = new Map<string, string>();
  fileName: string | null = null;
  fileContentType: string | null = null;
  fileStarted = false;
  private fileEnded = false;
  private currentField: string | null = null;
  private currentValue: Buffer[] = [];
  private fileBytes = 0;
  private preFileBytes = 0;
  /** Set once the policy is known. */
  lengthRange: { readonly min: number; readonly max: number } | null = null;

  constructor(private readonly parser: MultipartFormParser) {}

  write(raw: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (const event of this.parser.write(raw)) {
      if (this.fileEnded) continue;
      if (event.type === 'part') {
        if (this.fileStarted) continue;
        const name = event.name.toLowerCase();
        if (name === 'file') {
          this.fileStarted = true;
          this.fileName = event.filename ?? '';
          this.fileContentType = event.contentType;
        } else {
          this.currentField = name;
          this.currentValue = [];
          this.addPreFileBytes(Buffer.byteLength(name));
        }
      } else if (event.type === 'data') {
        if (this.fileStarted) {
          this.fileBytes += event.data.length;
          const range = this.lengthRange;
          if (range && this.fileBytes > range.max) {
            throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
              ProposedSize: String(this.fileBytes),
              MaxSizeAllowed: String(range.max),
            });
          }
          out.push(event.data);
        } else {
          this.currentValue.push(event.data);
          this.addPreFileBytes(event.data.length);
        }
      } else if (this.fileStarted) {
        this.fileEnded = true;
      } else if (this.currentField !== null) {
        if (!this.fields.has(this.currentField)) this.fields.set(this.currentField, Buffer.concat(this.currentValue).toString('utf8'));
        this.currentField = null;
        this.currentValue = [];
      }
    }
    return out;
  }

  /**
   * Every field before the file counts against S3's limit, names included and repeated names too (only the first
   * value of a repeated name is kept, but all of them were read).
   */
  private addPreFileBytes(count: number): void {
    this.preFileBytes += count;
    if (this.preFileBytes > maxPreFileBytes) {
      throw new S3Error('MaxPostPreDataLengthExceededError', 'Your POST request fields preceding the upload file were too large.');
    }
  }

  end(): void {
    if (!this.fileStarted) {
      this.parser.end();
      throw new S3Error('IncorrectNumberOfFilesInPostRequest', 'POST requires exactly one file upload per request.');
    }
    if (!this.fileEnded) throw new S3Error('IncompleteBody', 'The POST body ended inside the file part.');
    this.parser.end();
  }

  checkMinimum(): void {
    if (this.lengthRange && this.fileBytes < this.lengthRange.min) {
      throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', {
        ProposedSize: String(this.fileBytes),
        MinSizeAllowed: String(this.lengthRange.min),
      });
    }
  }
}

/** Reads the request until the file part starts; resolves with the file bytes already decoded. */
function readUntilFile(req: IncomingMessage, decoder: PostFormDecoder): Promise<Buffer[]> {
  return new Promise<Buffer[]>((resolve, reject) => {
    const initial: Buffer[] = [];
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
    };
    const onData = (raw: Buffer): void => {
      try {
        initial.push(...decoder.write(raw));
        if (decoder.fileStarted) {
          req.pause();
          cleanup();
          resolve(initial);
        }
      } catch (error) {
        cleanup();
        reject(error);
      }
    };
    const onEnd = (): void => {
      cleanup();
      try {
        decoder.end();
        resolve(initial);
      } catch (error) {
        reject(error);
      }
    };
    const onError = (): void => {
      cleanup();
      reject(new S3Error('IncompleteBody', 'The POST body ended before the file part.'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

type Condition =
  | { readonly kind: 'eq'; readonly field: string; readonly value: string; readonly text: string }
  | { readonly kind: 'starts-with'; readonly field: string; readonly value: string; readonly text: string }
  | { readonly kind: 'range'; readonly min: number; readonly max: number };

function invalidPolicy(detail: string): S3Error {
  return new S3Error('InvalidPolicyDocument', `Invalid Policy: ${detail}`);
}

function parsePolicy(policyBase64: string): { expirationMs: number; conditions: Condition[] } {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(policyBase64, 'base64').toString('utf8'));
  } catch {
    throw invalidPolicy('Invalid JSON.');
  }
  if (typeof document !== 'object' || document === null) throw invalidPolicy('Invalid JSON.');
  const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string') throw invalidPolicy('Policy missing expiration.');
  const expirationMs = Date.parse(expiration);
  if (Number.isNaN(expirationMs) || !/^\d{4}-\d{2}-\d{2}T/.test(expiration)) throw invalidPolicy('Invalid \'expiration\' value: ' + expiration);
  if (!Array.isArray(conditions)) throw invalidPolicy('Policy missing conditions.');
  const parsed: Condition[] = [];
  for (const condition of conditions as unknown[]) {
    if (Array.isArray(condition)) {
      const [operator, first, second] = condition as unknown[];
      const op = typeof operator === 'string' ? operator.toLowerCase() : '';
      if (op === 'content-length-range' && condition.length === 3) {
        const min = Number(first);
        const max = Number(second);
        if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
          throw invalidPolicy('Invalid content-length-range condition.');
        }
        parsed.push({ kind: 'range', min, max });
      } else if ((op === 'eq' || op === 'starts-with') && condition.length === 3 && typeof first === 'string'
        && first.startsWith('$') && typeof second === 'string') {
        parsed.push({ kind: op, field: first.slice(1).toLowerCase(), value: second, text: JSON.stringify(condition) });
      } else {
        throw invalidPolicy(`Invalid condition ${JSON.stringify(condition).slice(0, 200)}.`);
      }
    } else if (typeof condition === 'object' && condition !== null) {
      const entries = Object.entries(condition);
      if (entries.length !== 1 || typeof entries[0]?.[1] !== 'string') throw invalidPolicy('Invalid simple condition.');
      const [field, value] = entries[0] as [string, string];
      parsed.push({ kind: 'eq', field: field.toLowerCase(), value, text: JSON.stringify(condition) });
    } else {
      throw invalidPolicy('Conditions must be arrays or objects.');
    }
  }
  return { expirationMs, conditions: parsed };
}

/**
 * Authenticates a browser POST upload to `bucket` (path- or host-addressed, resolved by the router). Throws S3Error.
 */
export async function authenticatePostPolicy(req: IncomingMessage, ctx: AuthContext, bucket: string): Promise<PostPolicyUpload> {
  const boundary = formBoundary(headerValue(req, 'content-type'));
  if (!boundary) {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
      Condition: 'Bucket POST must be of the enclosure-type multipart/form-data',
    });
  }
  const decoder = new PostFormDecoder(new MultipartFormParser(boundary));
  let initial: Buffer[];
  try {
    initial = await readUntilFile(req, decoder);
    return await checkPolicy(req, ctx, bucket, decoder, initial);
  } catch (error) {
    // Drain what is left so the connection can carry the error response.
    if (!req.readableEnded) req.resume();
    throw error;
  }
}

async function checkPolicy(
  req: IncomingMessage,
  ctx: AuthContext,
  bucket: string,
  decoder: PostFormDecoder,
  initial: Buffer[],
): Promise<PostPolicyUpload> {
  const fields = decoder.fields;
  const get = (name: string): string | undefined => fields.get(name);
  const signed = get('awsaccesskeyid') === undefined ? await verifySigV4Form(ctx, get) : verifySigV2Form(ctx, get);
  const { token, accessKeyId, policy } = signed;

  const { expirationMs, conditions } = parsePolicy(policy);
  const nowMs = ctx.clock.nowMs();
  if (nowMs > expirationMs) throw policyDenied('Policy expired.');
  const usable = tokenIsUsable(token, nowMs);
  if (!usable.allowed) {
    throw new S3Error('AccessDenied', usable.reason === 'revoked' ? 'The access key has been revoked.' : 'The access key has expired.');
  }

  // The key may name the uploaded file; conditions see the substituted key, as in S3.
  const key = (get('key') as string).split('${filename}').join(decoder.fileName ?? '');
  const values = new Map(fields);
  values.set('key', key);
  values.set('bucket', bucket);
  const covered = new Set<string>(['bucket']);
  for (const condition of conditions) {
    if (condition.kind === 'range') {
      decoder.lengthRange = { min: condition.min, max: condition.max };
      continue;
    }
    covered.add(condition.field);
    const value = values.get(condition.field) ?? '';
    const holds = condition.kind === 'eq' ? value === condition.value : value.startsWith(condition.value);
    if (!holds) throw policyDenied(`Policy Condition failed: ${condition.text}`);
  }
  const extra = [...fields.keys()].filter((name) => !exemptFromPolicy(name, signed.signatureFields) && !covered.has(name));
  if (extra.length > 0) throw policyDenied(`Extra input fields: ${extra.join(', ')}`);
  if (!decoder.fileStarted) throw new S3Error('IncorrectNumberOfFilesInPostRequest', 'POST requires exactly one file upload per request.');

  // Checksums may come as form fields, as S3 accepts them.
  const headerChecksums = new Map<ChecksumAlgorithm, string>();
  for (const [name, value] of fields) {
    const algorithm = checksumHeaderAlgorithm(name);
    if (algorithm) headerChecksums.set(algorithm, parseChecksumValue(algorithm, value));
  }
  const md5Field = get('content-md5');
  const verifier = new BodyVerifier({
    sha256Hex: null,
    contentMd5: md5Field === undefined ? null : parseContentMd5(md5Field),
    headerChecksums,
    trailerChecksums: [],
    declaredLength: null,
    declaredLengthHeader: 'Content-Length',
  });
  // Bytes that arrived with the form fields count against content-length-range too.
  const initialBytes = initial.reduce((sum, piece) => sum + piece.length, 0);
  if (decoder.lengthRange && initialBytes > decoder.lengthRange.max) {
    throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
      ProposedSize: String(initialBytes),
      MaxSizeAllowed: String(decoder.lengthRange.max),
    });
  }
  const usableAtEnd = stillUsable(ctx, accessKeyId);
  const file = createVerifiedBody({
    source: req,
    decoder,
    verifier,
    declaredLength: null,
    initial,
    // As for PUT: a token revoked or expired while the file was arriving refuses the upload before it is stored.
    beforeFinish: () => {
      decoder.checkMinimum();
      usableAtEnd();
    },
  });
  const plainFields: Record<string, string> = {};
  for (const [name, value] of fields) plainFields[name] = value;
  const caller: S3Caller = { token, accessKeyId, presigned: true, region: signed.region };
  return { caller, key, fields: plainFields, file, fileName: decoder.fileName ?? '', fileContentType: decoder.fileContentType };
}

/** A form whose policy signature checked out: the token, the key id, the policy, and the fields that signed it. */
interface SignedForm {
  readonly token: TokenRecord;
  readonly accessKeyId: string;
  readonly region: string;
  /** The base64 policy document. */
  readonly policy: string;
  /** Lower-cased field names that carry the signature, exempt from the policy's conditions. */
  readonly signatureFields: readonly string[];
}

type FieldReader = (name: string) => string | undefined;

function signatureMismatch(accessKeyId: string, policy: string, provided: string): S3Error {
  return new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
    AWSAccessKeyId: accessKeyId,
    StringToSign: policy,
    SignatureProvided: provided,
  });
}

function lookUpFormToken(ctx: AuthContext, accessKeyId: string): TokenRecord & { readonly secretAccessKey: string } {
  const token = ctx.tokens.findByAccessKeyId(accessKeyId);
  if (!token || token.secretAccessKey === null) throw invalidAccessKeyId(accessKeyId);
  return token as TokenRecord & { readonly secretAccessKey: string };
}

/** A policy signed with SigV4: x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-signature (hex). */
async function verifySigV4Form(ctx: AuthContext, get: FieldReader): Promise<SignedForm> {
  const policy = get('policy');
  const signature = get('x-amz-signature');
  if (policy === undefined && signature === undefined) throw new S3Error('AccessDenied', 'Access Denied');
  for (const name of ['policy', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature', 'key']) {
    if (get(name) === undefined) throw missingField(name);
  }
  if (get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') {
    throw new S3Error('InvalidArgument', 'x-amz-algorithm only supports "AWS4-HMAC-SHA256"');
  }
  const credential = parseCredential(get('x-amz-credential') as string);
  if (!credential) throw new S3Error('InvalidArgument', 'x-amz-credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  const amzDate = get('x-amz-date') as string;
  if (parseAmzDate(amzDate) === undefined || amzDate.slice(0, 8) !== credential.date || credential.service !== 's3') {
    throw new S3Error('InvalidArgument', 'x-amz-date must be yyyyMMddTHHmmssZ on the credential\'s date, and the credential scoped to s3.');
  }
  const token = lookUpFormToken(ctx, credential.accessKeyId);
  const signingKey = await deriveSigningKey(credential.accessKeyId, token.secretAccessKey, credential.date, credential.region, credential.service);
  const providedSignature = (signature as string).toLowerCase();
  if (!signaturesEqual(hmacHex(signingKey, policy as string), providedSignature)) {
    throw signatureMismatch(credential.accessKeyId, policy as string, providedSignature);
  }
  return { token, accessKeyId: credential.accessKeyId, region: credential.region, policy: policy as string, signatureFields: ['x-amz-signature'] };
}

/**
 * A policy signed with SigV2 (AWSAccessKeyId, policy, signature: base64 HMAC-SHA1 of the base64 policy), as
 * botocore's generate_presigned_post makes it for us-east-1; InvalidRequest unless the mock allows SigV2.
 */
function verifySigV2Form(ctx: AuthContext, get: FieldReader): SignedForm {
  if (!ctx.allowSigV2) {
    throw new S3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
  }
  for (const name of ['policy', 'signature', 'key']) {
    if (get(name) === undefined) throw missingField(name);
  }
  const accessKeyId = get('awsaccesskeyid') as string;
  const policy = get('policy') as string;
  const signature = get('signature') as string;
  const token = lookUpFormToken(ctx, accessKeyId);
  if (!signaturesEqual(signV2(token.secretAccessKey, policy), signature)) throw signatureMismatch(accessKeyId, policy, signature);
  return { token, accessKeyId, region: s3SigningRegion.value.default, policy, signatureFields: ['awsaccesskeyid', 'signature'] };
}
