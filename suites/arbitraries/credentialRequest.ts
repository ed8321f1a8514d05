import fc from 'fast-check';
import { credentialNameLength } from '../../spec/index.js';
import { permissionType } from './permissionType.js';

/** A creation request of IBEE's public S3 credentials API (`POST /v1/object-storage/credentials`). */
export interface CredentialRequest {
  readonly name: string;
  readonly permission_type: string;
  readonly bucket_scope: 'all' | 'specific';
  readonly allowed_buckets?: readonly string[];
}

/**
 * Valid credential creation requests: a name under the run prefix (printable, no edge whitespace, so that it reads
 * back as sent), any of the four levels, and all buckets or, for object levels (admin credentials cover all
 * buckets), a non-empty subset of `buckets`.
 */
export function credentialRequest(prefix: string, buckets: readonly string[]): fc.Arbitrary<CredentialRequest> {
  const room = credentialNameLength.value.max - Array.from(prefix).length - 1;
  const name = fc
    .string({ unit: 'grapheme', minLength: 0, maxLength: Math.min(room, 40) })
    .map((suffix) => `${prefix}-${suffix}`.trim())
    .filter((n) => Array.from(n).length <= credentialNameLength.value.max && n.isWellFormed() && !/[\p{Cc}]/u.test(n));
  const scope = permissionType().chain((level) => {
    const all = fc.constant({ permission_type: level, bucket_scope: 'all' as const });
    if (level.startsWith('admin') || buckets.length === 0) return all;
    const specific = fc.subarray([...buckets], { minLength: 1 }).map((allowed) => ({ permission_type: level, bucket_scope: 'specific' as const, allowed_buckets: allowed }));
    return fc.oneof(all, specific);
  });
  return fc.tuple(name, scope).map(([n, s]) => ({ name: n, ...s }));
}
