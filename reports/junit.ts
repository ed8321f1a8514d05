import { XMLBuilder } from 'fast-xml-parser';
import { requirementAreas } from '../spec/index.js';
import type { CheckRecord, RequirementResult, Results } from './results-format.js';
import { formatEvidence, formatObserved } from './text.js';

/**
 * JUnit XML for CI systems: one <testsuite> per requirement area, one <testcase> per requirement (its checks in
 * system-out). Failures carry the message, shrunk counterexample, replay command and redacted evidence.
 * A failure the expectations file lists is reported as skipped ("known failure"), so JUnit consumers agree with
 * the exit code; the HTML report and results.json still show it as failed.
 */

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  format: true,
  suppressEmptyNode: true,
  processEntities: true,
});

/** XML 1.0 forbids most control characters and lone surrogates even when escaped; drop them. */
function xmlSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.toWellFormed().replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function checkLine(check: CheckRecord): string {
  const detail = check.message ?? check.reason;
  return `[${check.status}] ${check.check}${detail ? `: ${detail}` : ''}`;
}

function failureText(req: RequirementResult): string {
  const failed = req.checks.filter((c) => c.status === 'failed');
  const parts: string[] = [];
  for (const check of failed) {
    parts.push(checkLine(check));
    if (check.counterexample) parts.push(`Counterexample: ${check.counterexample}`);
    if (check.seed !== undefined) parts.push(`Seed: ${check.seed}${check.path ? `  Path: ${check.path}` : ''}`);
    parts.push(...new Set((check.evidence ?? []).map(formatEvidence)));
    parts.push('');
  }
  if (req.replay) parts.push(`Replay: ${req.replay}`);
  return parts.join('\n');
}

function testcase(req: RequirementResult): Record<string, unknown> {
  const durationMs = req.checks.reduce((sum, c) => sum + (c.durationMs ?? 0), 0);
  const node: Record<string, unknown> = {
    '@_classname': `ibee-conformance.${req.area}`,
    '@_name': xmlSafe(`${req.id}: ${req.title} [${req.level}]`),
    '@_time': seconds(durationMs),
  };
  const firstFailure = req.checks.find((c) => c.status === 'failed');
  if (req.status === 'failed' && req.expected === 'failed') {
    node.skipped = { '@_message': xmlSafe(`Known failure (listed in the expectations file): ${firstFailure?.message ?? ''}`.trim()) };
  } else if (req.status === 'failed') {
    node.failure = {
      '@_message': xmlSafe(firstFailure?.message || 'failed'),
      '@_type': req.level,
      '#text': xmlSafe(failureText(req)),
    };
  } else if (req.status === 'skipped' || req.status === 'not_applicable') {
    node.skipped = { '@_message': xmlSafe(`${req.status}${req.reason ? `: ${req.reason}` : ''}`) };
  }
  const out = req.checks.map(checkLine);
  if (req.observed !== undefined) out.push(`Observed: ${formatObserved(req.observed)}`);
  if (out.length > 0) node['system-out'] = xmlSafe(out.join('\n'));
  return node;
}

export function renderJunit(results: Results): string {
  const suites = requirementAreas
    .map((area) => {
      const reqs = results.requirements.filter((r) => r.area === area);
      if (reqs.length === 0) return null;
      const cases = reqs.map(testcase);
      return {
        '@_name': `ibee-conformance ${area}`,
        '@_tests': reqs.length,
        '@_failures': cases.filter((c) => c.failure).length,
        '@_errors': 0,
        '@_skipped': cases.filter((c) => c.skipped).length,
        '@_time': seconds(reqs.flatMap((r) => r.checks).reduce((s, c) => s + (c.durationMs ?? 0), 0)),
        '@_timestamp': results.started_at,
        testcase: cases,
      };
    })
    .filter((s): s is NonNullable<typeof s> => s !== null);

  const errors = results.errors ?? [];
  if (errors.length > 0) {
    suites.push({
      '@_name': 'ibee-conformance run',
      '@_tests': errors.length,
      '@_failures': 0,
      '@_errors': errors.length,
      '@_skipped': 0,
      '@_time': seconds(0),
      '@_timestamp': results.started_at,
      testcase: errors.map((error, i) => ({
        '@_classname': 'ibee-conformance.run',
        '@_name': `run error ${i + 1}`,
        '@_time': seconds(0),
        error: { '@_message': xmlSafe(error.split('\n')[0] ?? error), '#text': xmlSafe(error) },
      })),
    });
  }

  const count = (key: '@_tests' | '@_failures' | '@_errors' | '@_skipped'): number => suites.reduce((s, x) => s + x[key], 0);
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': xmlSafe(`ibee-conformance ${results.tool.version} against ${results.target.s3_endpoint}`),
      '@_tests': count('@_tests'),
      '@_failures': count('@_failures'),
      '@_errors': count('@_errors'),
      '@_skipped': count('@_skipped'),
      '@_time': seconds(results.summary.durationMs),
      '@_timestamp': results.started_at,
      testsuite: suites,
    },
  }) as string;
}
