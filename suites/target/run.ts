import { inject } from 'vitest';
import type { RunInfo } from './context.js';

declare module 'vitest' {
  export interface ProvidedContext {
    ibeeRun: RunInfo;
  }
}

/** The run settled by the global setup (target, seed, prefix), inside a conformance test file. */
export function currentRun(): RunInfo {
  return inject('ibeeRun');
}
