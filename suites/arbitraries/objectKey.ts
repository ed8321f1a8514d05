import fc from 'fast-check';
import { isValidObjectKey } from '../../spec/index.js';

/**
 * Object keys for permission and lifecycle checks: printable Unicode with slashes, valid by spec's rule. Dot segments
 * are left out because URL handling may normalise them away before a request is signed.
 */
export function objectKey(): fc.Arbitrary<string> {
  const segment = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !/[\p{Cc}/]/u.test(s) && s !== '.' && s !== '..');
  return fc
    .array(segment, { minLength: 1, maxLength: 4 })
    .map((segments) => segments.join('/'))
    .filter(isValidObjectKey);
}
