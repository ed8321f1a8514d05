import { probeBillingReadRoutes, probeCapabilities, type Capabilities } from './capabilities.js';
import { noRestApiReason, type RunConfiguration, type RunSettings, type TargetEndpoint } from './config.js';
import { createSuiteContext, type SuiteContext } from './context.js';

/**
 * The settled run: the target, the settings and what the target can do, settled once by the global setup
 * (global-setup.ts) and provided to every conformance test file (`inject('ibeeRun')`) and to the runner.
 */
export interface SettledRun {
  readonly endpoint: TargetEndpoint;
  readonly settings: RunSettings;
  /** Probed once, when the run is settled. */
  readonly capabilities: Capabilities;
  /** Shared journal of created resources (see cleanup.ts); null when the run has none. */
  readonly journalFile: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run as the CLI settled it, for the global setup; absent when vitest runs the project directly. */
    ibeeRunConfiguration?: RunConfiguration;
    /** The settled run, for the test files. */
    ibeeRun: SettledRun;
  }
}

/** The requirements whose checks judge the mock-only billing routes where the target serves them. */
const billingRouteRequirements = ['BILLING-SCOPE', 'WORKSPACE-REQUIRED', 'WORKSPACE-ISOLATION', 'REST-SCOPE-NAMES'];

export interface SettleOptions {
  /**
   * Also probe what only a token can show (which mock-only billing routes the target serves), with a token the
   * run's driver makes and removes at once: the conformance run's global setup does. Otherwise those capabilities
   * are recorded as not probed.
   */
  readonly probeWithToken?: boolean;
}

/**
 * Settles a run on `endpoint`: the target's capabilities are probed here, once for the whole run. Those that need
 * a token get it from the run's own driver, in a context of their own that removes what it made.
 */
export async function settleRun(run: Omit<SettledRun, 'capabilities'>, options: SettleOptions = {}): Promise<SettledRun> {
  const withoutToken = await probeCapabilities(run.endpoint);
  const notProbed = (reason: string): SettledRun => ({ ...run, capabilities: { ...withoutToken, billingReadRoutes: [], billingReadRoutesReason: reason } });
  const { only } = run.settings;
  if (!options.probeWithToken) return notProbed('the mock-only billing routes were not probed in this run');
  if (only && !only.some((id) => billingRouteRequirements.includes(id))) return notProbed('the mock-only billing routes were not probed: --only selects no requirement judged on them');
  if (run.endpoint.apiUrl === null) return notProbed(`the mock-only billing routes were not probed: ${noRestApiReason}`);
  let context: SuiteContext | null = null;
  try {
    context = await createSuiteContext(notProbed('probing'));
    return { ...run, capabilities: { ...withoutToken, ...(await probeBillingReadRoutes(context)) } };
  } catch (error) {
    return notProbed(`the mock-only billing routes could not be probed: ${(error as Error).message}`);
  } finally {
    await context?.dispose().catch(() => undefined);
  }
}
