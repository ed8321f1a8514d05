import { describe } from 'vitest';
import { checkInvalidRequests, invalidRequestsCheck } from './checks/tokens.js';
import { checkTest, leakScanTest, useSuiteContext } from './target/suite.js';

/** Token creation rules: a scope, a name, exactly one level, a well-shaped bucket scope. */

describe('tokens', () => {
  const context = useSuiteContext();
  checkTest(invalidRequestsCheck, context, (ctx) => checkInvalidRequests(ctx));
  leakScanTest(context);
});
