import { probeCapabilities, type Capabilities } from './capabilities.js';
import type { RunConfiguration, RunSettings, TargetEndpoint } from './config.js';

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

/** Settles a run on `endpoint`: the target's capabilities are probed here, once for the whole run. */
export async function settleRun(run: Omit<SettledRun, 'capabilities'>): Promise<SettledRun> {
  return { ...run, capabilities: await probeCapabilities(run.endpoint) };
}
