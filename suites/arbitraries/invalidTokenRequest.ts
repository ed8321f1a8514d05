import fc from 'fast-check';
import { permissionTypes } from '../../spec/index.js';
import { bucketScope } from './bucketScope.js';
import { invalidExpiry } from './invalidExpiry.js';
import { invalidTokenName } from './invalidTokenName.js';
import { permissionType } from './permissionType.js';
import { tokenName } from './tokenName.js';

/** A creation body that breaks exactly one documented rule, and the requirement it breaks. */
export interface InvalidTokenRequest {
  readonly violates: 'TOKEN-SCOPE-REQUIRED' | 'TOKEN-NAME-REQUIRED' | 'TOKEN-LEVEL-ONE' | 'TOKEN-BUCKET-SCOPE-SHAPE' | 'TOKEN-EXPIRY-BOUNDS';
  readonly body: Record<string, unknown>;
}

const invalidBucketNames = ['', 'ab', 'UPPER-case', '-leading-hyphen', 'trailing-hyphen-', 'under_score', 'a'.repeat(64), 'dots.are.not.documented..x'];

export function invalidTokenRequest(prefix: string, buckets: readonly [string, ...string[]]): fc.Arbitrary<InvalidTokenRequest> {
  const validStorage = permissionType().chain((level) => bucketScope(level, buckets));
  const name = tokenName(prefix);

  const noScope = name.map((n): InvalidTokenRequest => ({ violates: 'TOKEN-SCOPE-REQUIRED', body: { name: n } }));
  const badName = fc.tuple(invalidTokenName(prefix), validStorage).map(([n, storage]): InvalidTokenRequest => {
    const body: Record<string, unknown> = { object_storage: storage };
    if (n !== undefined) body['name'] = n;
    return { violates: 'TOKEN-NAME-REQUIRED', body };
  });
  const badLevel = fc
    .tuple(
      name,
      fc.oneof(
        fc.constantFrom<unknown>('admin', 'read_write', 'ADMIN_RW', 'object_wo', '', null, 1),
        fc.subarray([...permissionTypes], { minLength: 2 }),
        fc.constant(undefined),
      ),
    )
    .map(([n, level]): InvalidTokenRequest => {
      const storage: Record<string, unknown> = { bucket_scope: 'all' };
      if (level !== undefined) storage['permission_type'] = level;
      return { violates: 'TOKEN-LEVEL-ONE', body: { name: n, object_storage: storage } };
    });
  const badShape = fc
    .tuple(
      name,
      permissionType(),
      fc.oneof(
        fc.constant({ bucket_scope: 'specific' }),
        fc.constant({ bucket_scope: 'specific', allowed_buckets: [] }),
        fc.constant({ bucket_scope: 'all', allowed_buckets: [buckets[0]] }),
        fc.constantFrom(...invalidBucketNames).map((bad) => ({ bucket_scope: 'specific', allowed_buckets: [buckets[0], bad] })),
      ),
    )
    .map(([n, level, shape]): InvalidTokenRequest => ({
      violates: 'TOKEN-BUCKET-SCOPE-SHAPE',
      body: { name: n, object_storage: { permission_type: level, ...shape } },
    }));
  const badExpiry = fc
    .tuple(name, validStorage, invalidExpiry())
    .map(([n, storage, days]): InvalidTokenRequest => ({ violates: 'TOKEN-EXPIRY-BOUNDS', body: { name: n, expires_in_days: days, object_storage: storage } }));

  return fc.oneof(noScope, badName, badLevel, badShape, badExpiry);
}
