import fc from 'fast-check';
import { bucketNameRules } from '../../spec/index.js';

const inner = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'.split(''));
const edge = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));

/** Valid bucket names under the run prefix (`${prefix}-…`), anywhere up to the 63-character limit. */
export function bucketName(prefix: string): fc.Arbitrary<string> {
  const room = bucketNameRules.value.maxLength - prefix.length - 1;
  return fc
    .tuple(fc.array(inner, { minLength: 0, maxLength: Math.max(0, Math.min(room - 1, 20)) }), edge)
    .map(([middle, last]) => `${prefix}-${middle.join('')}${last}`)
    .filter((name) => name.length <= bucketNameRules.value.maxLength && bucketNameRules.value.pattern.test(name));
}
