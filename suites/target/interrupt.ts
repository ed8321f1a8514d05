import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageInfo } from '../package-root.js';
import type { SettledRun } from './run.js';
import { sweepJournal, type SweepLeft } from './sweep.js';

/**
 * Interrupts (SIGINT, SIGTERM) on a real target. vitest exits the process about a millisecond after either signal
 * (its own handler), which cuts off any cleanup started in this process. So the interrupted process starts a
 * detached cleaner: a node process in a session of its own (a Ctrl-C to the run's process group does not reach it),
 * not tied to the run's stdio, that outlives the run. It loads this module through vite (the suites are TypeScript)
 * and sweeps the run's journal (sweep.ts): it removes what the run created and restores the configuration of buckets
 * it did not create, journaled before the run wrote any. The interrupted process waits (bounded) for that first sweep, so that
 * when the command returns, what the run created is gone; the cleaner then waits for the run's process to be gone,
 * sweeps again while stray workers still journal creations, and removes the journal folder.
 */

const handledSignals = ['SIGINT', 'SIGTERM'] as const;

/** How long the interrupted process waits for the first sweep before leaving the cleaner to finish alone. */
const waitForSweepMs = 60_000;
/** How long the cleaner goes on watching the journal for stray workers' creations. */
const cleanerLifetimeMs = 10 * 60_000;
/** Once the run's process is gone, the journal must stay unchanged this long before the cleaner stops. */
const quietMs = 1_500;

const env = {
  module: 'IBEE_CLEANER_MODULE',
  run: 'IBEE_CLEANER_RUN',
  parentPid: 'IBEE_CLEANER_PARENT_PID',
  report: 'IBEE_CLEANER_REPORT',
} as const;

/** What the cleaner's first sweep left (written to `swept.json` in the journal folder; no secrets). */
export interface SweepReport {
  readonly tokensLeft: number;
  readonly bucketsLeft: number;
  /** Configurations of buckets the run did not create that could not be restored. */
  readonly configurationsLeft: number;
  /** The name of the error that stopped the sweep, if one did. */
  readonly failed?: string;
}

/** Where the cleaner reports its first sweep. */
export function reportFileOf(run: SettledRun): string {
  return join(dirname(run.journalFile!), 'swept.json');
}

/**
 * The cleaner's entry, run with `node --input-type=module -e`: vite's module runner imports this module and calls
 * runDetachedCleaner. Whatever goes wrong (vite missing, a module that does not load) still ends the parent's wait.
 */
const bootstrap = `
import { writeFileSync } from 'node:fs';
try {
  const { runnerImport } = await import('vite');
  const { module } = await runnerImport(process.env.${env.module});
  await module.runDetachedCleaner();
} catch (error) {
  writeFileSync(process.env.${env.report}, JSON.stringify({ tokensLeft: -1, bucketsLeft: -1, configurationsLeft: -1, failed: String(error?.name ?? 'Error') }));
}
`;

/** The run as the cleaner needs it: it starts in the package root, so a relative credentials file is made absolute. */
function runForCleaner(run: SettledRun): SettledRun {
  const { credentialsFile } = run.settings;
  return { ...run, settings: { ...run.settings, credentialsFile: credentialsFile ? resolve(credentialsFile) : null } };
}

/**
 * Starts the detached cleaner for `run` (an external target with a journal); returns its pid. It finishes once
 * `parentPid` (the interrupted run) is gone and the journal has stayed quiet.
 */
export function startDetachedCleaner(run: SettledRun, parentPid: number = process.pid): number | undefined {
  const child = spawn(process.execPath, ['--input-type=module', '-e', bootstrap], {
    // vite is resolved from the package root.
    cwd: packageInfo().root,
    // setsid(): a process group and session of its own, so a signal to the run's group never reaches it.
    detached: true,
    stdio: 'ignore',
    env: {
      ...process.env,
      [env.module]: fileURLToPath(import.meta.url),
      // Carries the management or API token as IBEE_MANAGEMENT_TOKEN and IBEE_API_TOKEN do: environment only, never
      // argv (visible in ps).
      [env.run]: JSON.stringify(runForCleaner(run)),
      [env.parentPid]: String(parentPid),
      [env.report]: reportFileOf(run),
    },
  });
  child.on('error', () => undefined);
  child.unref();
  return child.pid;
}

/** Blocks this thread (the event loop included) until `done` holds or the time is up. */
function waitSync(done: () => boolean, timeoutMs: number): boolean {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    Atomics.wait(cell, 0, 0, 25);
  }
  return true;
}

function readReport(file: string): SweepReport | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SweepReport;
  } catch {
    return null;
  }
}

export interface InterruptGuard {
  /** True once a signal arrived: the journal folder then belongs to the cleaner. */
  readonly interrupted: boolean;
  /** Stops listening (the run's own teardown has finished). */
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM while a run is on. On the first one: with the embedded mock there is nothing to
 * remove (it ends with this process) but the journal folder; on an external target the detached cleaner is started
 * and waited for. The waiting blocks this process on purpose: vitest's exit is already scheduled, and it must not
 * happen before the sweep (nor may the sweep create its fixture token after the run has returned).
 */
export function guardAgainstInterrupts(run: SettledRun, journalDir: string, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): InterruptGuard {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    for (const s of handledSignals) process.off(s, onSignal);
    if (run.endpoint.embedded || !run.journalFile) {
      rmSync(journalDir, { recursive: true, force: true });
    } else {
      const prefix = run.settings.runPrefix;
      log(`ibee-conformance: ${signal}: removing what the run created under prefix ${prefix}…`);
      const reportFile = reportFileOf(run);
      const pid = startDetachedCleaner(run);
      if (waitSync(() => existsSync(reportFile), waitForSweepMs)) {
        const report = readReport(reportFile);
        if (report?.failed) log(`ibee-conformance: the cleanup failed (${report.failed}); resources under prefix ${prefix} may be left`);
        else if (report && (report.tokensLeft > 0 || report.bucketsLeft > 0 || report.configurationsLeft > 0)) {
          log(`ibee-conformance: could not remove ${report.bucketsLeft} bucket(s) and ${report.tokensLeft} token(s) under prefix ${prefix}`);
          if (report.configurationsLeft > 0) log(`ibee-conformance: could not restore ${report.configurationsLeft} configuration(s) of buckets the run did not create`);
        } else log('ibee-conformance: cleaned up.');
      } else {
        log(`ibee-conformance: still cleaning up in the background (pid ${pid ?? '?'}), under prefix ${prefix}`);
      }
    }
    // Nobody else (vitest, the CLI runner) will end the process: do as the default action would.
    if (process.listenerCount(signal) === 0) process.exit(128 + constants.signals[signal]);
  };
  for (const s of handledSignals) process.on(s, onSignal);
  return {
    get interrupted() {
      return interrupted;
    },
    dispose() {
      for (const s of handledSignals) process.off(s, onSignal);
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

async function sweepReporting(run: SettledRun): Promise<SweepReport> {
  try {
    const left: SweepLeft = await sweepJournal(run);
    return { tokensLeft: left.tokenIds.length, bucketsLeft: left.buckets.length, configurationsLeft: left.configurations.length };
  } catch (error) {
    // Only the error's name: a message may quote a response.
    return { tokensLeft: -1, bucketsLeft: -1, configurationsLeft: -1, failed: (error as Error).name || 'Error' };
  }
}

/** The detached cleaner's work (see the module comment); reads its orders from the environment. */
export async function runDetachedCleaner(): Promise<void> {
  const run = JSON.parse(process.env[env.run] ?? 'null') as SettledRun | null;
  const parentPid = Number(process.env[env.parentPid]);
  if (!run?.journalFile) return;
  const journalDir = dirname(run.journalFile);
  const reportFile = reportFileOf(run);
  const deadline = Date.now() + cleanerLifetimeMs;
  const first = await sweepReporting(run);
  let swept = sizeOf(run.journalFile);
  // Written whole, then renamed: the waiting process never reads half a report.
  writeFileSync(`${reportFile}.part`, JSON.stringify(first));
  renameSync(`${reportFile}.part`, reportFile);
  let quietSince = Date.now();
  let parentGone = false;
  while (Date.now() < deadline) {
    await sleep(250);
    if (!parentGone && !isAlive(parentPid)) {
      parentGone = true;
      quietSince = Date.now();
    }
    if (sizeOf(run.journalFile) !== swept) {
      // A stray worker journaled something after the sweep (a signal sent to the main process only).
      await sweepReporting(run);
      swept = sizeOf(run.journalFile);
      quietSince = Date.now();
    } else if (parentGone && Date.now() - quietSince >= quietMs) {
      break;
    }
  }
  rmSync(journalDir, { recursive: true, force: true });
}
