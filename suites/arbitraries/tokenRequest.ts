import fc from 'fast-check';
import { tokenDescriptionLength } from '../../spec/index.js';
import type { TokenSpec } from '../target/driver.js';
import { bucketScope } from './bucketScope.js';
import { expiryDays } from './expiryDays.js';
import { permissionType } from './permissionType.js';
import { tokenName } from './tokenName.js';

/**
 * Valid creation requests: a name under the run prefix, optional description and expiry, and at least one scope
 * (Object Storage with any level and bucket scope over `buckets`, Billing read-only, or both).
 */
export function tokenRequest(prefix: string, buckets: readonly string[]): fc.Arbitrary<TokenSpec> {
  const storage = permissionType().chain((level) => bucketScope(level, buckets));
  const billing = fc.constant({ permission_type: 'read_only' as const });
  const scopes = fc.oneof(
    storage.map((object_storage) => ({ object_storage })),
    billing.map((b) => ({ billing: b })),
    fc.tuple(storage, billing).map(([object_storage, b]) => ({ object_storage, billing: b })),
  );
  return fc
    .record(
      {
        name: tokenName(prefix),
        description: fc.string({ unit: 'grapheme', maxLength: 60 }).filter((d) => Array.from(d).length <= tokenDescriptionLength.value.max && d.isWellFormed()),
        expires_in_days: expiryDays(),
        scopes,
      },
      { requiredKeys: ['name', 'scopes'] },
    )
    .map(({ scopes: s, ...rest }) => ({ ...rest, ...s }));
}
