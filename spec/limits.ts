import type { Fact } from './basis.js';

/** Bounds and formats. Each is a Fact so that reports can cite it; mock and suites read `.value`. */

export const tokenExpiryDays: Fact<{ min: number; max: number; default: number }> = {
  id: 'LIMIT-TOKEN-EXPIRY-DAYS',
  statement: 'A token expires after a whole number of days from 1 to 365, 90 when not given.',
  basis: 'documented',
  sources: ['P3', 'P4', 'P1'],
  value: { min: 1, max: 365, default: 90 },
};

export const tokenNameLength: Fact<{ min: number; max: number }> = {
  id: 'LIMIT-TOKEN-NAME-LENGTH',
  statement: 'A token name is required and at most 100 characters.',
  basis: 'inferred',
  sources: ['P3', 'R1'],
  value: { min: 1, max: 100 },
  note: 'The docs give no length rule; IBEE\'s TypeScript SDK allows 1-100 (its Terraform provider 1-128). We take the stricter.',
};

export const tokenDescriptionLength: Fact<{ max: number }> = {
  id: 'LIMIT-TOKEN-DESCRIPTION-LENGTH',
  statement: 'A token description is optional and at most 500 characters.',
  basis: 'inferred',
  sources: ['P3'],
  value: { max: 500 },
  note: 'The docs say only that the description is optional; 500 is our bound so that input stays bounded.',
};

export const bearerTokenFormat: Fact<{ prefix: string; pattern: RegExp }> = {
  id: 'FORMAT-BEARER-TOKEN',
  statement: 'A Bearer token starts with `ibee_v4_`.',
  basis: 'documented',
  sources: ['P3'],
  // The docs show only the prefix; the body is URL-safe base64 of enough random bytes to be unguessable.
  value: { prefix: 'ibee_v4_', pattern: /^ibee_v4_[A-Za-z0-9_-]{16,}$/ },
};

export const accessKeyIdFormat: Fact<{ prefix: string; pattern: RegExp }> = {
  id: 'FORMAT-ACCESS-KEY-ID',
  statement: 'An Access Key ID is `AKIA` followed by 16 upper-case hexadecimal characters.',
  basis: 'documented',
  sources: ['P3'],
  value: { prefix: 'AKIA', pattern: /^AKIA[0-9A-F]{16}$/ },
};

export const secretAccessKeyFormat: Fact<{ pattern: RegExp }> = {
  id: 'FORMAT-SECRET-ACCESS-KEY',
  statement: 'A Secret Access Key is a non-empty string of at least 32 printable characters.',
  basis: 'ambiguous',
  sources: ['P3'],
  value: { pattern: /^[\x21-\x7e]{32,128}$/ },
  note: 'No example or length is documented; AWS keys are 40 characters and R2 keys 64 hex. The mock issues 40.',
};

export const s3EndpointFormat: Fact<{ template: string }> = {
  id: 'FORMAT-S3-ENDPOINT',
  statement: 'The S3 endpoint is per project: https://{project_id}.blob.ibeestorage.com.',
  basis: 'documented',
  sources: ['P3', 'P1'],
  value: { template: 'https://{project_id}.blob.ibeestorage.com' },
};

export const s3SigningRegion: Fact<{ default: string }> = {
  id: 'FORMAT-S3-REGION',
  statement: 'S3 clients sign for region us-east-1.',
  basis: 'documented',
  sources: ['P3', 'R3'],
  value: { default: 'us-east-1' },
};

export const bucketRegions: Fact<{ regions: readonly string[]; default: string }> = {
  id: 'FORMAT-BUCKET-REGION',
  statement:
    'A bucket lives in a region the service knows. S3 CreateBucket names it in LocationConstraint (empty for the default); any other value is InvalidLocationConstraint.',
  basis: 'inferred',
  sources: ['P3', 'R1', 'AWS-ERRORS'],
  value: { regions: ['us-east-1', 'in-south-1', 'in-south-2'], default: 'us-east-1' },
  note: 'S3 clients sign for us-east-1 (FORMAT-S3-REGION); IBEE\'s SDKs name the storage regions in-south-1 and in-south-2. A bucket made over S3 without a LocationConstraint is in the region its request was signed for when that region is known, else in the default. SDK clients configured with another region send it as LocationConstraint.',
};

export const bucketNameRules: Fact<{ minLength: number; maxLength: number; pattern: RegExp }> = {
  id: 'LIMIT-BUCKET-NAME',
  statement:
    'A bucket name is 3-63 characters of lower-case letters, digits and hyphens, starting and ending with a letter or digit.',
  basis: 'documented',
  sources: ['P5', 'P6'],
  value: { minLength: 3, maxLength: 63, pattern: /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/ },
};

export function isValidBucketName(name: string): boolean {
  const { minLength, maxLength, pattern } = bucketNameRules.value;
  return name.length >= minLength && name.length <= maxLength && pattern.test(name);
}

export const objectKeyRules: Fact<{ maxBytes: number }> = {
  id: 'LIMIT-OBJECT-KEY',
  statement: 'An object key is any UTF-8 string of 1 to 1024 bytes.',
  basis: 'inferred',
  sources: ['AWS-OBJECT-KEYS', 'CF-ERROR-CODES'],
  value: { maxBytes: 1024 },
  note: 'IBEE does not document key rules; AWS and R2 share this one.',
};

export function isValidObjectKey(key: string): boolean {
  const bytes = Buffer.byteLength(key, 'utf8');
  return bytes >= 1 && bytes <= objectKeyRules.value.maxBytes && key.isWellFormed();
}

export const userMetadataLimit: Fact<{ maxBytes: number }> = {
  id: 'LIMIT-USER-METADATA',
  statement: 'User-defined metadata (x-amz-meta-* names and values) totals at most 2 KB.',
  basis: 'inferred',
  sources: ['AWS-METADATA'],
  value: { maxBytes: 2048 },
};

export const storedHeadersLimit: Fact<{ maxBytes: number }> = {
  id: 'LIMIT-STORED-HEADERS',
  statement:
    'The header values an object is stored with (Content-Type and the other standard headers, x-amz-meta-*), and the response-* overrides of a read, total at most 8 KB as they are sent back.',
  basis: 'inferred',
  sources: ['AWS-ERRORS', 'AWS-METADATA'],
  value: { maxBytes: 8192 },
  note: 'AWS refuses a request header section over 8 KB (RequestHeaderSectionTooLarge), so it never stores more than a response can carry; a POST form could, and RFC 2047 encoding grows non-ASCII text by a third. HTTP clients (Node\'s among them) refuse responses whose headers pass 16 KB.',
};

export const multipartLimits: Fact<{
  minPartBytes: number;
  maxPartBytes: number;
  maxParts: number;
  maxSinglePutBytes: number;
  maxListItems: number;
}> = {
  id: 'LIMIT-MULTIPART',
  statement:
    'Parts are numbered 1-10000; every part but the last is at least 5 MiB; a part or single PUT is at most 5 GiB.',
  basis: 'inferred',
  sources: ['AWS-QUOTAS', 'CF-ERROR-CODES'],
  value: {
    minPartBytes: 5 * 1024 * 1024,
    maxPartBytes: 5 * 1024 * 1024 * 1024,
    maxParts: 10_000,
    maxSinglePutBytes: 5 * 1024 * 1024 * 1024,
    maxListItems: 1000,
  },
  note: 'IBEE\'s Limits page values were not recoverable; these are the S3 values R2 also uses.',
};

export const presignedUrlExpirySeconds: Fact<{ min: number; max: number }> = {
  id: 'LIMIT-PRESIGNED-EXPIRES',
  statement: 'X-Amz-Expires on a presigned URL is 1 to 604800 seconds (7 days).',
  basis: 'inferred',
  sources: ['AWS-SIGV4-QUERY', 'CF-PRESIGNED'],
  value: { min: 1, max: 604_800 },
};

export const clockSkewSeconds: Fact<{ max: number }> = {
  id: 'LIMIT-CLOCK-SKEW',
  statement: 'A signed request whose time is more than 15 minutes from the server clock is refused.',
  basis: 'inferred',
  sources: ['AWS-REST-AUTH', 'AWS-ERRORS'],
  value: { max: 15 * 60 },
};
