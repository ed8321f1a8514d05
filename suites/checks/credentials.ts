import type fc from 'fast-check';
import type { BucketScope, PermissionType } from '../../spec/index.js';
import { credentialRequest } from '../arbitraries/credentialRequest.js';
import { tokenRequest } from '../arbitraries/tokenRequest.js';
import type { SuiteContext } from '../target/context.js';
import { DriverCannot } from '../target/driver.js';
import { recordCheck } from './record.js';
import { NotApplicable, type CheckDefinition } from './registry.js';

/**
 * Properties that draw a level must only draw levels the driver can give a token for. A driver that creates tokens
 * has them all; the manual driver has what its credentials file holds. As the permission grid does for its cells,
 * what is missing is recorded not_applicable with the missing credential named, never failed: the target is not to
 * blame for a credential the user did not provide.
 */
export async function levelsWithCredentials(
  ctx: SuiteContext,
  definition: CheckDefinition,
  levels: readonly PermissionType[],
  scope: BucketScope,
  allowedBuckets: readonly string[] = [],
): Promise<[PermissionType, ...PermissionType[]]> {
  if (ctx.driver.capabilities.create) {
    if (levels.length === 0) throw new Error(`check ${definition.name}: no level to draw from`);
    return levels as [PermissionType, ...PermissionType[]];
  }
  const available: PermissionType[] = [];
  const missing: string[] = [];
  for (const level of levels) {
    try {
      await ctx.token({ object_storage: { permission_type: level, bucket_scope: scope, ...(scope === 'specific' ? { allowed_buckets: [...allowedBuckets] } : {}) } });
      available.push(level);
    } catch (error) {
      if (!(error instanceof DriverCannot)) throw error;
      missing.push(error.message);
    }
  }
  if (available.length === 0) throw new NotApplicable(`${missing.join('; ')}: no case of this check can be run`);
  if (missing.length > 0) {
    recordCheck(
      {
        check: definition.name,
        requirementIds: definition.requirementIds,
        status: 'not_applicable',
        reason: `${missing.join('; ')}: cases needing ${missing.length === 1 ? 'it were' : 'them were'} not generated (run with ${available.join(', ')} only)`,
      },
      ctx.settings.checksFile,
    );
  }
  return available as [PermissionType, ...PermissionType[]];
}

/**
 * Valid creation requests for what the driver issues, with bucket scopes over `buckets`: portal API tokens (the
 * token-management contract) or S3 credentials (IBEE's public credentials API).
 */
export function creationRequests(ctx: SuiteContext, buckets: readonly string[]): fc.Arbitrary<object> {
  return ctx.driver.capabilities.issues === 's3-credentials' ? credentialRequest(ctx.settings.runPrefix, buckets) : tokenRequest(ctx.settings.runPrefix, buckets);
}
