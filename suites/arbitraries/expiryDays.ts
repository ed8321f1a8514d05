import fc from 'fast-check';
import { tokenExpiryDays } from '../../spec/index.js';

/** Every valid expires_in_days: whole days within the documented bounds. */
export function expiryDays(): fc.Arbitrary<number> {
  return fc.integer({ min: tokenExpiryDays.value.min, max: tokenExpiryDays.value.max });
}
