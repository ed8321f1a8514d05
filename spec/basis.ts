import type { SourceTag } from './sources.js';

/**
 * How sure we are of a rule: `documented` (IBEE says so), `inferred` (S3/R2 semantics fill a gap the docs leave),
 * `ambiguous` (sources disagree or are silent; the suite records what a target does without judging it).
 */
export type Basis = 'documented' | 'inferred' | 'ambiguous';

/** Requirement level, which follows from the basis: MUST gates CI, SHOULD is scored, INFO is only observed. */
export type RequirementLevel = 'MUST' | 'SHOULD' | 'INFO';

export function levelOf(basis: Basis): RequirementLevel {
  switch (basis) {
    case 'documented':
      return 'MUST';
    case 'inferred':
      return 'SHOULD';
    case 'ambiguous':
      return 'INFO';
  }
}

/** A single documented (or inferred) fact: a bound, a format, a rule, with where it comes from. */
export interface Fact<T> {
  /** Stable id, e.g. `LIMIT-TOKEN-EXPIRY-DAYS`. */
  readonly id: string;
  /** One line in plain words. */
  readonly statement: string;
  readonly basis: Basis;
  /** Tags into `sources`; the first one is the primary source. */
  readonly sources: readonly [SourceTag, ...SourceTag[]];
  readonly value: T;
  /** Why, where the basis is not `documented`. */
  readonly note?: string;
}
