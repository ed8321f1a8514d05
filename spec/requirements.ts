import { levelOf, type Basis, type RequirementLevel } from './basis.js';
import type { SourceTag } from './sources.js';

/** Areas group requirements in reports, in this order. */
export const requirementAreas = ['tokens', 'secrets', 'expiry', 'permissions', 'scoping', 'revocation', 'auth', 'storage', 'public-api'] as const;
export type RequirementArea = (typeof requirementAreas)[number];

export interface Requirement {
  /** Stable id: CI gating and expectation files refer to it. Never rename one. */
  readonly id: string;
  readonly title: string;
  /** One line: what a conforming endpoint does. */
  readonly statement: string;
  readonly area: RequirementArea;
  readonly basis: Basis;
  readonly level: RequirementLevel;
  readonly sources: readonly [SourceTag, ...SourceTag[]];
  readonly note?: string;
}

type RequirementInput = Omit<Requirement, 'level'>;

const catalogue: readonly RequirementInput[] = [
  // tokens
  {
    id: 'TOKEN-SCOPE-REQUIRED',
    title: 'A token needs a scope',
    statement: 'Creating a token with neither an Object Storage nor a Billing scope is refused.',
    area: 'tokens',
    basis: 'documented',
    sources: ['P1', 'P2'],
  },
  {
    id: 'TOKEN-NAME-REQUIRED',
    title: 'A token needs a name',
    statement: 'Creating a token without a name, or with an empty or overlong one, is refused; a description is optional.',
    area: 'tokens',
    basis: 'documented',
    sources: ['P3'],
    note: 'The length bound (LIMIT-TOKEN-NAME-LENGTH) is inferred from IBEE\'s SDK.',
  },
  {
    id: 'TOKEN-LEVEL-ONE',
    title: 'Exactly one Object Storage level',
    statement: 'An Object Storage scope carries exactly one of the four levels; anything else is refused.',
    area: 'tokens',
    basis: 'documented',
    sources: ['P7', 'P3'],
  },
  {
    id: 'TOKEN-BUCKET-SCOPE-SHAPE',
    title: 'Bucket scope is all or a non-empty list',
    statement: 'A specific-bucket scope names at least one valid bucket; an all-buckets scope names none.',
    area: 'tokens',
    basis: 'inferred',
    sources: ['P3', 'R1'],
  },
  {
    id: 'CRED-FORMAT',
    title: 'Credential formats',
    statement:
      'A token with Object Storage scope gets a Bearer token `ibee_v4_…`, an Access Key ID `AKIA` + 16 upper-case hex and a Secret Access Key; a Billing-only token gets a Bearer token only.',
    area: 'tokens',
    basis: 'documented',
    sources: ['P3', 'P1'],
  },
  {
    id: 'CRED-UNIQUE',
    title: 'Credentials are unique',
    statement: 'No two tokens share a Bearer token, Access Key ID or Secret Access Key.',
    area: 'tokens',
    basis: 'inferred',
    sources: ['P3'],
    note: 'Implied by credentials identifying a token; not stated.',
  },
  {
    id: 'CRED-S3-WORKS',
    title: 'Issued credentials work',
    statement: 'The Access Key ID and Secret Access Key from one creation authenticate S3 requests at the project endpoint.',
    area: 'tokens',
    basis: 'documented',
    sources: ['P3', 'P1'],
  },
  {
    id: 'REST-BEARER-AUTH',
    title: 'Bearer token for the REST API',
    statement:
      'The REST API accepts the token\'s Bearer token and refuses requests without a known one (401); a revoked or expired token is refused too (401, or 403 with an inactive-key code).',
    area: 'auth',
    basis: 'documented',
    sources: ['P3', 'R1'],
  },
  // secrets
  {
    id: 'SECRET-ONCE',
    title: 'The secret is shown once',
    statement:
      'The Secret Access Key (and the Bearer token) appear in the creation response only; no later response, header or error contains them.',
    area: 'secrets',
    basis: 'documented',
    sources: ['P3', 'P1', 'P2'],
    note: 'The docs say this of the Secret Access Key; we hold the Bearer token to the same rule.',
  },
  // expiry
  {
    id: 'TOKEN-EXPIRY-BOUNDS',
    title: 'Expiry is 1 to 365 days',
    statement: 'An expiry of a whole number of days from 1 to 365 is accepted with expires_at = created_at + days; any other value is refused, not clamped.',
    area: 'expiry',
    basis: 'documented',
    sources: ['P3', 'P4'],
  },
  {
    id: 'TOKEN-EXPIRY-DEFAULT',
    title: 'Expiry defaults to 90 days',
    statement: 'A token created without an expiry expires 90 days after creation.',
    area: 'expiry',
    basis: 'documented',
    sources: ['P3', 'P4', 'P1'],
  },
  {
    id: 'TOKEN-EXPIRY-ENFORCED',
    title: 'Expired tokens stop working',
    statement: 'Once past its expiry a token is refused everywhere: REST, S3 and presigned URLs signed before.',
    area: 'expiry',
    basis: 'documented',
    sources: ['P1', 'P2'],
  },
  // permissions
  {
    id: 'PERM-ADMIN-RW',
    title: 'Admin Read & Write',
    statement: 'Admin Read & Write may create, list and delete buckets, edit bucket configuration, and read, write and list objects.',
    area: 'permissions',
    basis: 'documented',
    sources: ['P3'],
  },
  {
    id: 'PERM-ADMIN-RO',
    title: 'Admin Read only',
    statement: 'Admin Read only may list buckets, view bucket configuration, and read and list objects; nothing else.',
    area: 'permissions',
    basis: 'documented',
    sources: ['P3'],
  },
  {
    id: 'PERM-OBJECT-RW',
    title: 'Object Read & Write',
    statement: 'Object Read & Write may read, write and list objects; no bucket management or configuration.',
    area: 'permissions',
    basis: 'documented',
    sources: ['P3', 'P9'],
  },
  {
    id: 'PERM-OBJECT-RO',
    title: 'Object Read only',
    statement: 'Object Read only may read and list objects; nothing else.',
    area: 'permissions',
    basis: 'documented',
    sources: ['P3'],
  },
  {
    id: 'PERM-MONOTONIC',
    title: 'Higher levels keep lower levels\' rights',
    statement: 'A level that includes another by the documented table never loses an operation the lower one has.',
    area: 'permissions',
    basis: 'inferred',
    sources: ['P3'],
  },
  {
    id: 'PERM-DENIED-CODE',
    title: 'Denials are 403 AccessDenied',
    statement: 'An operation the level does not allow is answered 403 AccessDenied (S3) or 403 insufficient_scope (REST).',
    area: 'permissions',
    basis: 'inferred',
    sources: ['CF-ERROR-CODES', 'R1'],
  },
  {
    id: 'BILLING-SCOPE',
    title: 'Billing is read-only and opt-in',
    statement: 'Billing data is readable only with the Billing scope, and no API token can change billing state.',
    area: 'permissions',
    basis: 'documented',
    sources: ['P4', 'R1', 'R3'],
    note: 'Judged on POST /v1/billing/resource-eligibility, the one billing route IBEE\'s clients call, and on invoice, order and balance routes only where the target serves them.',
  },
  // scoping
  {
    id: 'SCOPE-SPECIFIC',
    title: 'Specific buckets only',
    statement: 'A token scoped to specific buckets is refused (403) on every other bucket.',
    area: 'scoping',
    basis: 'documented',
    sources: ['P7', 'P1', 'P3'],
  },
  {
    id: 'SCOPE-NO-EXISTENCE-LEAK',
    title: 'Out of scope reveals nothing',
    statement: 'Outside its scope a token gets the same refusal whether the bucket exists or not.',
    area: 'scoping',
    basis: 'inferred',
    sources: ['CF-TOKENS', 'CF-ERROR-CODES'],
  },
  {
    id: 'SCOPE-ALL-NEW-BUCKETS',
    title: 'All buckets includes new ones',
    statement: 'A token scoped to all buckets works on buckets created after the token.',
    area: 'scoping',
    basis: 'documented',
    sources: ['P1', 'P3'],
  },
  {
    id: 'SCOPE-COPY-BOUNDARY',
    title: 'Copies stay inside the scope',
    statement: 'CopyObject and UploadPartCopy are refused when the source bucket is outside the token\'s scope.',
    area: 'scoping',
    basis: 'inferred',
    sources: ['P7'],
  },
  {
    id: 'SCOPE-ADMIN-SPECIFIC',
    title: 'Admin levels with specific buckets',
    statement: 'Whether an admin level can be limited to specific buckets (docs offer it; SDKs and R2 say admin is account-wide).',
    area: 'scoping',
    basis: 'ambiguous',
    sources: ['P1', 'P3', 'R1', 'CF-TOKENS'],
  },
  {
    id: 'SCOPE-LISTBUCKETS-VIEW',
    title: 'What ListBuckets shows a scoped token',
    statement: 'Which buckets ListBuckets returns to a token scoped to specific buckets (all, only its own, or refused).',
    area: 'scoping',
    basis: 'ambiguous',
    sources: ['P3', 'CF-TOKENS'],
  },
  // revocation
  {
    id: 'REVOKE-IMMEDIATE',
    title: 'Revocation is immediate',
    statement:
      'After the revoke call returns, the very next request with any of the token\'s credentials (Bearer, signed S3, presigned URL) is refused.',
    area: 'revocation',
    basis: 'documented',
    sources: ['P3', 'P1', 'P2', 'P11'],
  },
  {
    id: 'REVOKE-PERMANENT',
    title: 'Revocation cannot be undone',
    statement: 'A revoked token stays revoked: it never works again and cannot be restored.',
    area: 'revocation',
    basis: 'documented',
    sources: ['P1', 'P2'],
  },
  // auth
  {
    id: 'AUTH-SIGNATURE',
    title: 'SigV4 is verified',
    statement: 'S3 requests with a wrong secret, an unknown key, no auth or a tampered signature are refused (403).',
    area: 'auth',
    basis: 'inferred',
    sources: ['AWS-SIGV4-HEADER', 'AWS-ERRORS'],
  },
  {
    id: 'AUTH-CLOCK-SKEW',
    title: 'Skewed requests are refused',
    statement: 'A signed request more than 15 minutes from the server clock is refused with RequestTimeTooSkewed.',
    area: 'auth',
    basis: 'inferred',
    sources: ['AWS-REST-AUTH', 'AWS-ERRORS'],
  },
  {
    id: 'AUTH-UNKNOWN-KEY-CODE',
    title: 'How an unknown key is refused',
    statement: 'The status and code for an unknown Access Key ID (AWS: 403 InvalidAccessKeyId; R2 documents 401 Unauthorized).',
    area: 'auth',
    basis: 'ambiguous',
    sources: ['AWS-ERRORS', 'CF-ERROR-CODES'],
  },
  {
    id: 'PRESIGNED-EXPIRY',
    title: 'Presigned URLs expire',
    statement: 'A presigned URL works until X-Amz-Expires has passed and is refused after; X-Amz-Expires above 7 days is refused.',
    area: 'auth',
    basis: 'inferred',
    sources: ['P11', 'AWS-SIGV4-QUERY', 'CF-PRESIGNED'],
    note: 'IBEE documents that presigned URLs expire but gives no bounds; the bounds are S3\'s.',
  },
  {
    id: 'PRESIGNED-TAMPER',
    title: 'Presigned URLs cannot be altered',
    statement: 'Changing any signed part of a presigned URL (key, expiry, date) makes it fail with SignatureDoesNotMatch.',
    area: 'auth',
    basis: 'inferred',
    sources: ['CF-PRESIGNED', 'AWS-SIGV4-QUERY'],
  },
  {
    id: 'PRESIGNED-SIGNER-LEVEL',
    title: 'Level needed to presign',
    statement: 'Whether a presigned download needs Object Read & Write (as P11 says) or any level that may read.',
    area: 'auth',
    basis: 'ambiguous',
    sources: ['P11'],
  },
  {
    id: 'PRESIGNED-POST',
    title: 'Browser POST policy uploads',
    statement: 'A signed POST policy lets a browser form upload within the policy\'s conditions and refuses uploads outside them.',
    area: 'auth',
    basis: 'documented',
    sources: ['P11'],
  },
  {
    id: 'AUTH-SIGV2',
    title: 'Signature Version 2',
    statement: 'What the endpoint does with a correctly signed SigV2 request (Authorization header and presigned URL): accepts it, or refuses it and with which status and code.',
    area: 'auth',
    basis: 'ambiguous',
    sources: ['AWS-REST-AUTH'],
    note: 'IBEE does not say whether it accepts SigV2, which older AWS CLI and boto3 versions still use to presign for us-east-1.',
  },
  // storage
  {
    id: 'BUCKET-NAME-RULES',
    title: 'Bucket naming rules',
    statement: 'Bucket names are 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit; others are refused.',
    area: 'storage',
    basis: 'documented',
    sources: ['P5', 'P6'],
  },
  {
    id: 'BUCKET-DELETE-NONEMPTY',
    title: 'Only empty buckets can be deleted',
    statement: 'Deleting a bucket that still holds objects is refused (409 BucketNotEmpty).',
    area: 'storage',
    basis: 'documented',
    sources: ['P6', 'P5', 'R1'],
  },
  {
    id: 'OBJECT-ROUNDTRIP',
    title: 'Objects round-trip exactly',
    statement: 'Any key up to 1024 UTF-8 bytes and any body is stored, listed and read back byte for byte.',
    area: 'storage',
    basis: 'inferred',
    sources: ['AWS-OBJECT-KEYS', 'P9'],
  },
  {
    id: 'DATA-INTEGRITY',
    title: 'Checksums are verified',
    statement: 'A body that does not match its declared SHA-256, Content-MD5 or x-amz-checksum-* is refused (BadDigest/XAmzContentSHA256Mismatch).',
    area: 'storage',
    basis: 'inferred',
    sources: ['AWS-DATA-INTEGRITY', 'AWS-SIGV4-STREAMING'],
  },
  // public-api: IBEE's public REST API as its official clients use it (spec/public-api.ts)
  {
    id: 'WORKSPACE-REQUIRED',
    title: 'Every call names its workspace',
    statement:
      'Every public REST route refuses a request without `workspace_id` (400 `workspace_id_required`) or with a malformed or repeated one (400 `invalid_workspace_id`), before any other check and with no side effect.',
    area: 'public-api',
    basis: 'inferred',
    sources: ['R1', 'R2', 'R3'],
    note: 'IBEE\'s clients send `workspace_id` on every call and raise these answers as InvalidWorkspaceError; the order of checks is spec\'s restCheckOrder.',
  },
  {
    id: 'WORKSPACE-ISOLATION',
    title: 'A token stays in its workspace',
    statement:
      'A token used with another workspace\'s id is refused (403 `workspace_not_allowed`) with no side effect, and nothing of another workspace (buckets, credentials, billing) is ever visible to it.',
    area: 'public-api',
    basis: 'inferred',
    sources: ['R1', 'R2', 'R3'],
    note: 'Without a second workspace the suite probes well-formed ids that are not the token\'s, which a target may also refuse as unknown (400 `invalid_workspace_id`).',
  },
  {
    id: 'REST-BUCKET-CONTRACT',
    title: 'Buckets over the public API',
    statement:
      'Buckets are listed page by page (`limit`, `continuation_token`, `is_truncated`, `next_continuation_token`), created (201), read, made public or private (PATCH `is_public`) and deleted (200 with a JSON body; 409 while not empty), every answer carrying the fields IBEE\'s clients require; a bucket made over REST is the same bucket over S3, in the region it names, and `is_public` lets anonymous S3 requests read its objects and do nothing else.',
    area: 'public-api',
    basis: 'inferred',
    sources: ['R1', 'R2', 'R3', 'R4'],
  },
  {
    id: 'REST-SCOPE-NAMES',
    title: 'Refusals name IBEE\'s scopes',
    statement:
      'A 403 `insufficient_scope` names in `required_scope` the scope the route needs, in IBEE\'s words: `object-storage.read`, `object-storage.write`, `object-storage.delete` or `billing.read`.',
    area: 'public-api',
    basis: 'inferred',
    sources: ['R1', 'R2', 'R3'],
  },
  {
    id: 'CREDENTIAL-DELETE',
    title: 'Deleting an S3 credential',
    statement:
      'DELETE of an S3 credential answers 200 `{success: true, message}`; the credential then reads as 404 and S3 refuses its key from the very next request.',
    area: 'public-api',
    basis: 'inferred',
    sources: ['R2', 'R1', 'R3'],
  },
  {
    id: 'BILLING-ELIGIBILITY',
    title: 'Billing eligibility decisions',
    statement:
      '`POST /v1/billing/resource-eligibility` answers a token with the Billing scope with a complete decision (`organization_id`, `allowed`, `reason`, `billing_mode`, `billing_state`, `currency`, `evaluated_at`, and the SKU and cost asked about, echoed) and refuses a token without it (403).',
    area: 'public-api',
    basis: 'inferred',
    sources: ['R1', 'R2', 'R3'],
    note: 'IBEE\'s SDKs and Terraform provider stop a create when a decision lacks one of these fields.',
  },
];

export const requirements: readonly Requirement[] = catalogue.map((r) => ({ ...r, level: levelOf(r.basis) }));

const index = new Map(requirements.map((r) => [r.id, r]));

export function requirement(id: string): Requirement {
  const found = index.get(id);
  if (!found) throw new Error(`Unknown requirement id ${id}`);
  return found;
}

export function isRequirementId(id: string): boolean {
  return index.has(id);
}
