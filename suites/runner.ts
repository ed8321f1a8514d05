import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import type { Reporter, TestCase, TestModule, TestRunEndReason, TestSpecification, Vitest } from 'vitest/node';
import { isRequirementId } from '../spec/index.js';
import { parseChecksJsonl, readChecksFile } from '../reports/checks-file.js';
import { redactText } from '../reports/redact.js';
import type { CheckRecord, TargetRecord } from '../reports/results-format.js';
import type { CheckOutcome } from './checks/registry.js';
import { packageInfo } from './package-root.js';
import { concurrencyOf } from './target/concurrency.js';
import { noRestApiUrl, type RunConfiguration } from './target/config.js';
import type { SettledRun } from './target/run.js';

/**
 * Runs the conformance project of vitest in this process, with the run the CLI settled (provided to the project's
 * global setup as `ibeeRunConfiguration`), and collects what the run recorded: the CheckRecords the suites appended
 * to the checks file, the target record, and problems of the run itself (a failing test that recorded no failed
 * check, a module that did not load, an unhandled error). Progress goes to the given stream (stderr), one line per
 * test.
 */

export interface SuiteRunOptions {
  /** The run's settings and target, as the CLI settled them (the checks file is added here). */
  readonly configuration: RunConfiguration;
  /** vitest shard, `index/count`. */
  readonly shard?: string;
  readonly progress: NodeJS.WritableStream;
  /** Values to scrub from progress output besides anything shaped like a credential (e.g. the management token). */
  readonly knownSecrets?: readonly string[];
  /** vitest config and project to run; the package's vitest.config.ts and `conformance` unless a test says otherwise. */
  readonly vitestConfig?: string;
  readonly project?: string;
}

export interface SuiteRunOutcome {
  readonly checks: CheckRecord[];
  readonly errors: string[];
  readonly target: TargetRecord | null;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly interrupted: boolean;
}

const requirementIdPattern = /\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b/g;

/** Requirement ids named in a test's full name or tags: how a failing test is tied to requirements. */
export function requirementIdsIn(texts: readonly string[]): string[] {
  return [...new Set(texts.flatMap((t) => t.match(requirementIdPattern) ?? []).filter(isRequirementId))];
}

/** fast-check's failure message carries the seed, the path and the shrunk counterexample; keep them. */
export function parsePropertyFailure(message: string): Pick<CheckRecord, 'seed' | 'path' | 'counterexample'> {
  const seed = /seed:\s*(-?\d+)/.exec(message)?.[1];
  const path = /path:\s*"([^"]*)"/.exec(message)?.[1];
  const counterexample = /Counterexample:\s*(.+)/.exec(message)?.[1];
  return {
    ...(seed !== undefined ? { seed: Number(seed) } : {}),
    ...(path !== undefined ? { path } : {}),
    ...(counterexample !== undefined ? { counterexample } : {}),
  };
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? text;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const maxReasonLength = 300;

function shortReason(reason: string): string {
  const line = firstLine(reason);
  return line.length > maxReasonLength ? `${line.slice(0, maxReasonLength)}…` : line;
}

/**
 * The progress line of a test vitest counts as passed: what its check's records say (set by the test as task meta),
 * so that a check that could not be exercised reads `○ … (not applicable: why)`, never as a pass. A test without
 * an outcome (not a registered check) is shown as vitest saw it.
 */
export function passedTestLine(fullName: string, durationMs: number, outcome: CheckOutcome | undefined): string {
  const duration = formatMs(durationMs);
  const why = outcome?.reason ? `: ${shortReason(outcome.reason)}` : '';
  switch (outcome?.status) {
    case 'not_applicable':
      return `  ○ ${fullName} (not applicable${why})`;
    case 'skipped':
      return `  - ${fullName} (skipped${why})`;
    case 'observed':
      return `  ◇ ${fullName} (${duration}, observed)`;
    case 'failed':
      return `  ✗ ${fullName} (${duration}): a record of the check failed`;
    case 'passed':
      return `  ✓ ${fullName} (${duration}${outcome.reason ? `; ${shortReason(outcome.reason)}` : ''})`;
    default:
      return `  ✓ ${fullName} (${duration})`;
  }
}

/** Counts the records in the checks file so far (reporter events arrive batched, so only totals are reliable). */
function countChecks(file: string): { total: number; failed: number } {
  if (!existsSync(file)) return { total: 0, failed: 0 };
  const { checks } = parseChecksJsonl(readFileSync(file, 'utf8'));
  return { total: checks.length, failed: checks.filter((c) => c.status === 'failed').length };
}

interface FailedTest {
  readonly fullName: string;
  readonly tags: readonly string[];
  readonly message: string;
  readonly durationMs: number;
}

/** Progress lines on the given stream, and the failed tests, to be matched with the checks afterwards. */
class ConformanceReporter implements Reporter {
  readonly failedTests: FailedTest[] = [];
  readonly errors: string[] = [];
  ended = false;
  modules = 0;
  /** The target as the global setup settled it, read while the target is still up. */
  target: TargetRecord | null = null;
  private tests = 0;
  /** Set as soon as vitest starts (startVitest itself resolves only when the run is over). */
  vitest: Vitest | null = null;

  constructor(
    private readonly checksFile: string,
    private readonly out: NodeJS.WritableStream,
    private readonly root: string,
    private readonly projectName: string,
    private readonly redact: (text: string) => string,
  ) {}

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  private line(text: string): void {
    this.out.write(`${this.redact(text)}\n`);
  }

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    this.line(`Running ${specifications.length} conformance file${specifications.length === 1 ? '' : 's'}…`);
  }

  onTestModuleStart(testModule: TestModule): void {
    this.modules += 1;
    this.line(`▶ ${relative(this.root, testModule.moduleId)}`);
  }

  onTestModuleEnd(testModule: TestModule): void {
    for (const error of testModule.errors()) {
      this.errors.push(`${relative(this.root, testModule.moduleId)}: ${error.name ?? 'Error'}: ${error.message}`);
    }
    const { total, failed } = countChecks(this.checksFile);
    this.line(`  ${total} check${total === 1 ? '' : 's'} recorded so far, ${failed} failed`);
  }

  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.result();
    const durationMs = testCase.diagnostic()?.duration ?? 0;
    this.tests += 1;
    if (result.state === 'skipped') {
      const note = result.note && result.note.length <= 100 ? `: ${result.note}` : '';
      this.line(`  - ${testCase.fullName} (skipped${note})`);
    } else if (result.state === 'passed') {
      this.line(passedTestLine(testCase.fullName, durationMs, testCase.meta().checkOutcome));
    } else {
      const message = result.state === 'failed' ? (result.errors[0]?.message ?? 'failed') : 'failed';
      this.failedTests.push({ fullName: testCase.fullName, tags: testCase.tags ?? [], message, durationMs });
      this.line(`  ✗ ${testCase.fullName} (${formatMs(durationMs)}): ${firstLine(message)}`);
    }
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<{ message: string; name?: string }>, reason: TestRunEndReason): void {
    this.ended = true;
    // Before the global teardown stops an embedded mock: which target ran, and what it can do.
    this.target = targetFromProvidedContext(this.vitest, this.projectName);
    for (const error of unhandledErrors) this.errors.push(`Unhandled error: ${error.name ?? 'Error'}: ${error.message}`);
    if (reason === 'interrupted') this.errors.push('The run was interrupted; results are incomplete.');
    this.line(`Done: ${this.tests} test${this.tests === 1 ? '' : 's'} in ${modules.length} file${modules.length === 1 ? '' : 's'}, ${this.failedTests.length} failed.`);
  }
}

/**
 * A failed test is already in the results when a failed check speaks for one of the requirement ids its name
 * carries. Otherwise the test is the judge: it is recorded as a failed check under those ids, or, naming none, as
 * a run error (the results cannot say what failed, so the run must not pass).
 */
export function reconcileFailedTests(failedTests: readonly FailedTest[], checks: readonly CheckRecord[]): { checks: CheckRecord[]; errors: string[] } {
  const failedIds = new Set(checks.filter((c) => c.status === 'failed').flatMap((c) => c.requirementIds));
  const synthetic: CheckRecord[] = [];
  const errors: string[] = [];
  for (const test of failedTests) {
    const ids = requirementIdsIn([test.fullName, ...test.tags]);
    if (ids.length === 0) {
      errors.push(`Test "${test.fullName}" failed without recording a check or naming a requirement id: ${test.message}`);
    } else if (!ids.some((id) => failedIds.has(id))) {
      synthetic.push({
        check: `test: ${test.fullName}`,
        requirementIds: ids,
        status: 'failed',
        message: firstLine(test.message),
        ...parsePropertyFailure(test.message),
        durationMs: test.durationMs,
      });
    }
  }
  return { checks: synthetic, errors };
}

/** A stream that forwards to `target`, redacted, and keeps the last few KB, to explain a run that never started. */
class TailCapture extends Writable {
  private tail = '';
  constructor(
    private readonly target: NodeJS.WritableStream,
    private readonly redact: (text: string) => string,
  ) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = this.redact(chunk.toString());
    this.tail = (this.tail + text).slice(-4000);
    this.target.write(text, callback);
  }
  text(): string {
    // eslint-disable-next-line no-control-regex
    return this.tail.replace(/\u001b\[[0-9;]*m/g, '').trim();
  }
}

/**
 * The conformance global setup provides the settled run (`ibeeRun`: endpoint, settings and the capabilities it
 * probed) to the test files; the runner reads it from the same place. No secret is kept.
 */
function targetFromProvidedContext(vitest: Vitest | null, projectName: string): TargetRecord | null {
  const project = vitest?.projects.find((p) => p.name === projectName);
  const provided = project?.getProvidedContext() as { ibeeRun?: SettledRun } | undefined;
  const run = provided?.ibeeRun;
  if (!run) return null;
  const { capabilities } = run;
  return {
    api_url: run.endpoint.apiUrl ?? noRestApiUrl,
    s3_endpoint: run.endpoint.s3Endpoint,
    driver: run.settings.driver,
    embedded: run.endpoint.embedded,
    capabilities: { timeTravel: capabilities.timeTravel, ...(capabilities.timeTravelReason ? { timeTravelReason: capabilities.timeTravelReason } : {}) },
  };
}

export async function runSuites(options: SuiteRunOptions): Promise<SuiteRunOutcome> {
  const { root } = packageInfo();
  const workDir = await mkdtemp(join(tmpdir(), 'ibee-conformance-'));
  const checksFile = join(workDir, 'checks.jsonl');
  const configuration: RunConfiguration = { ...options.configuration, settings: { ...options.configuration.settings, checksFile } };

  const projectName = options.project ?? 'conformance';
  const redact = (text: string): string => redactText(text, { knownSecrets: options.knownSecrets ?? [] });
  const reporter = new ConformanceReporter(checksFile, options.progress, root, projectName, redact);
  const vitestOutput = new TailCapture(options.progress, redact);
  const startedAt = new Date();
  let interrupted = false;
  // First Ctrl-C cancels the run; vitest itself then exits within a millisecond, and the suites' global setup has
  // what the run created removed before that (suites/target/interrupt.ts). A second Ctrl-C quits.
  const onSigint = (): void => {
    const vitest = reporter.vitest;
    if (interrupted || !vitest) process.exit(130);
    interrupted = true;
    options.progress.write('\nInterrupted: stopping the run and removing what it created…\n');
    void vitest.cancelCurrentRun('keyboard-input');
  };
  process.on('SIGINT', onSigint);
  // An interrupted run exits from inside vitest: the checks file must not outlive it.
  const removeWorkDir = (): void => rmSync(workDir, { recursive: true, force: true });
  process.on('exit', removeWorkDir);
  const exitCodeBefore = process.exitCode;
  // The global setup runs in this process and may console.log; stdout is kept for the final summary.
  const stdoutWrite = process.stdout.write;
  if (options.progress !== process.stdout) {
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
      options.progress.write(typeof chunk === 'string' ? redact(chunk) : chunk, ...rest)) as typeof process.stdout.write;
  }
  // vitest's maxConcurrency comes from the project's config, which reads IBEE_CONCURRENCY (vitest.config.ts): set
  // to the run's own for the vitest started here.
  const concurrencyBefore = process.env['IBEE_CONCURRENCY'];
  process.env['IBEE_CONCURRENCY'] = String(concurrencyOf(configuration.settings));
  try {
    const { startVitest } = await import('vitest/node');
    await startVitest(
      'test',
      [],
      {
        root,
        config: options.vitestConfig ?? join(root, 'vitest.config.ts'),
        project: projectName,
        run: true,
        watch: false,
        reporters: [reporter],
        provide: { ibeeRunConfiguration: configuration },
        ...(options.shard ? { shard: options.shard } : {}),
        passWithNoTests: Boolean(options.shard),
      },
      {},
      { stdout: vitestOutput, stderr: vitestOutput },
    );
  } catch (error) {
    reporter.errors.push(`vitest failed to start: ${(error as Error).message}`);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('exit', removeWorkDir);
    process.stdout.write = stdoutWrite;
    if (concurrencyBefore === undefined) delete process.env['IBEE_CONCURRENCY'];
    else process.env['IBEE_CONCURRENCY'] = concurrencyBefore;
    // The CLI decides the exit code from the results, not vitest.
    process.exitCode = exitCodeBefore;
  }
  const finishedAt = new Date();

  const { checks, problems } = await readChecksFile(checksFile);
  const reconciled = reconcileFailedTests(reporter.failedTests, checks);
  const errors = [...reporter.errors, ...reconciled.errors];
  if (!reporter.ended) errors.push(`The conformance run did not complete. vitest said:\n${vitestOutput.text() || '(nothing)'}`);
  else if (reporter.modules === 0 && !options.shard) errors.push('No conformance test file ran.');
  const target = reporter.target;
  await rm(workDir, { recursive: true, force: true });
  return {
    checks: [...checks, ...reconciled.checks],
    errors: [...errors, ...problems],
    target,
    startedAt,
    finishedAt,
    interrupted,
  };
}
