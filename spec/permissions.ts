import type { Basis } from './basis.js';
import type { SourceTag } from './sources.js';

/**
 * The permission model, in one place. IBEE documents four Object Storage levels by what they allow (P3); we name
 * those capabilities as actions, map every S3 operation the mock serves to the one action it needs, and derive the
 * matrix (operation x level -> allow/deny) from the two. Mock and suites both read `permissionMatrix`.
 */

export const permissionTypes = ['admin_rw', 'admin_ro', 'object_rw', 'object_ro'] as const;
export type PermissionType = (typeof permissionTypes)[number];

export const permissionLabels: Record<PermissionType, string> = {
  admin_rw: 'Admin Read & Write',
  admin_ro: 'Admin Read only',
  object_rw: 'Object Read & Write',
  object_ro: 'Object Read only',
};

/** What a level can do, in the words of P3's table. */
export const actions = [
  'bucket.list', // list buckets
  'bucket.create',
  'bucket.delete',
  'config.read', // view bucket configuration
  'config.write', // edit bucket configuration
  'object.list',
  'object.read',
  'object.write', // write (and delete) objects
] as const;
export type Action = (typeof actions)[number];

export const levelGrants: Record<PermissionType, readonly Action[]> = {
  // "Create, list, delete buckets, edit bucket configuration, read, write, and list objects."
  admin_rw: ['bucket.list', 'bucket.create', 'bucket.delete', 'config.read', 'config.write', 'object.list', 'object.read', 'object.write'],
  // "List buckets, view configuration, read and list objects."
  admin_ro: ['bucket.list', 'config.read', 'object.list', 'object.read'],
  // "Read, write, and list objects in specific buckets."
  object_rw: ['object.list', 'object.read', 'object.write'],
  // "Read and list objects in specific buckets."
  object_ro: ['object.list', 'object.read'],
};

export const levelGrantsSource: readonly SourceTag[] = ['P3', 'P4'];

export function levelAllows(level: PermissionType, action: Action): boolean {
  return levelGrants[level].includes(action);
}

/** Whether `higher` holds every action `lower` does: the order the monotonic property checks. */
export function levelIncludes(higher: PermissionType, lower: PermissionType): boolean {
  return levelGrants[lower].every((a) => levelGrants[higher].includes(a));
}

/** Where an operation addresses: the service (no bucket), a bucket, or an object in a bucket. */
export type OperationTarget = 'service' | 'bucket' | 'object';

/**
 * The AWS IAM policy actions an S3 operation needs (AWS-S3-POLICY-ACTIONS), and the resource each is granted on:
 * the account (`*`), a bucket ARN, or the objects of a bucket. Written beside each operation below, so that a
 * level can be rendered as an IAM policy (`iam-policy.ts`) for S3 services that enforce IAM.
 */
export const iamActionResources = {
  's3:ListAllMyBuckets': 'service',
  's3:CreateBucket': 'bucket',
  's3:DeleteBucket': 'bucket',
  's3:ListBucket': 'bucket',
  's3:ListBucketVersions': 'bucket',
  's3:ListBucketMultipartUploads': 'bucket',
  's3:GetBucketLocation': 'bucket',
  's3:GetBucketCORS': 'bucket',
  's3:PutBucketCORS': 'bucket',
  's3:GetLifecycleConfiguration': 'bucket',
  's3:PutLifecycleConfiguration': 'bucket',
  's3:GetEncryptionConfiguration': 'bucket',
  's3:PutEncryptionConfiguration': 'bucket',
  's3:GetBucketVersioning': 'bucket',
  's3:GetBucketObjectLockConfiguration': 'bucket',
  's3:GetObject': 'object',
  's3:GetObjectAttributes': 'object',
  's3:PutObject': 'object',
  's3:DeleteObject': 'object',
  's3:ListMultipartUploadParts': 'object',
  's3:AbortMultipartUpload': 'object',
} as const satisfies Record<string, OperationTarget>;
export type IamAction = keyof typeof iamActionResources;

/** A row of the permission model, as written below; `S3OperationRule` is the same with the name typed. */
interface OperationRuleRow {
  readonly operation: string;
  readonly target: OperationTarget;
  /** The IAM actions AWS requires for it (a copy also reads its source: `s3:GetObject`). */
  readonly iam: readonly [IamAction, ...IamAction[]];
  /** The action the token's level must hold. */
  readonly action: Action;
  /** Requirement ids a check of this row reports under (besides the level's own PERM-* id). */
  readonly requirementIds: readonly string[];
  /** How sure we are that this operation needs this action. */
  readonly basis: Basis;
  readonly sources: readonly [SourceTag, ...SourceTag[]];
  readonly note?: string;
}

const objectRead = { basis: 'documented', sources: ['P3', 'CF-TEMP-CREDENTIALS'] } as const;
const objectWrite = { basis: 'documented', sources: ['P3', 'P9', 'CF-TEMP-CREDENTIALS'] } as const;
const configRead = {
  basis: 'documented',
  sources: ['P3', 'CF-TOKENS'],
  note: 'Admin levels "view configuration"; the Object levels list no configuration access.',
} as const;
const configWrite = { basis: 'documented', sources: ['P3', 'CF-TOKENS'] } as const;

/** Every S3 operation IBEE's matrix covers, with the action it needs. */
const judgedOperations = [
  { operation: 'ListBuckets', target: 'service', iam: ['s3:ListAllMyBuckets'], action: 'bucket.list', requirementIds: [], basis: 'documented', sources: ['P3', 'CF-TOKENS'], note: 'R2 refuses ListBuckets to Object-level tokens even when they cover all buckets.' },
  { operation: 'CreateBucket', target: 'bucket', iam: ['s3:CreateBucket'], action: 'bucket.create', requirementIds: [], basis: 'documented', sources: ['P3'] },
  { operation: 'DeleteBucket', target: 'bucket', iam: ['s3:DeleteBucket'], action: 'bucket.delete', requirementIds: [], basis: 'documented', sources: ['P3', 'P6'] },
  { operation: 'HeadBucket', target: 'bucket', iam: ['s3:ListBucket'], action: 'object.list', requirementIds: [], basis: 'inferred', sources: ['P3', 'CF-TOKENS'], note: 'Any level that may list a bucket\'s objects may learn that the bucket exists; R2 answers 200 to an in-scope Object-level token.' },
  { operation: 'GetBucketLocation', target: 'bucket', iam: ['s3:GetBucketLocation'], action: 'object.read', requirementIds: [], basis: 'inferred', sources: ['CF-TEMP-CREDENTIALS'], note: 'R2 files GetBucketLocation under Read.' },
  { operation: 'GetBucketCors', target: 'bucket', iam: ['s3:GetBucketCORS'], action: 'config.read', requirementIds: [], ...configRead },
  { operation: 'PutBucketCors', target: 'bucket', iam: ['s3:PutBucketCORS'], action: 'config.write', requirementIds: [], ...configWrite },
  { operation: 'DeleteBucketCors', target: 'bucket', iam: ['s3:PutBucketCORS'], action: 'config.write', requirementIds: [], ...configWrite },
  { operation: 'GetBucketLifecycleConfiguration', target: 'bucket', iam: ['s3:GetLifecycleConfiguration'], action: 'config.read', requirementIds: [], ...configRead },
  { operation: 'PutBucketLifecycleConfiguration', target: 'bucket', iam: ['s3:PutLifecycleConfiguration'], action: 'config.write', requirementIds: [], ...configWrite },
  { operation: 'DeleteBucketLifecycle', target: 'bucket', iam: ['s3:PutLifecycleConfiguration'], action: 'config.write', requirementIds: [], ...configWrite },
  { operation: 'GetBucketEncryption', target: 'bucket', iam: ['s3:GetEncryptionConfiguration'], action: 'config.read', requirementIds: [], ...configRead },
  { operation: 'PutBucketEncryption', target: 'bucket', iam: ['s3:PutEncryptionConfiguration'], action: 'config.write', requirementIds: [], ...configWrite },
  { operation: 'ListObjects', target: 'bucket', iam: ['s3:ListBucket'], action: 'object.list', requirementIds: [], ...objectRead },
  { operation: 'ListObjectsV2', target: 'bucket', iam: ['s3:ListBucket'], action: 'object.list', requirementIds: [], ...objectRead },
  { operation: 'ListObjectVersions', target: 'bucket', iam: ['s3:ListBucketVersions'], action: 'object.list', requirementIds: [], basis: 'inferred', sources: ['P3'], note: 'A listing like any other; IBEE does not document versioning.' },
  { operation: 'ListMultipartUploads', target: 'bucket', iam: ['s3:ListBucketMultipartUploads'], action: 'object.list', requirementIds: [], basis: 'inferred', sources: ['CF-TEMP-CREDENTIALS'] },
  { operation: 'HeadObject', target: 'object', iam: ['s3:GetObject'], action: 'object.read', requirementIds: [], ...objectRead },
  { operation: 'GetObject', target: 'object', iam: ['s3:GetObject'], action: 'object.read', requirementIds: [], ...objectRead },
  { operation: 'GetObjectAttributes', target: 'object', iam: ['s3:GetObject', 's3:GetObjectAttributes'], action: 'object.read', requirementIds: [], ...objectRead, note: 'An object\'s metadata without its body (HeadObject and ListParts in one): reading the object.' },
  { operation: 'ListParts', target: 'object', iam: ['s3:ListMultipartUploadParts'], action: 'object.list', requirementIds: [], basis: 'inferred', sources: ['CF-TEMP-CREDENTIALS'] },
  { operation: 'PutObject', target: 'object', iam: ['s3:PutObject'], action: 'object.write', requirementIds: [], ...objectWrite },
  { operation: 'PostObject', target: 'bucket', iam: ['s3:PutObject'], action: 'object.write', requirementIds: ['PRESIGNED-POST'], basis: 'documented', sources: ['P11'], note: 'Browser form upload under a signed POST policy.' },
  { operation: 'CopyObject', target: 'object', iam: ['s3:PutObject', 's3:GetObject'], action: 'object.write', requirementIds: [], basis: 'inferred', sources: ['CF-TEMP-CREDENTIALS'], note: 'Also needs object.read on the source bucket, which must be in scope too.' },
  { operation: 'DeleteObject', target: 'object', iam: ['s3:DeleteObject'], action: 'object.write', requirementIds: [], basis: 'inferred', sources: ['CF-TEMP-CREDENTIALS'], note: 'IBEE does not say whether delete is part of "write"; R2 files it under Write.' },
  { operation: 'DeleteObjects', target: 'bucket', iam: ['s3:DeleteObject'], action: 'object.write', requirementIds: [], basis: 'inferred', sources: ['CF-TEMP-CREDENTIALS'] },
  { operation: 'CreateMultipartUpload', target: 'object', iam: ['s3:PutObject'], action: 'object.write', requirementIds: [], basis: 'inferred', sources: ['CF-TEMP-CREDENTIALS', 'P9'] },
  { operation: 'UploadPart', target: 'object', iam: ['s3:PutObject'], action: 'object.write', requirementIds: [], basis: 'inferred', sources: ['CF-TEMP-CREDENTIALS', 'P9'] },
  { operation: 'UploadPartCopy', target: 'object', iam: ['s3:PutObject', 's3:GetObject'], action: 'object.write', requirementIds: [], basis: 'inferred', sources: ['CF-TEMP-CREDENTIALS'] },
  { operation: 'CompleteMultipartUpload', target: 'object', iam: ['s3:PutObject'], action: 'object.write', requirementIds: [], basis: 'inferred', sources: ['CF-TEMP-CREDENTIALS', 'P9'] },
  { operation: 'AbortMultipartUpload', target: 'object', iam: ['s3:AbortMultipartUpload'], action: 'object.write', requirementIds: [], basis: 'inferred', sources: ['CF-TEMP-CREDENTIALS'] },
] as const satisfies readonly OperationRuleRow[];

/**
 * Operations the mock also serves, for clients that call them, though IBEE documents nothing about them. They are
 * authorized like the rows above but stay out of the judged matrix: an endpoint that answers them otherwise (or
 * not at all) is not faulted for it.
 */
const compatibilityOperations = [
  { operation: 'GetBucketVersioning', target: 'bucket', iam: ['s3:GetBucketVersioning'], action: 'object.list', requirementIds: [], basis: 'inferred', sources: ['P3'], note: 'IBEE does not document versioning; clients (rclone) read the state before listing or purging, with any key that may list, and learn only that the bucket is unversioned.' },
  { operation: 'GetObjectLockConfiguration', target: 'bucket', iam: ['s3:GetBucketObjectLockConfiguration'], action: 'config.read', requirementIds: [], basis: 'inferred', sources: ['R3', 'R2'], note: 'Object Lock is set when a bucket is made over IBEE\'s public API; S3 tools read it here, as they read other bucket configuration.' },
] as const satisfies readonly OperationRuleRow[];

/** The S3 operations of IBEE's matrix, by name: what conformance judges. */
export type JudgedS3OperationName = (typeof judgedOperations)[number]['operation'];
/** Every S3 operation the mock serves, by name. A table keyed by it (`Record<S3OperationName, …>`) must have them all. */
export type S3OperationName = JudgedS3OperationName | (typeof compatibilityOperations)[number]['operation'];

export interface S3OperationRule extends OperationRuleRow {
  readonly operation: S3OperationName;
}

/** Every S3 operation IBEE's matrix covers, with the action it needs. */
export const s3Operations: readonly (S3OperationRule & { readonly operation: JudgedS3OperationName })[] = judgedOperations;
/** See `compatibilityOperations`. */
export const s3CompatibilityOperations: readonly S3OperationRule[] = compatibilityOperations;
/** Every operation the mock serves, judged ones first. */
export const s3OperationNames: readonly S3OperationName[] = [...s3Operations, ...s3CompatibilityOperations].map((rule) => rule.operation);

const operationIndex = new Map<string, S3OperationRule>([...s3Operations, ...s3CompatibilityOperations].map((rule) => [rule.operation, rule]));

/** Whether `name` is an operation the mock serves. */
export function isS3OperationName(name: string): name is S3OperationName {
  return operationIndex.has(name);
}

export function s3Operation(name: S3OperationName): S3OperationRule {
  const rule = operationIndex.get(name);
  if (!rule) throw new Error(`No permission-matrix row for S3 operation ${name}`);
  return rule;
}

/** The requirement a level's cells report under. */
export const levelRequirementId: Record<PermissionType, string> = {
  admin_rw: 'PERM-ADMIN-RW',
  admin_ro: 'PERM-ADMIN-RO',
  object_rw: 'PERM-OBJECT-RW',
  object_ro: 'PERM-OBJECT-RO',
};

export interface PermissionCell {
  readonly operation: S3OperationName;
  readonly level: PermissionType;
  readonly allowed: boolean;
  /** The S3 error a denied cell answers with. */
  readonly deniedCode: 'AccessDenied';
  readonly deniedStatus: 403;
  readonly requirementIds: readonly string[];
}

const cellsOf = (rules: readonly S3OperationRule[]): PermissionCell[] =>
  rules.flatMap((rule) =>
    permissionTypes.map((level) => ({
      operation: rule.operation,
      level,
      allowed: levelAllows(level, rule.action),
      deniedCode: 'AccessDenied' as const,
      deniedStatus: 403 as const,
      requirementIds: [levelRequirementId[level], ...rule.requirementIds],
    })),
  );

/** The matrix, operation x level, derived from `levelGrants` and `s3Operations`: what conformance judges. */
export const permissionMatrix: readonly PermissionCell[] = cellsOf(s3Operations);

/** Every cell the mock enforces: the judged matrix and the compatibility operations. */
export const servedPermissionMatrix: readonly PermissionCell[] = [...permissionMatrix, ...cellsOf(s3CompatibilityOperations)];

export function isAllowed(level: PermissionType, operation: S3OperationName): boolean {
  return levelAllows(level, s3Operation(operation).action);
}

/**
 * Presigned URLs: P11 says signing one needs at least Object Read & Write on the bucket, for downloads too.
 * That is stricter than S3 (a URL carries its signer's rights) and the reference digests flag it as a conflict,
 * so the requirement is INFO; the mock follows the documented reading.
 */
export const presignedUrlRule = {
  action: 'object.write' as Action,
  basis: 'ambiguous' as Basis,
  sources: ['P11'] as const,
};

/**
 * A public bucket (IBEE's public API, `is_public: true`: static hosting) lets anyone read its objects over S3
 * without a key; every other operation, writes above all, still needs one.
 */
export const publicBucketReads = {
  operations: ['GetObject', 'HeadObject'] as const satisfies readonly S3OperationName[],
  basis: 'inferred' as Basis,
  sources: ['R1', 'R2', 'R3'] as const,
};

/** Bucket scope: which buckets a token's Object Storage scope covers. */
export const bucketScopes = ['all', 'specific'] as const;
export type BucketScope = (typeof bucketScopes)[number];

/**
 * Whether an admin level may be limited to specific buckets. The docs offer the choice for every level (P1, P3);
 * IBEE's SDKs and R2 say admin levels always cover all buckets. The mock accepts it and scopes admin tokens like
 * any other; the suite records what a target does (requirement SCOPE-ADMIN-SPECIFIC, INFO).
 */
export const adminSpecificScopeAllowed = true;

export const billingPermissionTypes = ['read_only'] as const;
export type BillingPermissionType = (typeof billingPermissionTypes)[number];
