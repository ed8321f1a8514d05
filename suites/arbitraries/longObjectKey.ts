import type fc from 'fast-check';
import { isValidObjectKey, objectKeyRules } from '../../spec/index.js';
import { objectKey } from './objectKey.js';

/** Valid keys close to the key limit: an objectKey() repeated as path segments until one more would pass 1024 bytes. */
export function longObjectKey(): fc.Arbitrary<string> {
  const limit = objectKeyRules.value.maxBytes;
  return objectKey()
    .map((unit) => {
      let key = unit;
      while (Buffer.byteLength(`${key}/${unit}`, 'utf8') <= limit) key = `${key}/${unit}`;
      return key;
    })
    .filter(isValidObjectKey);
}
