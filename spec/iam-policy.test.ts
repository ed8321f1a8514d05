import { describe, expect, it } from 'vitest';
import { iamActionsOf, iamPolicyFor } from './iam-policy.js';
import { iamActionResources, isAllowed, permissionTypes, presignedUrlRule, levelAllows, s3CompatibilityOperations, s3Operations, type IamAction, type PermissionType } from './permissions.js';

const operations = [...s3Operations, ...s3CompatibilityOperations];

/** The policy's Allow statements, with their actions listed. */
function allowed(level: PermissionType, bucket?: string): { Sid: string; Action: IamAction[]; Resource: string }[] {
  return iamPolicyFor(level, bucket).policy.Statement.filter((s) => s.Effect === 'Allow').map((s) => ({ Sid: s.Sid, Action: [...(s.Action as readonly IamAction[])], Resource: s.Resource }));
}

describe('a level as an IAM policy', () => {
  it('lets IAM allow exactly the operations the level may call', () => {
    for (const level of permissionTypes) {
      const granted = new Set(allowed(level).flatMap((s) => s.Action));
      for (const rule of operations) {
        const iamAllows = rule.iam.every((action) => granted.has(action));
        expect(iamAllows, `${level} ${rule.operation} (${rule.iam.join(', ')})`).toBe(isAllowed(level, rule.operation));
      }
    }
  });

  it('grants each action on the resource IAM checks it against', () => {
    for (const level of permissionTypes) {
      for (const statement of allowed(level, 'my-bucket')) {
        const targets = new Set(statement.Action.map((a) => iamActionResources[a]));
        expect(targets.size, statement.Sid).toBe(1);
        const expected = { service: '*', bucket: 'arn:aws:s3:::my-bucket', object: 'arn:aws:s3:::my-bucket/*' }[[...targets][0]!];
        expect(statement.Resource, `${level} ${statement.Sid}`).toBe(expected);
      }
    }
  });

  it('covers every bucket, those made later included, when no bucket is named', () => {
    const resources = allowed('admin_rw').map((s) => s.Resource);
    expect(resources).toEqual(['*', 'arn:aws:s3:::*', 'arn:aws:s3:::*/*']);
  });

  it('grants each action once, and nothing for an operation no level may call', () => {
    for (const level of permissionTypes) {
      const actions = allowed(level).flatMap((s) => s.Action);
      expect(new Set(actions).size).toBe(actions.length);
      expect([...actions].sort()).toEqual([...iamActionsOf(level)]);
    }
    expect(iamActionsOf('object_ro')).not.toContain('s3:PutObject');
    expect(iamActionsOf('admin_ro')).not.toContain('s3:PutBucketCORS');
  });

  it('denies presigned requests to the levels that may not sign presigned URLs', () => {
    for (const level of permissionTypes) {
      const denials = iamPolicyFor(level).policy.Statement.filter((s) => s.Effect === 'Deny');
      if (levelAllows(level, presignedUrlRule.action)) expect(denials, level).toEqual([]);
      else expect(denials, level).toEqual([{ Sid: 'NoPresignedUrls', Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 's3:authType': 'REST-QUERY-STRING' } } }]);
    }
  });

  it('says what IAM cannot express', () => {
    expect(iamPolicyFor('object_ro').notes.join(' ')).toMatch(/presigned/i);
    // What to do where the service applies the conditioned Deny to every request.
    expect(iamPolicyFor('object_ro').notes.join(' ')).toMatch(/plain read .* refused, remove the statement/);
    expect(iamPolicyFor('object_rw').notes).toEqual([]);
    expect(iamPolicyFor('admin_ro', 'my-bucket').notes.join(' ')).toMatch(/ListAllMyBuckets/);
  });
});
