import { appendFileSync } from 'node:fs';
import { redactRecorded } from '../../reports/redact.js';
import type { CheckRecord } from '../../reports/results-format.js';

/**
 * The one way a check result leaves a suite: redacted, kept in memory (for this process's own assertions) and,
 * when the run has a checks file (the CLI runner's, or IBEE_CHECKS_FILE), appended to it as one JSON line.
 */

const recorded: CheckRecord[] = [];

/** Per check name, the requirement ids its records are only supporting evidence for (see `CheckDefinition`). */
const supportingByCheck = new Map<string, readonly string[]>();

/** Declares, once per check name, the ids whose records it makes are only supporting evidence. */
export function declareSupporting(check: string, requirementIds: readonly string[]): void {
  if (requirementIds.length > 0) supportingByCheck.set(check, requirementIds);
}

/** The record with `supporting` naming every id it is only supporting evidence for: its own and its check's. */
function withSupporting(record: CheckRecord): CheckRecord {
  const declared = supportingByCheck.get(record.check) ?? [];
  const supporting = record.requirementIds.filter((id) => declared.includes(id) || (record.supporting ?? []).includes(id));
  const { supporting: _given, ...rest } = record;
  return supporting.length > 0 ? { ...rest, supporting } : rest;
}

export function recordCheck(record: CheckRecord, checksFile: string | null): CheckRecord {
  const clean = redactRecorded(withSupporting(record));
  recorded.push(clean);
  if (checksFile) appendFileSync(checksFile, `${JSON.stringify(clean)}\n`);
  return clean;
}

/** Everything recorded by this process so far. */
export function recordedChecks(): readonly CheckRecord[] {
  return recorded;
}
