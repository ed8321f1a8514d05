import fc from 'fast-check';
import { bucketNameRules, isValidBucketName } from '../../spec/index.js';

/** Which naming rule an invalid bucket name breaks; reports and counterexamples say it. */
export type BucketNameFault = 'upper-case' | 'underscore' | 'dot' | 'leading-hyphen' | 'trailing-hyphen' | 'too-short' | 'too-long' | 'other-character';

export interface InvalidBucketName {
  readonly breaks: BucketNameFault;
  readonly name: string;
}

const lower = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
/** Characters outside [a-z0-9-]; `/` is left out because S3 clients refuse it before sending anything. */
const otherCharacters = [' ', '!', '$', '&', "'", '(', ')', '*', '+', ',', ';', '=', '@', '~', ':', '#', '?', '%', 'é', 'ß', 'ı', 'Ω', '中', '😀', '\t'];

/** `${prefix}-<stem>` with `insert` placed inside the stem, so the bad character is never at an edge by accident. */
function withInside(prefix: string, insert: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(lower, { minLength: 2, maxLength: 10 }), insert, fc.nat())
    .map(([stem, bad, at]) => {
      const position = 1 + (at % (stem.length - 1));
      return `${prefix}-${stem.slice(0, position).join('')}${bad}${stem.slice(position).join('')}`;
    });
}

/**
 * Bucket names that break exactly one naming rule (BUCKET-NAME-RULES), built around the run prefix where the rule
 * allows it (a too-short name cannot carry it; a leading hyphen puts it second).
 */
export function invalidBucketName(prefix: string): fc.Arbitrary<InvalidBucketName> {
  const { minLength, maxLength } = bucketNameRules.value;
  const tagged = (breaks: BucketNameFault, names: fc.Arbitrary<string>) => names.map((name): InvalidBucketName => ({ breaks, name }));
  return fc
    .oneof(
      tagged('upper-case', withInside(prefix, fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('')))),
      tagged('underscore', withInside(prefix, fc.constant('_'))),
      tagged('dot', withInside(prefix, fc.constant('.'))),
      tagged('leading-hyphen', fc.array(lower, { minLength: 1, maxLength: 8 }).map((stem) => `-${prefix}-${stem.join('')}`)),
      tagged('trailing-hyphen', fc.array(lower, { minLength: 1, maxLength: 8 }).map((stem) => `${prefix}-${stem.join('')}-`)),
      tagged('too-short', fc.array(lower, { minLength: 1, maxLength: minLength - 1 }).map((stem) => stem.join(''))),
      tagged(
        'too-long',
        fc.tuple(fc.integer({ min: maxLength + 1, max: maxLength + 40 }), lower).map(([length, fill]) => `${prefix}-`.padEnd(length, fill)),
      ),
      tagged('other-character', withInside(prefix, fc.constantFrom(...otherCharacters))),
    )
    .filter(({ name }) => !isValidBucketName(name));
}
