import fc from 'fast-check';
import type { ObjectStorageScopeSpec } from '../target/driver.js';
import type { PermissionType } from '../../spec/index.js';

/** A bucket scope for `level`: all buckets, or a non-empty subset of `buckets` (which must be non-empty). */
export function bucketScope(level: PermissionType, buckets: readonly string[]): fc.Arbitrary<ObjectStorageScopeSpec> {
  const all = fc.constant<ObjectStorageScopeSpec>({ permission_type: level, bucket_scope: 'all' });
  if (buckets.length === 0) return all;
  const specific = fc
    .subarray([...buckets], { minLength: 1 })
    .map((allowed): ObjectStorageScopeSpec => ({ permission_type: level, bucket_scope: 'specific', allowed_buckets: allowed }));
  return fc.oneof(all, specific);
}
