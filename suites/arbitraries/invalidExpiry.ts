import fc from 'fast-check';
import { tokenExpiryDays } from '../../spec/index.js';

/**
 * expires_in_days values that must be refused, not clamped or rounded: just outside the bounds, negatives,
 * fractions, numeric strings, huge numbers and other JSON types.
 */
export function invalidExpiry(): fc.Arbitrary<unknown> {
  const { min, max } = tokenExpiryDays.value;
  return fc.oneof(
    fc.constantFrom(min - 1, max + 1),
    fc.integer({ min: max + 1, max: 100_000 }),
    fc.integer({ min: -100_000, max: min - 1 }),
    fc.integer({ min, max: max - 1 }).chain((days) => fc.double({ min: days + 0.001, max: days + 0.999, noNaN: true })),
    fc.constantFrom(1e9, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e300),
    expiryAsString(),
    fc.boolean(),
    fc.constant([30]),
    fc.constant({ days: 30 }),
  );
}

function expiryAsString(): fc.Arbitrary<string> {
  return fc.integer({ min: tokenExpiryDays.value.min, max: tokenExpiryDays.value.max }).map(String);
}

/** Boundary values every run tries first, whatever the seed. */
export const invalidExpiryExamples: readonly unknown[] = [0, tokenExpiryDays.value.max + 1, -1, 1.5, '30', 1e9];
