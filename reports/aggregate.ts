import { isRequirementId, requirements as catalogue, type Requirement } from '../spec/index.js';
import type { Expectations } from './expectations.js';
import { redactCheck, redactText, type RedactOptions } from './redact.js';
import type {
  CheckRecord,
  RequirementResult,
  RequirementStatus,
  Results,
  ResultsSummary,
} from './results-format.js';

/** Everything about a run except its checks: who ran what against which target. */
export interface RunInfo {
  readonly tool: Results['tool'];
  readonly target: Results['target'];
  readonly started_at: string;
  readonly finished_at: string;
  readonly seed: number;
  readonly runs: number;
  readonly shard?: string;
  readonly only?: readonly string[];
  /** Problems of the run itself, already known (vitest errors, unreadable check lines). */
  readonly errors?: readonly string[];
  /**
   * The command that re-runs this run against the same target (without secrets); the aggregator appends
   * `--only ID --seed S` to build a replay for failures whose check did not record its own.
   */
  readonly replayBase?: string;
  /** Set when merging: the inputs joined, the sum of their durations and the wall-clock span they cover. */
  readonly merged?: { readonly inputs: number; readonly durationMs: number; readonly wallClockMs: number };
}

export interface AggregateOptions extends RedactOptions {
  readonly expectations?: Expectations;
}

/** The reason every requirement left out by `--only` carries (results.json `reason`). */
export const notSelectedReason = 'Not selected (--only).';

const allStatuses: readonly RequirementStatus[] = ['passed', 'failed', 'not_applicable', 'observed', 'skipped'];

/** Whether a record speaks for `id` as evidence of its main statement, rather than only supporting it. */
export function isMainEvidence(check: Pick<CheckRecord, 'supporting'>, id: string): boolean {
  return !(check.supporting ?? []).includes(id);
}

function unique(texts: readonly (string | undefined)[]): string[] {
  return [...new Set(texts.filter((t): t is string => !!t))];
}

/**
 * Folds the checks of one requirement into its status. No claim without evidence: a requirement is passed only
 * when a check of its main statement ran and passed; any failure, supporting or not, fails it; otherwise it is
 * not_applicable (or skipped, when the main statement's check did not run at all) with the reasons recorded.
 */
function statusOf(req: Requirement, checks: readonly CheckRecord[]): { status: RequirementStatus; reason?: string } {
  if (checks.length === 0) return { status: 'skipped', reason: 'No check recorded for this requirement in this run.' };
  const unrun = (c: CheckRecord): boolean => c.status === 'not_applicable' || c.status === 'skipped';
  // Ambiguous points are recorded, never judged: what the target did is the result.
  if (req.level === 'INFO' && checks.some((c) => !unrun(c))) return { status: 'observed' };
  if (checks.some((c) => c.status === 'failed')) return { status: 'failed' };
  if (checks.some((c) => c.status === 'passed' && isMainEvidence(c, req.id))) return { status: 'passed' };
  const main = checks.filter((c) => isMainEvidence(c, req.id));
  const mainUnrun = main.filter(unrun);
  const reasons = unique([...mainUnrun, ...checks.filter((c) => unrun(c) && !isMainEvidence(c, req.id))].map((c) => c.reason ?? c.message));
  const supportingPassed = unique(checks.filter((c) => c.status === 'passed').map((c) => c.check));
  const observations = unique(main.filter((c) => c.status === 'observed').map((c) => c.check));
  if (mainUnrun.length === 0) reasons.unshift('No check of its main statement was recorded in this run.');
  if (supportingPassed.length > 0) reasons.push(`Only supporting evidence passed (${supportingPassed.join(', ')}).`);
  if (observations.length > 0) reasons.push(`Only observations were recorded (${observations.join(', ')}), and this requirement is judged, not observed.`);
  const reason = reasons.join(' ') || undefined;
  const skipped = mainUnrun.length === 0 || mainUnrun.some((c) => c.status === 'skipped');
  return { status: skipped ? 'skipped' : 'not_applicable', ...(reason !== undefined ? { reason } : {}) };
}

function observedOf(checks: readonly CheckRecord[]): unknown {
  const observed = checks.filter((c) => c.observed !== undefined);
  if (observed.length === 0) return undefined;
  if (observed.length === 1) return observed[0]!.observed;
  return observed.map((c) => ({ check: c.check, observed: c.observed }));
}

/**
 * The records as reports show them: narrowed to the `--only` selection, redacted, and every failure given a replay
 * command (when the suite did not record one) that re-runs its requirements with its seed. Idempotent, so shards can be prepared again on merge.
 */
export function prepareChecks(rawChecks: readonly CheckRecord[], run: RunInfo, options: RedactOptions = {}): CheckRecord[] {
  const only = selection(run);
  return rawChecks.flatMap((raw) => {
    const narrowed = only ? narrowToSelection(raw, only) : raw;
    if (!narrowed) return [];
    const check = redactCheck(narrowed, options);
    if (check.status !== 'failed' || !run.replayBase) return [check];
    if (check.replay) return [{ ...check, replay: completeReplay(check.replay, run.replayBase) }];
    if (check.requirementIds.length === 0) return [check];
    const seed = check.seed ?? run.seed;
    return [{ ...check, replay: `${run.replayBase} --only ${check.requirementIds.join(',')} --seed ${seed} --out ${replayOutDir(seed, check.requirementIds)}` }];
  });
}

/**
 * Where a replay writes its reports: a folder of its own, named after the seed and the requirements it re-runs, so
 * that replaying a failure never overwrites the reports of the run it came from.
 */
export function replayOutDir(seed: number, requirementIds: readonly string[]): string {
  const first = requirementIds[0]?.toLowerCase() ?? 'run';
  const more = requirementIds.length > 1 ? `-and-${requirementIds.length - 1}-more` : '';
  return `reports/out/replay-${seed}-${first}${more}`;
}

/** The requirement ids a `--only` run judges, or null when the run was not narrowed. */
function selection(run: Pick<RunInfo, 'only'>): ReadonlySet<string> | null {
  return run.only && run.only.length > 0 ? new Set(run.only) : null;
}

/**
 * With `--only`, a check that ran because it speaks for a selected requirement often speaks for others too: its
 * record is kept for the selected ids only (and its replay narrowed to them), so that no unselected requirement is
 * ever judged; a record that speaks for none of them is dropped. Idempotent.
 */
function narrowToSelection(check: CheckRecord, only: ReadonlySet<string>): CheckRecord | null {
  const kept = check.requirementIds.filter((id) => only.has(id));
  if (kept.length === 0) return null;
  if (kept.length === check.requirementIds.length) return check;
  const replay = check.replay?.replace(/--only \S+/, `--only ${kept.join(',')}`);
  const supporting = check.supporting?.filter((id) => only.has(id));
  const { supporting: _all, ...rest } = check;
  return { ...rest, requirementIds: kept, ...(supporting && supporting.length > 0 ? { supporting } : {}), ...(replay !== undefined ? { replay } : {}) };
}

const runCommand = 'npx ibee-conformance run';

/**
 * A suite knows the seed and requirement of a failure but not how the CLI was pointed at the target: its
 * `npx ibee-conformance run --seed S --only ID` gets the run's target flags in front (later flags win).
 */
function completeReplay(replay: string, replayBase: string): string {
  if (replay.startsWith(replayBase) || !replay.startsWith(`${runCommand} `) || !replayBase.startsWith(runCommand)) return replay;
  return `${replayBase}${replay.slice(runCommand.length)}`;
}

function scoreOf(results: readonly RequirementResult[]): ResultsSummary['must'] {
  const passed = results.filter((r) => r.status === 'passed').length;
  const failed = results.filter((r) => r.status === 'failed').length;
  const applicable = passed + failed;
  return { passed, failed, applicable, score: applicable === 0 ? null : passed / applicable };
}

/**
 * Builds Results from the raw check records: requirement metadata from spec/, one status per requirement (a
 * requirement fails if any of its checks failed and passes only on a passed check of its main statement; with no
 * check it is skipped; INFO requirements are observed),
 * every record redacted, the expectations applied.
 */
export function aggregate(rawChecks: readonly CheckRecord[], run: RunInfo, options: AggregateOptions = {}): Results {
  const expectations = options.expectations ?? new Map<string, RequirementStatus>();
  const checks = prepareChecks(rawChecks, run, options);
  const errors = (run.errors ?? []).map((e) => redactText(e, options));
  // The raw records: narrowing to an --only selection must not hide a check that names an unknown id.
  for (const check of rawChecks) {
    for (const id of check.requirementIds) {
      if (!isRequirementId(id)) errors.push(`Check "${check.check}" names unknown requirement id "${id}".`);
    }
  }
  const only = selection(run);

  const requirementResults: RequirementResult[] = catalogue.map((req) => {
    // Not selected: never judged, whatever checks ran (prepareChecks already narrowed them to the selection).
    const selected = !only || only.has(req.id);
    const own = selected ? checks.filter((c) => c.requirementIds.includes(req.id)) : [];
    const judged = selected ? statusOf(req, own) : { status: 'skipped' as const, reason: notSelectedReason };
    const status = judged.status;
    const reason = judged.reason;
    const firstFailed = own.find((c) => c.status === 'failed');
    const expected = expectations.get(req.id);
    const observed = req.level === 'INFO' || status === 'observed' ? observedOf(own) : undefined;
    const counterexample = firstFailed?.counterexample;
    const replay = firstFailed?.replay;
    return {
      id: req.id,
      title: req.title,
      area: req.area,
      level: req.level,
      basis: req.basis,
      sources: req.sources,
      status,
      ...(reason !== undefined ? { reason } : {}),
      ...(expected !== undefined ? { expected } : {}),
      checks: own,
      ...(counterexample !== undefined ? { counterexample } : {}),
      ...(replay !== undefined ? { replay } : {}),
      ...(observed !== undefined ? { observed } : {}),
    };
  });

  const byStatus = Object.fromEntries(allStatuses.map((s) => [s, requirementResults.filter((r) => r.status === s).length])) as Record<
    RequirementStatus,
    number
  >;
  const summary: ResultsSummary = {
    total: requirementResults.length,
    byStatus,
    must: scoreOf(requirementResults.filter((r) => r.level === 'MUST')),
    should: scoreOf(requirementResults.filter((r) => r.level === 'SHOULD')),
    unexpectedFailures: requirementResults
      .filter((r) => r.level === 'MUST' && r.status === 'failed' && r.expected !== 'failed')
      .map((r) => r.id),
    unexpectedPasses: requirementResults.filter((r) => r.expected === 'failed' && r.status === 'passed').map((r) => r.id),
    checks: { total: checks.length, failed: checks.filter((c) => c.status === 'failed').length },
    durationMs: run.merged?.durationMs ?? Math.max(0, Date.parse(run.finished_at) - Date.parse(run.started_at)),
  };

  return {
    tool: run.tool,
    target: run.target,
    started_at: run.started_at,
    finished_at: run.finished_at,
    seed: run.seed,
    runs: run.runs,
    ...(run.shard !== undefined ? { shard: run.shard } : {}),
    ...(only ? { only: [...only] } : {}),
    ...(run.merged ? { merged: { inputs: run.merged.inputs, wallClockMs: run.merged.wallClockMs } } : {}),
    requirements: requirementResults,
    summary,
    ...(errors.length > 0 ? { errors } : {}),
  };
}

export interface GateVerdict {
  /** True when CI may pass: no MUST failure beyond the expectations, and the run itself worked. */
  readonly ok: boolean;
  readonly reasons: readonly string[];
}

export function gate(results: Results): GateVerdict {
  const reasons: string[] = [];
  for (const id of results.summary.unexpectedFailures) reasons.push(`MUST requirement ${id} failed (not listed in the expectations).`);
  for (const error of results.errors ?? []) reasons.push(`Run error: ${error}`);
  return { ok: reasons.length === 0, reasons };
}
