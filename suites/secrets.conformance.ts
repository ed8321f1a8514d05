import { describe } from 'vitest';
import { checkSecretShownOnce, secretOnceCheck } from './checks/secrets.js';
import { checkTest, leakScanTest, useSuiteContext } from './target/suite.js';

/** One-time secret: shown at creation only, never again on any route, header or error. */

describe('secrets', () => {
  const context = useSuiteContext();
  checkTest(secretOnceCheck, context, (ctx) => checkSecretShownOnce(ctx));
  // Last: scans every response the tests above received.
  leakScanTest(context);
});
