import { describe } from 'vitest';
import { checkCredentialFormats, checkCredentialsWork, credentialFormatCheck, credentialsWorkCheck } from './checks/tokens.js';
import { checkTest, leakScanTest, useSuiteContext } from './target/suite.js';

/** Credential formats and uniqueness, and that issued keys work. */

describe('formats', () => {
  const context = useSuiteContext();
  checkTest(credentialFormatCheck, context, (ctx) => checkCredentialFormats(ctx));
  checkTest(credentialsWorkCheck, context, (ctx) => checkCredentialsWork(ctx));
  leakScanTest(context);
});
