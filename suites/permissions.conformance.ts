import { describe } from 'vitest';
import { permissionTypes } from '../spec/index.js';
import {
  assertDeniedCodes,
  assertMonotonic,
  billingCheck,
  checkBillingScope,
  credentialsScopedBucket,
  deniedCodeCheck,
  monotonicCheck,
  obtainLevelTokens,
  prepareGridFixture,
  restGridCheck,
  runRestGrid,
  runS3Grid,
  s3GridCheck,
  type GridFixture,
  type GridObservation,
  type LevelTokens,
} from './checks/permissions.js';
import { NotApplicable } from './checks/registry.js';
import type { SuiteContext } from './target/context.js';
import { checkTest, leakScanTest, useSuiteContext } from './target/suite.js';

/** Permission levels: the S3 and REST grids (level x operation x scope), denial codes, monotonicity, billing. */

describe('permissions', () => {
  const context = useSuiteContext();
  const observations: GridObservation[] = [];
  let prepared: Promise<{ fixture: GridFixture; tokens: LevelTokens[] }> | null = null;

  /** One fixture and one pair of tokens per level, shared by both grids. */
  function gridSetup(ctx: SuiteContext): Promise<{ fixture: GridFixture; tokens: LevelTokens[] }> {
    prepared ??= (async () => {
      // With pre-made credentials, the bucket-scoped tokens decide which bucket is in scope.
      const fixture = await prepareGridFixture(ctx, await credentialsScopedBucket(ctx));
      const tokens: LevelTokens[] = [];
      for (const level of permissionTypes) tokens.push(await obtainLevelTokens(ctx, level, fixture.inScope));
      return { fixture, tokens };
    })();
    return prepared;
  }

  checkTest(
    s3GridCheck,
    context,
    async (ctx, rec) => {
      const { fixture, tokens } = await gridSetup(ctx);
      await runS3Grid(ctx, rec, fixture, tokens, observations);
    },
    { summary: false },
  );

  checkTest(
    restGridCheck,
    context,
    async (ctx, rec) => {
      const { fixture, tokens } = await gridSetup(ctx);
      await runRestGrid(ctx, rec, fixture, tokens, observations);
    },
    { summary: false },
  );

  checkTest(deniedCodeCheck, context, async () => {
    if (observations.length === 0) throw new NotApplicable('the grids did not run, so there are no denials to judge');
    assertDeniedCodes(observations);
  });

  checkTest(monotonicCheck, context, async () => {
    if (observations.length === 0) throw new NotApplicable('the grids did not run, so there is nothing to compare');
    assertMonotonic(observations);
  });

  checkTest(billingCheck, context, (ctx, rec) => checkBillingScope(ctx, rec));
  leakScanTest(context);
});
