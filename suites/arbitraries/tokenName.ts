import fc from 'fast-check';
import { tokenNameLength } from '../../spec/index.js';

/** Valid token names under the run prefix: any printable Unicode after `${prefix}-`, at most the spec's length in code points. */
export function tokenName(prefix: string): fc.Arbitrary<string> {
  const room = tokenNameLength.value.max - Array.from(prefix).length - 1;
  return fc
    .string({ unit: 'grapheme', minLength: 0, maxLength: Math.min(room, 40) })
    .map((suffix) => `${prefix}-${suffix}`)
    .filter((name) => Array.from(name).length <= tokenNameLength.value.max && name.isWellFormed() && !/[\p{Cc}]/u.test(name));
}
