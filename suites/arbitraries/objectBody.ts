import fc from 'fast-check';

/** Sizes around 64 KiB: where chunked transfer, stream buffers and part-size arithmetic tend to break. */
export const objectBodyBoundarySizes = [64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 128 * 1024 + 1] as const;

/**
 * Bytes from a seed (xorshift32): large bodies without fast-check generating, and shrinking, each byte. They print
 * as `seededBytes(size, seed)`, so that a counterexample stays readable and replayable.
 */
export function seededBytes(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < size; i += 1) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  Object.defineProperty(bytes, fc.toStringMethod, { value: () => `seededBytes(${size}, ${seed})` });
  return bytes;
}

/**
 * Object bodies for round trips (OBJECT-ROUNDTRIP): empty, small arbitrary bytes (every value 0-255 can occur,
 * including bytes that are not UTF-8), and bodies of the boundary sizes filled from a seed. Bounded for speed.
 */
export function objectBody(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
    { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 512 }) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...objectBodyBoundarySizes), fc.integer({ min: 1, max: 0x7fffffff })).map(([size, seed]) => seededBytes(size, seed)),
    },
  );
}
