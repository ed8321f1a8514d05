import { appendFileSync } from 'node:fs';
import { redactRecorded } from '../../reports/redact.js';
import type { CheckRecord } from '../../reports/results-format.js';

/**
 * The one way a check result leaves a suite: redacted, kept in memory (for this process's own assertions) and,
 * when the run has a checks file (the CLI runner's, or IBEE_CHECKS_FILE), appended to it as one JSON line.
 */

const recorded: CheckRecord[] = [];

export function recordCheck(record: CheckRecord, checksFile: string | null): CheckRecord {
  const clean = redactRecorded(record);
  recorded.push(clean);
  if (checksFile) appendFileSync(checksFile, `${JSON.stringify(clean)}\n`);
  return clean;
}

/** Everything recorded by this process so far. */
export function recordedChecks(): readonly CheckRecord[] {
  return recorded;
}
