import { readFile } from 'node:fs/promises';
import type { CheckRecord, CheckStatus } from './results-format.js';

/**
 * The checks file: one CheckRecord per line (JSONL), appended by the suites while a run goes on. A run that was
 * interrupted may leave a torn last line; that line is reported, not fatal.
 */

const checkStatuses: readonly CheckStatus[] = ['passed', 'failed', 'skipped', 'not_applicable', 'observed'];

export interface ParsedChecks {
  readonly checks: CheckRecord[];
  /** One message per line that is not a valid CheckRecord. */
  readonly problems: string[];
}

/** Validates the fields the aggregator relies on; anything else is carried through as recorded. */
export function parseCheckRecord(value: unknown): CheckRecord {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
  const record = value as Record<string, unknown>;
  if (typeof record.check !== 'string' || record.check.length === 0) throw new Error('"check" must be a non-empty string');
  if (!Array.isArray(record.requirementIds) || !record.requirementIds.every((id) => typeof id === 'string')) {
    throw new Error('"requirementIds" must be an array of strings');
  }
  if (record.supporting !== undefined && (!Array.isArray(record.supporting) || !record.supporting.every((id) => typeof id === 'string'))) {
    throw new Error('"supporting" must be an array of strings');
  }
  if (typeof record.status !== 'string' || !checkStatuses.includes(record.status as CheckStatus)) {
    throw new Error(`"status" must be one of ${checkStatuses.join(', ')}`);
  }
  return value as CheckRecord;
}

export function parseChecksJsonl(text: string, source = 'checks file'): ParsedChecks {
  const checks: CheckRecord[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      checks.push(parseCheckRecord(JSON.parse(line)));
    } catch (error) {
      problems.push(`${source} line ${index + 1}: ${(error as Error).message}`);
    }
  });
  return { checks, problems };
}

export async function readChecksFile(path: string): Promise<ParsedChecks> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { checks: [], problems: [] };
    throw error;
  }
  return parseChecksJsonl(text, path);
}

export function toJsonl(checks: readonly CheckRecord[]): string {
  return checks.map((c) => JSON.stringify(c)).join('\n') + (checks.length > 0 ? '\n' : '');
}
