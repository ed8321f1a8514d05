import { describe } from 'vitest';
import {
  checkDefaultExpiry,
  checkExpiryEnforced,
  checkInvalidExpiry,
  checkValidExpiry,
  expiryDefaultCheck,
  expiryEnforcedCheck,
  expiryInvalidCheck,
  expiryValidCheck,
} from './checks/expiry.js';
import { checkTest, leakScanTest, useSuiteContext } from './target/suite.js';

/** Expiry bounds (1..365, refused outside, never clamped), the 90-day default, and enforcement with time travel. */

describe('expiry', () => {
  const context = useSuiteContext();
  checkTest(expiryValidCheck, context, (ctx) => checkValidExpiry(ctx));
  checkTest(expiryInvalidCheck, context, (ctx) => checkInvalidExpiry(ctx));
  checkTest(expiryDefaultCheck, context, (ctx, rec) => checkDefaultExpiry(ctx, rec));
  checkTest(expiryEnforcedCheck, context, (ctx) => checkExpiryEnforced(ctx));
  leakScanTest(context);
});
