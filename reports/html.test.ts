import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requirement } from '../spec/index.js';
import { aggregate } from './aggregate.js';
import { escapeHtml, inlineCodeHtml, renderHtml } from './html.js';
import type { CheckRecord } from './results-format.js';
import { fixtureChecks, fixtureRun, issueSecrets } from './test/fixtures.js';

/** report.html renders the spec's Markdown code spans as <code>, and nothing else as markup. */

function unescape(text: string): string {
  return text.replace(/&(lt|gt|quot|#39|amp);/g, (_m, name: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[name]!);
}

describe('inline code in report.html', () => {
  it('property: text and code spans are both escaped; only the spans become <code>', () => {
    const plain = fc.string({ unit: fc.constantFrom('a', ' ', '<', '>', '&', '"', "'", 'é', 'x', '/', '\n') });
    const code = fc.string({ unit: fc.constantFrom('i', '_', '<', 's', '>', '&', '"', "'", '…', ' '), minLength: 1 });
    fc.assert(
      fc.property(fc.array(fc.tuple(plain, code)), plain, (pairs, tail) => {
        const text = pairs.map(([p, c]) => `${p}\`${c}\``).join('') + tail;
        const expected = pairs.map(([p, c]) => `${escapeHtml(p)}<code>${escapeHtml(c)}</code>`).join('') + escapeHtml(tail);
        expect(inlineCodeHtml(text)).toBe(expected);
      }),
    );
  });

  it('property: any text renders to itself (minus code-span backticks), with no markup but <code>', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('`', '<', '>', '&', 'a', '\n', '"', 'b') }), (text) => {
        const out = inlineCodeHtml(text);
        const withoutCode = out.replace(/<\/?code>/g, '');
        expect(withoutCode).not.toMatch(/[<>]/);
        expect(unescape(withoutCode)).toBe(text.replace(/`([^`\n]+)`/g, '$1'));
      }),
    );
  });

  it('shows the CRED-FORMAT statement with <code> spans, not backticks', () => {
    const statement = requirement('CRED-FORMAT').statement;
    expect(statement).toContain('`ibee_v4_…`');
    const html = renderHtml(aggregate(fixtureChecks(issueSecrets()), fixtureRun()), { passed: true });
    const row = html.slice(html.indexOf('id="req-CRED-FORMAT"'));
    const shown = row.slice(0, row.indexOf('</tr>'));
    expect(shown).toContain('<code>ibee_v4_…</code>');
    expect(shown).toContain('<code>AKIA</code>');
    expect(shown).not.toContain('`');
  });

  it('draws the permission matrix of an --only run that kept the REST cells of one level only', () => {
    const cell = (level: string, scope: 'in_scope' | 'out_of_scope'): CheckRecord => ({
      check: 'permissions.rest-grid',
      requirementIds: [level === 'object_ro' ? 'PERM-OBJECT-RO' : 'PERM-ADMIN-RW'],
      status: 'passed',
      cell: { operation: 'REST GET /v1/object-storage/buckets', level, scope, expected: 'allow', observed: 'allow' },
    });
    const checks = [cell('object_ro', 'in_scope'), cell('admin_rw', 'in_scope')];
    const html = renderHtml(aggregate(checks, fixtureRun({ only: ['PERM-OBJECT-RO'] })), { passed: true });
    const row = html.slice(html.indexOf('<th class="op">REST GET /v1/object-storage/buckets</th>'));
    expect(row.slice(0, row.indexOf('</tr>'))).toContain('title="REST GET /v1/object-storage/buckets, Admin Read &amp; Write, in scope: not run">—</td>');
  });
});
