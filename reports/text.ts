import type { GateVerdict } from './aggregate.js';
import type { Evidence, Results } from './results-format.js';

/** Plain-text renderings shared by the console summary, JUnit and the HTML report. */

const bodyLimit = 2000;

function clip(text: string): string {
  return text.length > bodyLimit ? `${text.slice(0, bodyLimit)}… (${text.length - bodyLimit} more characters)` : text;
}

function headerLines(headers: Record<string, string> | undefined): string[] {
  return Object.entries(headers ?? {}).map(([k, v]) => `${k}: ${v}`);
}

/** An HTTP exchange as a reader would write it down. Evidence is already redacted. */
export function formatEvidence(evidence: Evidence): string {
  const lines = [`> ${evidence.request.method} ${evidence.request.url}`, ...headerLines(evidence.request.headers).map((l) => `> ${l}`)];
  if (evidence.request.body) lines.push('>', ...clip(evidence.request.body).split('\n').map((l) => `> ${l}`));
  if (evidence.response) {
    lines.push(`< ${evidence.response.status}`, ...headerLines(evidence.response.headers).map((l) => `< ${l}`));
    if (evidence.response.body) lines.push('<', ...clip(evidence.response.body).split('\n').map((l) => `< ${l}`));
  }
  if (evidence.s3) {
    const { operation, accessKeyId, code, message, requestId } = evidence.s3;
    const answer = code === null ? 'success' : `${code}${message ? `: ${message}` : ''}`;
    lines.push(`# S3 ${operation} with access key ${accessKeyId ?? '(none)'}: ${answer}${requestId ? ` (request id ${requestId})` : ''}`);
  }
  if (evidence.note) lines.push(`# ${evidence.note}`);
  return lines.join('\n');
}

export function formatObserved(observed: unknown): string {
  return typeof observed === 'string' ? observed : JSON.stringify(observed, null, 2);
}

export function formatPercent(score: number | null): string {
  return score === null ? 'n/a' : `${(score * 100).toFixed(1)}%`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A run's duration; for a merge, labelled as the sum of the merged runs, with the wall-clock span beside it. */
export function formatRunDuration(results: Pick<Results, 'summary' | 'merged'>): string {
  const total = formatDuration(results.summary.durationMs);
  if (!results.merged) return total;
  const { inputs, wallClockMs } = results.merged;
  return `${total} (sum of ${inputs} merged run${inputs === 1 ? '' : 's'}; ${formatDuration(wallClockMs)} from first start to last finish)`;
}

/** The summary printed at the end of `run` and `merge`. */
export function formatSummary(results: Results, verdict: GateVerdict, outDir: string): string {
  const { summary } = results;
  const lines = [
    '',
    `ibee-conformance ${results.tool.version}: ${results.target.embedded ? 'embedded mock' : results.target.s3_endpoint} (${results.target.driver} driver)`,
    `seed ${results.seed}, runs ${results.runs}${results.shard ? `, shard ${results.shard}` : ''}, ${formatRunDuration(results)}`,
    `MUST   ${summary.must.passed}/${summary.must.applicable} passed (${formatPercent(summary.must.score)})`,
    `SHOULD ${summary.should.passed}/${summary.should.applicable} passed (${formatPercent(summary.should.score)})`,
    `requirements: ${Object.entries(summary.byStatus)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ')}; checks: ${summary.checks.total} (${summary.checks.failed} failed)`,
  ];
  const failed = results.requirements.filter((r) => r.status === 'failed');
  if (failed.length > 0) {
    lines.push('', 'Failed:');
    for (const r of failed) {
      const known = r.expected === 'failed' ? ' (known, in expectations)' : '';
      lines.push(`  ✗ ${r.id} [${r.level}]${known}: ${r.checks.find((c) => c.status === 'failed')?.message ?? r.title}`);
      if (r.counterexample) lines.push(`      counterexample: ${r.counterexample.split('\n')[0]}`);
      if (r.replay) lines.push(`      replay: ${r.replay}`);
    }
  }
  if (summary.unexpectedPasses.length > 0) {
    lines.push('', `Unexpected passes (listed as failing in the expectations; consider removing them): ${summary.unexpectedPasses.join(', ')}`);
  }
  for (const error of results.errors ?? []) lines.push(`  ! ${error.split('\n')[0]}`);
  lines.push('', `Reports: ${outDir}/report.html, ${outDir}/results.json, ${outDir}/junit.xml`);
  lines.push(verdict.ok ? 'Result: PASS' : `Result: FAIL (${verdict.reasons.length} reason${verdict.reasons.length === 1 ? '' : 's'})`);
  return lines.join('\n');
}
