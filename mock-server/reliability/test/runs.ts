/**
 * How many cases a fuzzing property runs: `base` by default (sized so that each file stays well under a minute on
 * two cores), scaled by RELIABILITY_FUZZ_SCALE (e.g. 0.1 for a quick local look, 10 for a soak run).
 */
export function fuzzRuns(base: number): number {
  const scale = Number(process.env.RELIABILITY_FUZZ_SCALE ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}
