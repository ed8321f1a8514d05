import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidBucketName, isValidObjectKey, objectKeyRules } from '../../spec/index.js';
import { corruptedUpload } from './corruptedUpload.js';
import { invalidBucketName } from './invalidBucketName.js';
import { longObjectKey } from './longObjectKey.js';
import { objectBody, objectBodyBoundarySizes, seededBytes } from './objectBody.js';
import { overlongObjectKey } from './overlongObjectKey.js';

/** The storage arbitraries generate what their names promise, judged by spec/'s own predicates. */

describe('storage arbitraries', () => {
  it('invalid bucket names are never valid, and every rule is broken somewhere', () => {
    const broken = new Set<string>();
    fc.assert(
      fc.property(invalidBucketName('run1'), ({ breaks, name }) => {
        broken.add(breaks);
        expect(isValidBucketName(name)).toBe(false);
        expect(name).not.toContain('/');
      }),
      { numRuns: 500 },
    );
    expect([...broken].sort()).toEqual(['dot', 'leading-hyphen', 'other-character', 'too-long', 'too-short', 'trailing-hyphen', 'underscore', 'upper-case']);
  });

  it('overlong keys are well-formed UTF-8 just past the key limit', () => {
    fc.assert(
      fc.property(overlongObjectKey(), (key) => {
        const bytes = Buffer.byteLength(key, 'utf8');
        expect(bytes).toBeGreaterThan(objectKeyRules.value.maxBytes);
        expect(bytes).toBeLessThanOrEqual(objectKeyRules.value.maxBytes + 64 + 4);
        expect(key.isWellFormed()).toBe(true);
        expect(isValidObjectKey(key)).toBe(false);
      }),
    );
  });

  it('long keys are valid and within one segment of the key limit', () => {
    fc.assert(
      fc.property(longObjectKey(), (key) => {
        const bytes = Buffer.byteLength(key, 'utf8');
        expect(isValidObjectKey(key)).toBe(true);
        expect(bytes).toBeGreaterThan(objectKeyRules.value.maxBytes / 2);
      }),
    );
  });

  it('a corrupted upload always differs from the body its checksum was declared for', () => {
    fc.assert(
      fc.property(corruptedUpload(), ({ original, sent }) => {
        expect(sent).not.toBe(original);
        expect(/^[\x20-\x7e]*$/.test(sent)).toBe(true);
      }),
    );
  });

  it('object bodies cover empty, small and boundary sizes; seeded bodies are reproducible and print short', () => {
    const sizes = new Set<number>();
    fc.assert(
      fc.property(objectBody(), (body) => {
        sizes.add(body.length);
      }),
      { numRuns: 300 },
    );
    expect(sizes.has(0)).toBe(true);
    expect([...sizes].some((size) => size > 0 && size <= 512)).toBe(true);
    expect(objectBodyBoundarySizes.some((size) => sizes.has(size))).toBe(true);
    expect(Buffer.from(seededBytes(1000, 5)).equals(Buffer.from(seededBytes(1000, 5)))).toBe(true);
    expect(Buffer.from(seededBytes(1000, 5)).equals(Buffer.from(seededBytes(1000, 6)))).toBe(false);
    expect(fc.stringify(seededBytes(65536, 5))).toBe('seededBytes(65536, 5)');
  });
});
