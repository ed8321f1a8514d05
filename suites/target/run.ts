import { inject } from 'vitest';
import type { RunSettings, TargetEndpoint } from './config.js';

/**
 * The settled run: the target and the settings, settled once by the global setup (global-setup.ts) and provided
 * to every conformance test file.
 */
export interface SettledRun {
  readonly endpoint: TargetEndpoint;
  readonly settings: RunSettings;
  /** Shared journal of created resources (see cleanup.ts); null when the run has none. */
  readonly journalFile: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    ibeeRun: SettledRun;
  }
}

/** The run settled by the global setup (target, seed, prefix), inside a conformance test file. */
export function currentRun(): SettledRun {
  return inject('ibeeRun');
}
