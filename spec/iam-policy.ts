import { iamActionResources, levelAllows, permissionLabels, presignedUrlRule, s3CompatibilityOperations, s3Operations, type IamAction, type OperationTarget, type PermissionType } from './permissions.js';

/**
 * A level of IBEE's permission model rendered as an AWS IAM identity policy: every IAM action of every S3
 * operation the level may call (judged and compatibility operations alike), on every bucket or on one. With such
 * policies, any S3 service that enforces IAM can stand in as a reference endpoint for the suite (manual driver).
 * What IAM cannot express is returned as notes beside the policy, never silently dropped.
 */

export interface IamStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly IamAction[] | 's3:*';
  readonly Resource: string;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface IamPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: readonly IamStatement[];
}

export interface RenderedIamPolicy {
  readonly policy: IamPolicy;
  /** Rules of the level that the policy cannot carry. */
  readonly notes: readonly string[];
}

/** The IAM actions `level` needs, derived from the operations it may call. */
export function iamActionsOf(level: PermissionType): readonly IamAction[] {
  const actions = new Set<IamAction>();
  for (const rule of [...s3Operations, ...s3CompatibilityOperations]) {
    if (levelAllows(level, rule.action)) for (const action of rule.iam) actions.add(action);
  }
  return [...actions].sort();
}

const resourceOf = (target: OperationTarget, bucket: string): string =>
  target === 'service' ? '*' : target === 'bucket' ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/*`;

const statementIds: Record<OperationTarget, string> = { service: 'Account', bucket: 'Buckets', object: 'Objects' };

/**
 * `bucket`: the one bucket a specific-scope key covers; without it, all buckets (those made later included).
 * Bucket names are IBEE's (lower-case letters, digits, hyphens), so they need no escaping in an ARN.
 */
export function iamPolicyFor(level: PermissionType, bucket?: string): RenderedIamPolicy {
  const scope = bucket ?? '*';
  const byTarget = new Map<OperationTarget, IamAction[]>();
  for (const action of iamActionsOf(level)) {
    const target = iamActionResources[action];
    byTarget.set(target, [...(byTarget.get(target) ?? []), action]);
  }
  const statements: IamStatement[] = (['service', 'bucket', 'object'] as const)
    .filter((target) => byTarget.has(target))
    .map((target) => ({ Sid: statementIds[target], Effect: 'Allow', Action: byTarget.get(target)!, Resource: resourceOf(target, scope) }));

  const notes: string[] = [];
  if (!levelAllows(level, presignedUrlRule.action)) {
    // IBEE: presigned URLs need Object Read & Write, downloads included. IAM says how a request was signed in
    // s3:authType, so a lower level's presigned requests can be denied outright.
    statements.push({ Sid: 'NoPresignedUrls', Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 's3:authType': 'REST-QUERY-STRING' } } });
    notes.push(
      `${permissionLabels[level]} may not sign presigned URLs (IBEE: they need Object Read & Write): the NoPresignedUrls statement denies them through the s3:authType condition key, which some IAM implementations ignore and others (moto) apply to every request: if a plain read with this key is refused, remove the statement.`,
    );
  }
  if (bucket !== undefined && byTarget.has('service')) {
    notes.push('ListBuckets (s3:ListAllMyBuckets) cannot be limited to one bucket in IAM: the key will see every bucket name of the account.');
  }
  if (bucket !== undefined && byTarget.get('bucket')?.includes('s3:CreateBucket')) {
    notes.push(`CreateBucket is granted only for the name ${bucket}; IBEE's specific scope names existing buckets.`);
  }
  return { policy: { Version: '2012-10-17', Statement: statements }, notes };
}
