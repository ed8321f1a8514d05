import fc from 'fast-check';
import { objectKeyRules } from '../../spec/index.js';

const piece = fc.constantFrom('a', 'Z', '9', '-', '/', 'é', 'ß', '中', '😀', ' ');

/** Well-formed UTF-8 keys longer than the key limit (1025 bytes and a little more), for KeyTooLongError. */
export function overlongObjectKey(): fc.Arbitrary<string> {
  const limit = objectKeyRules.value.maxBytes;
  return fc.tuple(fc.array(piece, { minLength: 1, maxLength: 16 }), fc.integer({ min: 1, max: 64 })).map(([pieces, extra]) => {
    const unit = pieces.join('');
    // A plain first character: a key that starts with `/` may be normalised away by URL handling.
    let key = 'k';
    // Whole units up to the limit, then single characters until it is passed by `extra` bytes or more.
    while (Buffer.byteLength(key + unit, 'utf8') <= limit) key += unit;
    let index = 0;
    while (Buffer.byteLength(key, 'utf8') < limit + extra) {
      key += Array.from(unit)[index % Array.from(unit).length];
      index += 1;
    }
    return key;
  });
}
