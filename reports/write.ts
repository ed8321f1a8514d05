import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gate, type GateVerdict } from './aggregate.js';
import { toJsonl } from './checks-file.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { redactCheck } from './redact.js';
import type { CheckRecord, Results } from './results-format.js';

/** File names inside an output directory; `merge` reads the same names back. */
export const outputFiles = {
  results: 'results.json',
  junit: 'junit.xml',
  html: 'report.html',
  /** The redacted raw check records, so shards can be merged from the checks themselves. */
  checks: 'checks.jsonl',
} as const;

/** The output directory cannot hold the reports (a parent is a file, no permission, read-only file system, …). */
export class OutputDirError extends Error {
  override readonly name = 'OutputDirError';
}

const fileErrorMeaning: Readonly<Record<string, string>> = {
  ENOTDIR: 'part of the path is a file, not a directory',
  EEXIST: 'it exists and is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

/**
 * Creates `dir` (and its parents) and writes and removes a probe file in it, so that an unusable `--out` is found
 * before a run rather than after it.
 */
export async function ensureWritableDir(dir: string): Promise<void> {
  const probe = join(dir, `.ibee-conformance-probe-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const meaning = e.code ? fileErrorMeaning[e.code] : undefined;
    const cause = e.code ? `${e.code}${meaning ? `, ${meaning}` : ''}` : e.message;
    throw new OutputDirError(`cannot write the reports into ${dir}: ${cause}`, { cause: error });
  }
}

/**
 * Writes results.json, junit.xml, report.html and checks.jsonl (the redacted records `results` was built from)
 * into `dir`; returns the CI verdict.
 */
export async function writeReports(dir: string, results: Results, checks: readonly CheckRecord[]): Promise<GateVerdict> {
  const verdict = gate(results);
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(join(dir, outputFiles.results), `${JSON.stringify(results, null, 2)}\n`),
    writeFile(join(dir, outputFiles.junit), renderJunit(results)),
    writeFile(join(dir, outputFiles.html), renderHtml(results, { passed: verdict.ok })),
    writeFile(join(dir, outputFiles.checks), toJsonl(checks.map((c) => redactCheck(c)))),
  ]);
  return verdict;
}

/**
 * Every check of a results.json once, in recorded order (a check that speaks for several requirements is listed
 * under each): the fallback for merging shard outputs that lack checks.jsonl.
 */
export function uniqueChecks(results: Results): CheckRecord[] {
  const seen = new Set<string>();
  const out: CheckRecord[] = [];
  for (const req of results.requirements) {
    for (const check of req.checks) {
      const key = JSON.stringify(check);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(check);
    }
  }
  return out;
}
