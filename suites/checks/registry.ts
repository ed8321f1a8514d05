import type { TaskMeta } from '@vitest/runner';
import fc from 'fast-check';
import { replayOutDir } from '../../reports/aggregate.js';
import { redactRecordedText } from '../../reports/redact.js';
import type { CheckRecord, Evidence, MatrixCellResult } from '../../reports/results-format.js';
import { isRequirementId } from '../../spec/index.js';
import { DriverCannot } from '../target/driver.js';
import { concurrencyOf, mapConcurrently } from '../target/concurrency.js';
import type { RunSettings } from '../target/config.js';
import type { SuiteContext } from '../target/context.js';
import { declareSupporting, recordCheck, recordedChecks } from './record.js';

/**
 * A registry of named checks, like Schemathesis': each check has a name and the requirement ids it speaks for, and
 * every run of it records CheckRecords. Failures name the requirement id, carry fast-check's shrunk counterexample,
 * seed and path, and fail the vitest test too.
 */

export interface CheckDefinition {
  readonly name: string;
  readonly requirementIds: readonly [string, ...string[]];
  readonly summary: string;
  /** The conformance file whose tests run it (suites/AREA.conformance.ts). */
  readonly area: string;
  /** The check itself: runs against its area's suite context and reports through `rec`. */
  readonly run: (ctx: SuiteContext, rec: CheckRecorder) => Promise<void>;
  /** Whether a passing run adds one summary record for its ids (off for checks made of cells or observations). */
  readonly summarize?: boolean;
  /** The requirement ids a passing run speaks for, when fewer than `requirementIds` (e.g. without time travel). */
  readonly summaryIds?: (ctx: SuiteContext) => readonly string[];
  /**
   * The ids of `requirementIds` this check gives only supporting evidence for: it shows part of what they say but
   * not their main statement (the run-wide leak scan for SECRET-ONCE, the grid's PostObject cells for PRESIGNED-POST).
   * Its records say so (`supporting`): their passing alone never makes such a requirement passed, a failure still
   * fails it. Every other id is judged on its main statement.
   */
  readonly supporting?: readonly string[];
  /**
   * Checks of the same area whose results this one judges (the permission grids' observations): it starts once
   * they have finished. They must be defined before it.
   */
  readonly dependsOn?: readonly CheckDefinition[];
  /**
   * Why this check runs alone: it changes what every other check would see (it moves the target's clock), or it
   * judges state that other checks change (the list of all buckets). It starts once every check defined before it
   * in its file has finished, and the checks defined after it start once it has. Every other check may run at the
   * same time as others of its file (`--concurrency`).
   */
  readonly runsAlone?: string;
}

const registry = new Map<string, CheckDefinition>();

/** Registers a check; a conformance file runs the checks of its area in the order they were defined. */
export function defineCheck(definition: CheckDefinition): CheckDefinition {
  for (const id of definition.requirementIds) if (!isRequirementId(id)) throw new Error(`check ${definition.name}: unknown requirement id ${id}`);
  for (const id of definition.supporting ?? []) {
    if (!definition.requirementIds.includes(id)) throw new Error(`check ${definition.name}: supporting id ${id} is not one of its requirement ids`);
  }
  const existing = registry.get(definition.name);
  if (existing) return existing;
  for (const dependency of definition.dependsOn ?? []) {
    if (dependency.area !== definition.area || registry.get(dependency.name) !== dependency) {
      throw new Error(`check ${definition.name}: it depends on ${dependency.name}, which must be a check of area ${definition.area} defined before it`);
    }
  }
  registry.set(definition.name, definition);
  declareSupporting(definition.name, definition.supporting ?? []);
  return definition;
}

export function registeredChecks(): readonly CheckDefinition[] {
  return [...registry.values()];
}

/** The checks of one area, in the order they were defined. */
export function checksOf(area: string): readonly CheckDefinition[] {
  return registeredChecks().filter((check) => check.area === area);
}

/**
 * State the checks of one area share within one suite (one conformance file, one SuiteContext): made by `make` the
 * first time a check asks, then handed to every check of that suite. Checks of a suite run at the same time, so a
 * set-up is made as a promise (made once, awaited by every check that asks while it is under way).
 */
export function perSuite<T>(make: (ctx: SuiteContext) => T): (ctx: SuiteContext) => T {
  const made = new WeakMap<SuiteContext, T>();
  return (ctx) => {
    if (!made.has(ctx)) made.set(ctx, make(ctx));
    return made.get(ctx) as T;
  };
}

/** IBEE_ONLY: a check runs when it speaks for any of the selected requirements. */
export function isSelected(definition: CheckDefinition, only: readonly string[] | null): boolean {
  return only === null || definition.requirementIds.some((id) => only.includes(id));
}

/** A broken rule, found by a check: the message always starts with the requirement id. */
export class RequirementViolation extends Error {
  override readonly name = 'RequirementViolation';
  constructor(
    readonly requirementId: string,
    detail: string,
    readonly evidence: readonly Evidence[] = [],
  ) {
    super(`[${requirementId}] ${detail}`);
  }
}

/** The check cannot be exercised on this target (driver or capability missing). */
export class NotApplicable extends Error {
  override readonly name = 'NotApplicable';
}

/** A fast-check property that failed, with everything needed to replay it. */
export class PropertyFailure extends Error {
  override readonly name = 'PropertyFailure';
  constructor(
    message: string,
    readonly requirementId: string | null,
    readonly counterexample: string,
    readonly seed: number,
    readonly path: string,
    readonly evidence: readonly Evidence[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The command that re-runs the requirements a failure was recorded for (all of them, comma-separated), writing its
 * reports to a folder of its own rather than over the run's.
 */
export function replayCommand(seed: number, requirementIds: string | readonly string[], path?: string): string {
  const ids = typeof requirementIds === 'string' ? [requirementIds] : requirementIds;
  return `npx ibee-conformance run --seed ${seed} --only ${ids.join(',')} --out ${replayOutDir(seed, ids)}${path ? `  # fast-check path ${path}` : ''}`;
}

/** An error as a failure message shows it: its message, with its name unless it is a plain Error. */
function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name && cause.name !== 'Error' ? `${cause.name}: ` : ''}${cause.message}`;
  return cause === undefined || cause === null ? 'property failed' : String(cause);
}

/**
 * What runCheck needs of the run settings; `only` (IBEE_ONLY) lets it say when a check stopped at an unselected id,
 * and the records go to `checksFile` too when there is one.
 */
export type CheckSettings = Pick<RunSettings, 'seed' | 'runs'> & { readonly only?: RunSettings['only']; readonly checksFile?: RunSettings['checksFile'] };

export interface PropertyOptions {
  /**
   * Each run makes what it uses (tokens, buckets, keys under names of its own) and changes nothing another run
   * depends on: the runs may then go `--concurrency` at a time (see assertProperty).
   */
  readonly independentRuns?: boolean;
}

type AnyProperty<Ts> = fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>;

/** What a run of a property came to: null (passed), a failure, or a precondition's skip. */
type RunOutcome = Awaited<ReturnType<fc.IAsyncPropertyWithHooks<unknown>['run']>>;

/** A run that failed, ending the runs made at the same time (`mapConcurrently` throws the first in order). */
class RunFailed extends Error {
  constructor() {
    super('a run failed');
  }
}

/**
 * The first runs fast-check would make of `property` (the same values, in the same order), made `concurrency` at a
 * time, until one fails: the outcomes of the runs that were made, in order, up to the first failure, or up to a run
 * that was not made. All `runs` of them passed when there are `runs` outcomes and all are null. A run skipped by a
 * precondition does not stop the others: fast-check, taking over, draws one more value for it.
 */
async function firstRuns<Ts>(property: AnyProperty<Ts>, settings: Pick<RunSettings, 'seed' | 'runs'>, concurrency: number, parameters: fc.Parameters<Ts>): Promise<RunOutcome[]> {
  // fc.sample takes an object without an own `isAsync` for an arbitrary, whose values it would draw with another
  // bias than fc.check draws a property's: handed as a property, it draws exactly what fc.check runs.
  const asProperty = { isAsync: () => property.isAsync(), generate: property.generate.bind(property), shrink: property.shrink.bind(property), run: property.run.bind(property) };
  const values = fc.sample(asProperty as unknown as fc.IRawProperty<Ts>, { ...parameters, seed: settings.seed, numRuns: settings.runs });
  const made = new Map<number, RunOutcome>();
  await mapConcurrently(values, concurrency, async (value, index) => {
    await property.runBeforeEach();
    const outcome = await property.run(value);
    await property.runAfterEach();
    made.set(index, outcome);
    if (outcome !== null && !fc.PreconditionFailure.isFailure(outcome)) throw new RunFailed();
  }).catch((error: unknown) => {
    if (!(error instanceof RunFailed)) throw error;
  });
  // What fast-check would have seen, one run after the other: a failure ends it (then it shrinks).
  const outcomes: RunOutcome[] = [];
  for (let index = 0; made.has(index); index += 1) {
    const outcome = made.get(index)!;
    outcomes.push(outcome);
    if (outcome !== null && !fc.PreconditionFailure.isFailure(outcome)) break;
  }
  return outcomes;
}

/**
 * `property` for fast-check to judge after `outcomes`, the outcomes of its first runs, were had: its first runs
 * answer those outcomes without being made again; every later run (a value drawn after a skip, the shrinking of a
 * failure) is made as usual. fast-check then reports exactly what it would have, one run after the other.
 */
function resumedAfter<Ts>(property: AnyProperty<Ts>, outcomes: readonly RunOutcome[]): fc.IAsyncPropertyWithHooks<Ts> {
  let calls = 0;
  const had = (): boolean => calls < outcomes.length;
  return {
    isAsync: () => true,
    generate: (mrng, runId) => property.generate(mrng, runId),
    shrink: (value) => property.shrink(value),
    runBeforeEach: async () => {
      if (!had()) await property.runBeforeEach();
    },
    run: async (value) => {
      const index = calls;
      calls += 1;
      return index < outcomes.length ? outcomes[index]! : ((await property.run(value)) as RunOutcome);
    },
    runAfterEach: async () => {
      if (calls > outcomes.length) await property.runAfterEach();
    },
  } as fc.IAsyncPropertyWithHooks<Ts>;
}

/**
 * Runs a property with the run's seed and numRuns. On failure it throws a PropertyFailure whose message names the
 * requirement id (from the RequirementViolation the property threw, else `fallbackId`) and contains fast-check's own
 * report: shrunk counterexample, seed and path.
 *
 * A property whose runs are independent (`options.independentRuns`) has its runs made `--concurrency` at a time,
 * with the values fast-check draws, until one fails. When one did, or a precondition skipped one, fast-check takes
 * over from there: it is handed those outcomes as its first runs and goes on one run at a time (drawing a value for
 * each skipped run, shrinking a failure), so that the verdict and the report are those of a run at concurrency 1,
 * and no run that was made is made again. Runs started after the failed one (they were in flight) are the only
 * runs concurrency 1 would not have made.
 */
export async function assertProperty<Ts>(
  property: AnyProperty<Ts>,
  settings: Pick<RunSettings, 'seed' | 'runs' | 'concurrency'>,
  fallbackId: string,
  parameters: fc.Parameters<Ts> = {},
  options: PropertyOptions = {},
): Promise<void> {
  const concurrency = concurrencyOf(settings);
  // A replay (`path`) and parameters that change which runs are made (time limits, skipping equal values) leave the
  // runs to fast-check.
  const fastCheckDecides = (['path', 'timeout', 'interruptAfterTimeLimit', 'skipAllAfterTimeLimit', 'skipEqualValues', 'ignoreEqualValues'] as const).some(
    (name) => parameters[name] !== undefined && parameters[name] !== '',
  );
  let judged: AnyProperty<Ts> = property;
  if (options.independentRuns && concurrency > 1 && !fastCheckDecides) {
    const outcomes = await firstRuns(property, settings, concurrency, parameters);
    if (outcomes.length === settings.runs && outcomes.every((outcome) => outcome === null)) return;
    judged = resumedAfter(property, outcomes);
  }
  const details = await fc.check(judged as fc.IAsyncPropertyWithHooks<Ts>, { seed: settings.seed, numRuns: settings.runs, ...parameters });
  if (!details.failed) return;
  const cause = details.errorInstance;
  const violation = cause instanceof RequirementViolation ? cause : null;
  const requirementId = violation?.requirementId ?? fallbackId;
  const counterexample = redactRecordedText(details.counterexample === null ? '(none)' : fc.stringify(details.counterexample));
  const report = redactRecordedText(fc.defaultReportMessage(details) ?? `Property failed after ${details.numRuns} tests`);
  // What stopped the property leads the message: the violation, or the error (an answer no rule expects, a broken fixture).
  const detail = violation ? violation.message.replace(/^\[[^\]]+\] /, '') : `the property stopped on an error: ${describeCause(cause)}`;
  throw new PropertyFailure(
    `[${requirementId}] ${redactRecordedText(detail)}\n${report}`,
    requirementId,
    counterexample,
    details.seed,
    details.counterexamplePath ?? '',
    violation?.evidence ?? [],
    cause instanceof Error ? { cause } : undefined,
  );
}

/** What a check body may report besides plain success. */
export interface CheckRecorder {
  /** Keeps an exchange as evidence for a failure or an observation (first few only). */
  evidence(item: Evidence): void;
  /** Records a permission-grid cell as its own CheckRecord, with the exchanges it made as evidence. */
  cell(cell: MatrixCellResult, requirementIds: readonly string[], message?: string, evidence?: readonly Evidence[], informational?: boolean): void;
  /** Records what the target did for an INFO requirement. */
  observe(requirementId: string, observed: unknown, message: string, evidence?: readonly Evidence[]): void;
  /**
   * Says that this run could not judge the main statement of these requirements (`reason`): they are recorded
   * not_applicable with it, and what the check shows of them when it passes counts only as supporting evidence.
   */
  mainUnjudged(requirementIds: readonly string[], reason: string): void;
}

export interface CheckOptions {
  /** Whether to add one summary record for all requirement ids on success (off for checks made of cells/observations). */
  readonly summary?: boolean;
  /** The requirement ids a passing run speaks for, when fewer than the definition's (e.g. without time travel). */
  readonly summaryIds?: () => readonly string[];
}

/**
 * How a check's run ended, as its records say (a failure throws instead): passed (a record of a main statement
 * passed), observed, not_applicable or skipped, with the reasons for what did not run. Progress lines show it.
 */
export interface CheckOutcome {
  readonly status: 'passed' | 'failed' | 'observed' | 'not_applicable' | 'skipped';
  readonly reason?: string;
}

declare module '@vitest/runner' {
  interface TaskMeta {
    /** Set by a conformance test for its check (suites/target/suite.ts); read by the runner's progress reporter. */
    checkOutcome?: CheckOutcome;
  }
}

/** Runs a check inside a vitest test and leaves its outcome on the test's meta, where the progress reporter reads it. */
export async function runCheckInTest(task: { meta: TaskMeta }, ...args: Parameters<typeof runCheck>): Promise<CheckOutcome> {
  const outcome = await runCheck(...args);
  task.meta.checkOutcome = outcome;
  return outcome;
}

/** Folds the records of one run of a check into its outcome. */
export function outcomeOf(records: readonly CheckRecord[]): CheckOutcome {
  const unrun = records.filter((r) => r.status === 'not_applicable' || r.status === 'skipped');
  const reasons = [...new Set(unrun.map((r) => r.reason ?? r.message ?? ''))].filter((r) => r !== '');
  const because = reasons.length > 0 ? { reason: reasons.join('; ') } : {};
  if (records.some((r) => r.status === 'failed')) return { status: 'failed' };
  const passed = records.filter((r) => r.status === 'passed');
  if (passed.some((r) => r.requirementIds.some((id) => !(r.supporting ?? []).includes(id)))) {
    return { status: 'passed', ...(reasons.length > 0 ? { reason: `partly not applicable: ${reasons.join('; ')}` } : {}) };
  }
  // A check that only ever supports its requirements (the run-wide leak scan) passed as such, when nothing stopped it.
  if (passed.length > 0 && unrun.length === 0) {
    return { status: 'passed', reason: 'supporting evidence only' };
  }
  if (records.some((r) => r.status === 'observed')) return { status: 'observed', ...because };
  if (records.length === 0) return { status: 'skipped', reason: 'the check recorded nothing' };
  const supportingOnly = passed.length > 0 ? ['only supporting evidence passed'] : [];
  const reason = [...reasons, ...supportingOnly].join('; ');
  const status = records.every((r) => r.status === 'skipped') ? 'skipped' : 'not_applicable';
  return { status, ...(reason ? { reason } : {}) };
}

const maxEvidence = 6;

/** What leaves a check as an exception is redacted too, its causes included: vitest prints message, stack and cause. */
function scrubbed<E extends Error>(error: E): E {
  error.message = redactRecordedText(error.message);
  if (error.stack) error.stack = redactRecordedText(error.stack);
  if (error.cause instanceof Error && error.cause !== error) scrubbed(error.cause);
  return error;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? text;
}

/**
 * Runs one check body and records its outcome. Throws (so the vitest test fails) when the check failed; the thrown
 * message names the requirement id and, for properties, includes counterexample and seed. Otherwise returns what
 * the check's records say (passed, observed, not applicable, skipped).
 */
export async function runCheck(
  definition: CheckDefinition,
  settings: CheckSettings,
  body: (recorder: CheckRecorder) => Promise<void>,
  options: CheckOptions = {},
): Promise<CheckOutcome> {
  const started = Date.now();
  const recordedBefore = recordedChecks().length;
  const record = (check: CheckRecord): void => {
    recordCheck(check, settings.checksFile ?? null);
  };
  const evidence: Evidence[] = [];
  const cellFailures: string[] = [];
  const unjudged = new Set<string>();
  const recorder: CheckRecorder = {
    evidence(item) {
      if (evidence.length < maxEvidence) evidence.push(item);
    },
    cell(cell, requirementIds, message, cellEvidence, informational = false) {
      const passed = cell.observed === (cell.expected as string);
      // An informational cell (an ambiguous point) is recorded as observed, never passed or failed.
      const failed = !passed && cell.observed !== 'not_run' && !informational;
      if (failed) cellFailures.push(message ?? `${cell.operation} ${cell.level} ${cell.scope}: expected ${cell.expected}, observed ${cell.observed}`);
      record({
        check: definition.name,
        requirementIds,
        status: cell.observed === 'not_run' ? 'not_applicable' : informational ? 'observed' : passed ? 'passed' : 'failed',
        cell,
        ...(cell.observed === 'not_run' ? { reason: cell.detail ?? 'not run on this target' } : {}),
        ...(message ? { message } : {}),
        ...(cellEvidence && cellEvidence.length > 0 ? { evidence: cellEvidence } : {}),
        ...(failed ? { seed: settings.seed, replay: replayCommand(settings.seed, requirementIds.length > 0 ? requirementIds : definition.requirementIds) } : {}),
        ...(informational && cell.observed !== 'not_run' ? { observed: { expected: cell.expected, observed: cell.observed, detail: cell.detail } } : {}),
      });
    },
    observe(requirementId, observed, message, observationEvidence) {
      record({
        check: definition.name,
        requirementIds: [requirementId],
        status: 'observed',
        observed,
        message,
        ...(observationEvidence ? { evidence: observationEvidence } : {}),
      });
    },
    mainUnjudged(requirementIds, reason) {
      for (const id of requirementIds) unjudged.add(id);
      if (requirementIds.length > 0) record({ check: definition.name, requirementIds, status: 'not_applicable', reason });
    },
  };
  const base = { check: definition.name, seed: settings.seed };
  /**
   * A failure of one requirement stops the check before it judged the others it speaks for: they are recorded
   * skipped with that cause, rather than left without any record. Under IBEE_ONLY only the selected ones, and a
   * failure of an unselected requirement is named as such.
   */
  const stoppedAt = (failedId: string, cause: string, durationMs: number): void => {
    const only = settings.only;
    const others = definition.requirementIds.filter((id) => id !== failedId && (!only || only.includes(id)));
    if (others.length === 0) return;
    const reason =
      only && !only.includes(failedId)
        ? `check ${definition.name} stopped at a failure of ${failedId}, which --only did not select (replay with --only ${failedId} to see it)`
        : `check ${definition.name} stopped at a failure of ${failedId} before it judged this requirement: ${firstLine(cause)}`;
    record({ ...base, requirementIds: others, status: 'skipped', reason, durationMs });
  };
  const outcome = (): CheckOutcome => outcomeOf(recordedChecks().slice(recordedBefore).filter((r) => r.check === definition.name));
  try {
    await body(recorder);
  } catch (error) {
    const durationMs = Date.now() - started;
    if (error instanceof NotApplicable || error instanceof DriverCannot) {
      record({ ...base, requirementIds: definition.requirementIds, status: 'not_applicable', reason: error.message, durationMs });
      return outcome();
    }
    if (error instanceof PropertyFailure) {
      const id = error.requirementId ?? definition.requirementIds[0];
      record({
        ...base,
        requirementIds: [id],
        status: 'failed',
        message: error.message,
        counterexample: error.counterexample,
        seed: error.seed,
        path: error.path,
        replay: replayCommand(error.seed, id, error.path),
        evidence: [...error.evidence, ...evidence].slice(0, maxEvidence),
        durationMs,
      });
      stoppedAt(id, error.message, durationMs);
      throw scrubbed(error);
    }
    if (error instanceof RequirementViolation) {
      record({
        ...base,
        requirementIds: [error.requirementId],
        status: 'failed',
        message: error.message,
        replay: replayCommand(settings.seed, error.requirementId),
        evidence: [...error.evidence, ...evidence].slice(0, maxEvidence),
        durationMs,
      });
      stoppedAt(error.requirementId, error.message, durationMs);
      throw scrubbed(error);
    }
    // Anything else (a 500, a network error, a broken fixture) means the requirements could not be shown to hold.
    const message = `[${definition.requirementIds.join(', ')}] check ${definition.name} could not complete: ${(error as Error).message ?? String(error)}`;
    record({
      ...base,
      requirementIds: definition.requirementIds,
      status: 'failed',
      message,
      replay: replayCommand(settings.seed, definition.requirementIds),
      evidence: evidence.slice(0, maxEvidence),
      durationMs,
    });
    throw new Error(redactRecordedText(message), error instanceof Error ? { cause: scrubbed(error) } : undefined);
  }
  if (cellFailures.length > 0) {
    throw new Error(redactRecordedText(`${definition.name}: ${cellFailures.length} cell(s) failed:\n${cellFailures.slice(0, 20).join('\n')}`));
  }
  if (options.summary !== false) {
    const ids = options.summaryIds?.() ?? definition.requirementIds;
    const supporting = ids.filter((id) => unjudged.has(id));
    if (ids.length > 0) record({ ...base, requirementIds: ids, status: 'passed', ...(supporting.length > 0 ? { supporting } : {}), durationMs: Date.now() - started });
  }
  return outcome();
}
