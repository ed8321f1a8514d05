import fc from 'fast-check';
import { tokenNameLength } from '../../spec/index.js';

/** Names a creation request must be refused for (TOKEN-NAME-REQUIRED): empty, overlong, or not a string. `undefined` means the field is left out. */
export function invalidTokenName(prefix: string): fc.Arbitrary<unknown> {
  const over = tokenNameLength.value.max + 1;
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(''),
    fc.integer({ min: over, max: over + 200 }).map((length) => `${prefix}-`.padEnd(length, 'x')),
    fc.constant(null),
    fc.integer(),
    fc.boolean(),
    fc.constant([`${prefix}-array`]),
  );
}
