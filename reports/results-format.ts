import type { Basis, RequirementLevel } from '../spec/index.js';

/**
 * The results format: what the suites record and the reports render. `results.json` is a public interface that
 * users' CI reads; extend it compatibly, never rename or drop a field.
 */

export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'not_applicable' | 'observed';

/** One HTTP exchange kept as evidence, with every secret already redacted. */
export interface Evidence {
  readonly request: { readonly method: string; readonly url: string; readonly headers?: Record<string, string>; readonly body?: string };
  readonly response?: { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string };
  readonly note?: string;
  /** For an S3 request: the operation, the access key id that signed it, and S3's error code, message and request id. */
  readonly s3?: S3Exchange;
}

/** What identifies an S3 request and its answer (no secret: the access key id names a key, it does not unlock it). */
export interface S3Exchange {
  readonly operation: string;
  readonly accessKeyId: string | null;
  /** S3 error code (`AccessDenied`, …), or the network cause when no answer came; null on success. */
  readonly code: string | null;
  readonly message: string | null;
  /** `x-amz-request-id` of the answer. */
  readonly requestId: string | null;
}

/**
 * One named check, as a suite records it (one JSON object per line in the checks file while a run goes on).
 * A check may speak for several requirements.
 */
export interface CheckRecord {
  /** Registered check name, e.g. `permissions.matrix-cell`. */
  readonly check: string;
  readonly requirementIds: readonly string[];
  /**
   * The ids of `requirementIds` this record is only supporting evidence for: it shows part of what they say, not
   * their main statement (e.g. the run-wide leak scan for SECRET-ONCE). A requirement is passed only on a passed
   * record that is not supporting for it; a failed supporting record fails it all the same.
   */
  readonly supporting?: readonly string[];
  readonly status: CheckStatus;
  /** Clear failure (or observation) message. */
  readonly message?: string;
  /** Why a check is not_applicable or skipped. */
  readonly reason?: string;
  /** Shrunk counterexample, printed as fast-check prints it, redacted. */
  readonly counterexample?: string;
  readonly seed?: number;
  /** fast-check path that, with the seed, replays the failure. */
  readonly path?: string;
  /** A command line that re-runs exactly this failure. */
  readonly replay?: string;
  /** For INFO requirements: what the endpoint did. */
  readonly observed?: unknown;
  /** For permission-matrix checks: one cell of the grid. */
  readonly cell?: MatrixCellResult;
  readonly evidence?: readonly Evidence[];
  readonly durationMs?: number;
}

export interface MatrixCellResult {
  readonly operation: string;
  readonly level: string;
  readonly scope: 'in_scope' | 'out_of_scope';
  readonly expected: 'allow' | 'deny';
  readonly observed: 'allow' | 'deny' | 'error' | 'not_run';
  readonly detail?: string;
}

export type RequirementStatus = 'passed' | 'failed' | 'not_applicable' | 'observed' | 'skipped';

export interface RequirementResult {
  readonly id: string;
  readonly title: string;
  readonly area: string;
  readonly level: RequirementLevel;
  readonly basis: Basis;
  readonly sources: readonly string[];
  readonly status: RequirementStatus;
  /** Why the requirement is skipped or not_applicable (e.g. no check recorded, not selected by --only). */
  readonly reason?: string;
  /** Whether the expectations file listed this requirement's status (a known deviation). */
  readonly expected?: RequirementStatus;
  readonly checks: readonly CheckRecord[];
  readonly counterexample?: string;
  readonly replay?: string;
  readonly observed?: unknown;
}

export interface ResultsSummary {
  readonly total: number;
  readonly byStatus: Record<RequirementStatus, number>;
  readonly must: { readonly passed: number; readonly failed: number; readonly applicable: number; readonly score: number | null };
  readonly should: { readonly passed: number; readonly failed: number; readonly applicable: number; readonly score: number | null };
  /** MUST failures not listed in the expectations file: any of these fails the run. */
  readonly unexpectedFailures: readonly string[];
  /** Requirements listed as failing in the expectations file that passed. */
  readonly unexpectedPasses: readonly string[];
  readonly checks: { readonly total: number; readonly failed: number };
  /** How long the run took; for a merge, the sum of the merged runs' durations (see `Results.merged`). */
  readonly durationMs: number;
}

export interface Results {
  readonly tool: { readonly name: string; readonly version: string };
  readonly target: {
    readonly api_url: string;
    readonly s3_endpoint: string;
    readonly driver: string;
    readonly embedded: boolean;
    readonly capabilities: Record<string, boolean | string>;
  };
  readonly started_at: string;
  readonly finished_at: string;
  readonly seed: number;
  readonly runs: number;
  readonly shard?: string;
  /** The requirement ids selected by `--only`, when the run was narrowed. */
  readonly only?: readonly string[];
  /**
   * Set by `merge`: how many run outputs were joined, and the wall-clock span from the first start to the last
   * finish (`summary.durationMs` is then the sum of their durations, without the gaps between them).
   */
  readonly merged?: { readonly inputs: number; readonly wallClockMs: number };
  readonly requirements: readonly RequirementResult[];
  readonly summary: ResultsSummary;
  /**
   * Problems of the run itself rather than of the target: a test that failed without recording a check, an
   * unhandled error, an unreadable checks line, a check naming an unknown requirement. Any of these fails the run.
   */
  readonly errors?: readonly string[];
}

/** The target as the suites resolved and probed it (what `Results.target` holds). */
export type TargetRecord = Results['target'];
