import { describe } from 'vitest';
import {
  checkClockSkew,
  checkPostPolicy,
  checkPresignedExpiry,
  checkPresignedTamper,
  checkSignature,
  clockSkewCheck,
  observePresignerLevel,
  observeUnknownKey,
  postPolicyCheck,
  prepareAuthFixture,
  presignedExpiryCheck,
  presignedTamperCheck,
  presignerLevelCheck,
  signatureCheck,
  unknownKeyCodeCheck,
  type AuthFixture,
} from './checks/auth.js';
import { bearerAuthCheck, checkBearerAuth } from './checks/tokens.js';
import type { SuiteContext } from './target/context.js';
import { checkTest, leakScanTest, useSuiteContext } from './target/suite.js';

/** Authentication: Bearer on REST; SigV4 (wrong secret, unknown key, none, tampering, skew); presigned URLs and POST policies. */

describe('auth', () => {
  const context = useSuiteContext();
  let fixture: Promise<AuthFixture> | null = null;
  const setup = (ctx: SuiteContext) => (fixture ??= prepareAuthFixture(ctx));

  checkTest(bearerAuthCheck, context, (ctx, rec) => checkBearerAuth(ctx, rec));
  checkTest(signatureCheck, context, async (ctx) => checkSignature(ctx, await setup(ctx)));
  checkTest(unknownKeyCodeCheck, context, async (ctx, rec) => observeUnknownKey(ctx, rec, await setup(ctx)), { summary: false });
  checkTest(clockSkewCheck, context, async (ctx) => checkClockSkew(ctx, await setup(ctx)));
  checkTest(presignedTamperCheck, context, async (ctx) => checkPresignedTamper(ctx, await setup(ctx)));
  checkTest(presignedExpiryCheck, context, async (ctx) => checkPresignedExpiry(ctx, await setup(ctx)));
  checkTest(presignerLevelCheck, context, async (ctx, rec) => observePresignerLevel(ctx, rec, await setup(ctx)), { summary: false });
  checkTest(postPolicyCheck, context, async (ctx) => checkPostPolicy(ctx, await setup(ctx)));
  leakScanTest(context);
});
