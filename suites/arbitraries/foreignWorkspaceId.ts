import fc from 'fast-check';
import { workspaceIdFormat } from '../../spec/index.js';

/**
 * Well-formed `workspace_id` values (positive decimal integers) that are not `own`: another workspace's, as far
 * as the suite can tell without a token of one. Near `own` first (the neighbours a guessing client would try), then
 * anywhere up to 18 digits.
 */
export function foreignWorkspaceId(own: string): fc.Arbitrary<string> {
  const ownNumber = workspaceIdFormat.value.pattern.test(own) ? BigInt(own) : null;
  const near = ownNumber === null ? fc.constant(1n) : fc.bigInt({ min: -5n, max: 5n }).map((step) => ownNumber + step);
  return fc
    .oneof(near, fc.bigInt({ min: 1n, max: 10n ** 18n - 1n }))
    .map(String)
    .filter((id) => id !== own && workspaceIdFormat.value.pattern.test(id));
}
