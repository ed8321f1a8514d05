import {
  permissionLabels,
  permissionTypes,
  requirement,
  requirementAreas,
  s3Operations,
  isAllowed,
  isS3OperationName,
  sources,
  type PermissionType,
  type RequirementArea,
} from '../spec/index.js';
import type { CheckRecord, MatrixCellResult, RequirementResult, RequirementStatus, Results } from './results-format.js';
import { formatEvidence, formatObserved, formatPercent, formatRunDuration } from './text.js';

/**
 * report.html: one self-contained page (inline CSS, no scripts, no external requests; a CSP forbids them),
 * readable on a laptop and printable. Every dynamic string goes through `escapeHtml`.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** Tagged template that escapes every interpolated value unless it is already-rendered `Html`. */
class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  return new Html(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]) : ''), ''));
}

const codeSpan = /`([^`\n]+)`/g;

/**
 * Spec text as HTML: Markdown inline code spans (`ibee_v4_…`) become <code>, and everything, inside the spans and
 * out, is escaped as any other text. No other Markdown is interpreted.
 */
export function inlineCodeHtml(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(codeSpan)) {
    out += `${escapeHtml(text.slice(last, match.index))}<code>${escapeHtml(match[1]!)}</code>`;
    last = match.index + match[0].length;
  }
  return out + escapeHtml(text.slice(last));
}

function specText(text: string): Html {
  return new Html(inlineCodeHtml(text));
}

const statusLabel: Record<RequirementStatus, string> = {
  passed: 'passed',
  failed: 'failed',
  not_applicable: 'not applicable',
  observed: 'observed',
  skipped: 'skipped',
};

/** Every area of the catalogue has a heading (the type makes a new area name one). */
const areaLabel: Record<RequirementArea, string> = {
  tokens: 'Tokens and credentials',
  secrets: 'One-time secrets',
  expiry: 'Expiry',
  permissions: 'Permission levels',
  scoping: 'Bucket scoping',
  revocation: 'Revocation',
  auth: 'Authentication',
  storage: 'Storage',
  'public-api': 'IBEE public REST API',
};

const css = `
:root { --pass:#1a7f37; --pass-bg:#dafbe1; --fail:#cf222e; --fail-bg:#ffebe9; --warn:#9a6700; --warn-bg:#fff8c5;
  --na:#57606a; --na-bg:#eaeef2; --info:#0969da; --info-bg:#ddf4ff; --border:#d0d7de; --text:#1f2328; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); margin: 0 auto;
  max-width: 1200px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid var(--border);
  padding-bottom: 4px; } h3 { font-size: 16px; margin: 20px 0 6px; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid var(--border); border-radius: 6px; padding: 8px; white-space: pre-wrap;
  word-break: break-word; margin: 4px 0; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid var(--border); padding: 4px 6px;
  text-align: left; vertical-align: top; } th { background: #f6f8fa; }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 6px; font-weight: 700; font-size: 16px; margin: 8px 0; }
.verdict.pass { background: var(--pass-bg); color: var(--pass); } .verdict.fail { background: var(--fail-bg); color: var(--fail); }
.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
.summary dt { font-weight: 600; } .summary dd { margin: 0; }
.scores { display: flex; gap: 16px; flex-wrap: wrap; margin: 12px 0; }
.score { border: 1px solid var(--border); border-radius: 8px; padding: 8px 16px; min-width: 160px; }
.score b { display: block; font-size: 22px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.s-passed { background: var(--pass-bg); color: var(--pass); } .s-failed { background: var(--fail-bg); color: var(--fail); }
.s-not_applicable, .s-skipped { background: var(--na-bg); color: var(--na); } .s-observed { background: var(--info-bg); color: var(--info); }
.s-known { background: var(--warn-bg); color: var(--warn); }
tr.failed > td { background: #fff5f5; } tbody td:first-child code { white-space: nowrap; }
.failure { border-left: 4px solid var(--fail); padding: 4px 8px; margin: 6px 0; background: #fff; }
.muted { color: var(--na); } .small { font-size: 12px; }
.matrix td, .matrix th { text-align: center; font-size: 12px; padding: 3px; }
.matrix th.op { text-align: left; white-space: nowrap; }
.cell-ok-allow { background: var(--pass-bg); color: var(--pass); } .cell-ok-deny { background: #eef6ee; color: #3a5a40; }
.cell-mismatch { background: var(--fail); color: #fff; font-weight: 700; } .cell-error { background: var(--warn-bg); color: var(--warn); }
.cell-none { background: #fafbfc; color: #8c959f; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 8px; border: 1px solid var(--border); }
ul.errors li { color: var(--fail); }
a { color: var(--info); }
nav { margin: 4px 0 0; }
@media print {
  nav { display: none; }
  body { padding: 0; max-width: none; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  details > summary { list-style: none; } tr, .failure, pre { break-inside: avoid; } h2 { break-after: avoid; }
}
`;

function badge(req: RequirementResult): Html {
  const parts = [html`<span class="badge s-${req.status}">${statusLabel[req.status]}</span>`];
  if (req.expected === 'failed' && req.status === 'failed') parts.push(html` <span class="badge s-known">known failure</span>`);
  if (req.expected === 'failed' && req.status === 'passed') parts.push(html` <span class="badge s-observed">unexpected pass</span>`);
  return html`${parts}`;
}

function sourceLinks(req: RequirementResult): Html {
  return html`${req.sources.map((tag, i) => {
    const url = (sources as Record<string, string>)[tag];
    const sep = i > 0 ? ', ' : '';
    return url ? html`${sep}<a href="${url}">${tag}</a>` : html`${sep}${tag}`;
  })}`;
}

function checkDetails(check: CheckRecord): Html {
  // The same exchange recorded twice is shown once.
  const evidence = [...new Set((check.evidence ?? []).map(formatEvidence))];
  return html`<div class="failure">
<div><b>${check.check}</b>: ${check.message || 'failed'}</div>
${check.counterexample ? html`<div>Shrunk counterexample:</div><pre>${check.counterexample}</pre>` : ''}
${check.seed !== undefined ? html`<div class="small">Seed <code>${check.seed}</code>${check.path ? html`, path <code>${check.path}</code>` : ''}</div>` : ''}
${check.replay ? html`<div class="small">Replay: <code>${check.replay}</code></div>` : ''}
${evidence.length > 0 ? html`<div class="small">Evidence (redacted):</div>${evidence.map((e) => html`<pre>${e}</pre>`)}` : ''}
</div>`;
}

function checkList(req: RequirementResult): Html {
  if (req.checks.length === 0) return html``;
  const counts = new Map<string, number>();
  for (const c of req.checks) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  return html`<details><summary class="small">${req.checks.length} check${req.checks.length === 1 ? '' : 's'} (${summary})</summary>
<ul class="small">${req.checks.map((c) => html`<li><code>${c.check}</code> <span class="badge s-${c.status}">${c.status}</span> ${c.message ?? c.reason ?? ''}</li>`)}</ul></details>`;
}

function requirementRow(req: RequirementResult): Html {
  const spec = requirement(req.id);
  const failedChecks = req.checks.filter((c) => c.status === 'failed');
  return html`<tr class="${req.status}" id="req-${req.id}">
<td><code>${req.id}</code></td>
<td><b>${specText(req.title)}</b><div class="small muted">${specText(spec.statement)}</div>
${req.reason ? html`<div class="small">${req.reason}</div>` : ''}
${req.status === 'failed' ? html`${failedChecks.map(checkDetails)}${req.replay && !failedChecks.some((c) => c.replay === req.replay) ? html`<div class="small">Replay this failure: <code>${req.replay}</code></div>` : ''}` : ''}
${req.observed !== undefined ? html`<div class="small">Observed:</div><pre>${formatObserved(req.observed)}</pre>` : ''}
${checkList(req)}</td>
<td>${req.level}</td><td>${req.basis}</td><td class="status">${badge(req)}</td><td class="small">${sourceLinks(req)}</td>
</tr>`;
}

function statusCounts(reqs: readonly RequirementResult[]): string {
  const counts = new Map<RequirementStatus, number>();
  for (const r of reqs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${statusLabel[status]}`).join(', ');
}

function requirementTables(results: Results): Html {
  return html`${requirementAreas.map((area) => {
    const reqs = results.requirements.filter((r) => r.area === area);
    if (reqs.length === 0) return '';
    const counts = statusCounts(reqs);
    return html`<h3 id="area-${area}">${areaLabel[area]} <span class="small muted">(${counts})</span></h3>
<table><thead><tr><th>Id</th><th>Requirement</th><th>Level</th><th>Basis</th><th>Status</th><th>Documented in</th></tr></thead>
<tbody>${reqs.map(requirementRow)}</tbody></table>`;
  })}`;
}

type Scope = MatrixCellResult['scope'];
const scopes: readonly Scope[] = ['in_scope', 'out_of_scope'];

/**
 * What spec/ expects of a cell no record speaks for (a level left out by --only, an operation without a cell in this
 * scope); null for rows spec/'s S3 matrix does not describe (the REST rows).
 */
function expectedFromSpec(level: PermissionType, operation: string, scope: Scope): MatrixCellResult['expected'] | null {
  if (scope === 'out_of_scope') return 'deny';
  // A results file may name an operation this version of spec/ does not know.
  return isS3OperationName(operation) ? (isAllowed(level, operation) ? 'allow' : 'deny') : null;
}

/** Folds every recorded cell result for one (operation, level, scope) into what the grid shows. */
function matrixCell(cells: readonly MatrixCellResult[], operation: string, level: PermissionType, scope: Scope): Html {
  const expected = cells[0]?.expected ?? expectedFromSpec(level, operation, scope);
  const observedRun = cells.filter((c) => c.observed !== 'not_run');
  const where = `${operation}, ${permissionLabels[level]}, ${scope.replaceAll('_', ' ')}`;
  if (expected === null) return html`<td class="cell-none" title="${where}: not run">—</td>`;
  const title = `${where}: expected ${expected}`;
  if (observedRun.length === 0) {
    return html`<td class="cell-none" title="${title}, not run">${expected}<br>—</td>`;
  }
  const mismatch = observedRun.find((c) => c.observed !== c.expected && c.observed !== 'error');
  const error = observedRun.find((c) => c.observed === 'error');
  const shown = mismatch ?? error ?? observedRun[0]!;
  const cls = mismatch ? 'cell-mismatch' : error ? 'cell-error' : expected === 'allow' ? 'cell-ok-allow' : 'cell-ok-deny';
  const detail = shown.detail ? `; ${shown.detail}` : '';
  return html`<td class="${cls}" title="${title}, observed ${shown.observed}${detail}">${expected}<br>${mismatch || error ? `→ ${shown.observed}` : '✓'}</td>`;
}

function permissionMatrix(results: Results): Html {
  const cells = new Map<string, MatrixCellResult[]>();
  for (const req of results.requirements) {
    for (const check of req.checks) {
      if (!check.cell) continue;
      const key = `${check.cell.operation}|${check.cell.level}|${check.cell.scope}`;
      const list = cells.get(key) ?? [];
      // A check that speaks for several requirements appears under each of them; count it once.
      if (!list.includes(check.cell)) list.push(check.cell);
      cells.set(key, list);
    }
  }
  if (cells.size === 0) return html`<p class="muted">No permission-matrix cell was recorded in this run.</p>`;
  const dedupe = (list: readonly MatrixCellResult[]): MatrixCellResult[] => {
    const seen = new Set<string>();
    return list.filter((c) => {
      const key = JSON.stringify(c);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
  const operations: string[] = [...s3Operations.map((r) => r.operation)];
  for (const key of cells.keys()) {
    const op = key.split('|')[0]!;
    if (!operations.includes(op)) operations.push(op);
  }
  return html`<p class="legend small"><span class="cell-ok-allow">allowed, as expected</span><span class="cell-ok-deny">denied, as expected</span><span class="cell-mismatch">observed differs from expected</span><span class="cell-error">error</span><span class="cell-none">not run</span> Each cell: expected, then ✓ or what was observed.</p>
<table class="matrix"><thead>
<tr><th rowspan="2">S3 operation</th>${permissionTypes.map((level) => html`<th colspan="2">${permissionLabels[level]}</th>`)}</tr>
<tr>${permissionTypes.map(() => html`<th>in scope</th><th>out of scope</th>`)}</tr>
</thead><tbody>
${operations.map((op) => html`<tr><th class="op">${op}</th>${permissionTypes.map((level) => scopes.map((scope) => matrixCell(dedupe(cells.get(`${op}|${level}|${scope}`) ?? []), op, level, scope)))}</tr>`)}
</tbody></table>`;
}

function observedSection(results: Results): Html {
  const info = results.requirements.filter((r) => r.level === 'INFO');
  return html`<table><thead><tr><th>Id</th><th>Question</th><th>Status</th><th>What the target did</th></tr></thead><tbody>
${info.map((r) => html`<tr><td><code>${r.id}</code></td><td><b>${specText(r.title)}</b><div class="small muted">${specText(requirement(r.id).statement)}</div></td>
<td class="status">${badge(r)}</td><td>${r.observed !== undefined ? html`<pre>${formatObserved(r.observed)}</pre>` : html`<span class="muted">${r.reason ?? 'nothing recorded'}</span>`}
${r.checks.filter((c) => c.message).map((c) => html`<div class="small">${c.message}</div>`)}</td></tr>`)}
</tbody></table>`;
}

export interface HtmlOptions {
  /** Whether the run passes the CI gate; shown as the verdict banner. */
  readonly passed: boolean;
}

export function renderHtml(results: Results, options: HtmlOptions): string {
  const { summary, target } = results;
  const targetName = target.embedded ? 'embedded mock' : target.s3_endpoint;
  const capabilities = Object.entries(target.capabilities);
  const failed = results.requirements.filter((r) => r.status === 'failed');
  const body = html`<header>
<h1>IBEE conformance report</h1>
<div class="muted">${targetName}, ${results.started_at}</div>
<div class="verdict ${options.passed ? 'pass' : 'fail'}">${options.passed ? 'PASS' : 'FAIL'}</div>
<nav class="small"><a href="#summary">Summary</a> · Requirements: ${requirementAreas
    .filter((area) => results.requirements.some((r) => r.area === area))
    .map((area, i) => html`${i > 0 ? ', ' : ''}<a href="#area-${area}">${area}</a>`)} · <a href="#matrix">Permission matrix</a> · <a href="#observed">Observed behaviour</a></nav>
</header>
<section id="summary"><h2>Summary</h2>
<div class="scores">
<div class="score">MUST<b>${formatPercent(summary.must.score)}</b><span class="small">${summary.must.passed} of ${summary.must.applicable} passed</span></div>
<div class="score">SHOULD<b>${formatPercent(summary.should.score)}</b><span class="small">${summary.should.passed} of ${summary.should.applicable} passed</span></div>
<div class="score">Requirements<b>${summary.total}</b><span class="small">${statusCounts(results.requirements)}</span></div>
</div>
<dl class="summary">
<dt>Target</dt><dd>${targetName}</dd>
<dt>REST API</dt><dd><code>${target.api_url}</code></dd>
<dt>S3 endpoint</dt><dd><code>${target.s3_endpoint}</code></dd>
<dt>Driver</dt><dd>${target.driver}</dd>
${capabilities.length > 0 ? html`<dt>Capabilities</dt><dd>${capabilities.map(([k, v], i) => html`${i > 0 ? ', ' : ''}${k}: <b>${String(v)}</b>`)}</dd>` : ''}
<dt>Date</dt><dd>${results.started_at} to ${results.finished_at}</dd>
<dt>Duration</dt><dd>${formatRunDuration(results)}</dd>
<dt>Tool</dt><dd>${results.tool.name} ${results.tool.version}</dd>
<dt>Seed</dt><dd><code>${results.seed}</code> (runs per property: ${results.runs})</dd>
${results.shard ? html`<dt>Shard</dt><dd>${results.shard}</dd>` : ''}
${results.only ? html`<dt>Only</dt><dd>${results.only.join(', ')}</dd>` : ''}
<dt>Checks</dt><dd>${summary.checks.total} (${summary.checks.failed} failed)</dd>
</dl>
${failed.length > 0 ? html`<p><b>Failed:</b> ${failed.map((r, i) => html`${i > 0 ? ', ' : ''}<a href="#req-${r.id}">${r.id}</a>${r.expected === 'failed' ? ' (known)' : ''}`)}</p>` : ''}
${summary.unexpectedFailures.length > 0 ? html`<p><b>New MUST failures (fail the run):</b> ${summary.unexpectedFailures.join(', ')}</p>` : ''}
${summary.unexpectedPasses.length > 0 ? html`<p><b>Unexpected passes</b> (listed as failing in the expectations file; remove them to ratchet): ${summary.unexpectedPasses.join(', ')}</p>` : ''}
${(results.errors ?? []).length > 0 ? html`<p><b>Run errors</b> (the suite itself did not run cleanly):</p><ul class="errors">${(results.errors ?? []).map((e) => html`<li><pre>${e}</pre></li>`)}</ul>` : ''}
</section>
<section id="requirements"><h2>Requirements</h2>${requirementTables(results)}</section>
<section id="matrix"><h2>Permission matrix</h2>${permissionMatrix(results)}</section>
<section id="observed"><h2>Observed behaviour on ambiguous points</h2>
<p class="small muted">IBEE's documentation is silent or contradictory here; the suite records what the target does without judging it.</p>
${observedSection(results)}</section>
<footer class="small muted"><p>Generated by ${results.tool.name} ${results.tool.version}. Secrets and bearer tokens are redacted from all evidence.</p></footer>`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(`IBEE conformance: ${options.passed ? 'PASS' : 'FAIL'}, ${targetName}`)}</title>
<style>${css}</style>
</head>
<body>
${body.value}
</body>
</html>
`;
}
