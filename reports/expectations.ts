import { readFile } from 'node:fs/promises';
import { isRequirementId } from '../spec/index.js';
import type { RequirementStatus } from './results-format.js';

/**
 * The expectations file: known deviations of one target, `{ "REVOKE-IMMEDIATE": "failed", ... }`, as in
 * web-platform-tests. A listed status is what the target is known to do today; a run fails only on failures not
 * listed, and reports listed failures that now pass so the file can be ratcheted.
 */
export type Expectations = ReadonlyMap<string, RequirementStatus>;

const requirementStatuses: readonly RequirementStatus[] = ['passed', 'failed', 'not_applicable', 'observed', 'skipped'];

export function parseExpectations(value: unknown, source = 'expectations file'): Expectations {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${source}: expected a JSON object mapping requirement ids to statuses, e.g. { "REVOKE-IMMEDIATE": "failed" }`);
  }
  const out = new Map<string, RequirementStatus>();
  const problems: string[] = [];
  for (const [id, status] of Object.entries(value)) {
    if (!isRequirementId(id)) problems.push(`unknown requirement id "${id}" (see \`ibee-conformance requirements\`)`);
    else if (typeof status !== 'string' || !requirementStatuses.includes(status as RequirementStatus)) {
      problems.push(`"${id}": status must be one of ${requirementStatuses.join(', ')}`);
    } else out.set(id, status as RequirementStatus);
  }
  if (problems.length > 0) throw new Error(`${source}: ${problems.join('; ')}`);
  return out;
}

export async function loadExpectations(path: string): Promise<Expectations> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseExpectations(json, path);
}
