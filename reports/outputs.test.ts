import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { requirements } from '../spec/index.js';
import { aggregate, gate, prepareChecks } from './aggregate.js';
import { escapeHtml, renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { REDACTED, redactText } from './redact.js';
import type { CheckRecord } from './results-format.js';
import { fixtureChecks, fixtureRun, hostileKey, issueSecrets, type IssuedSecrets } from './test/fixtures.js';
import { writeReports } from './write.js';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', trimValues: false, isArray: (name) => ['testsuite', 'testcase'].includes(name) });

interface JunitCase {
  '@_name': string;
  failure?: { '@_message': string; '#text': string };
  skipped?: { '@_message': string };
  'system-out'?: string;
}

function junitCases(xml: string): JunitCase[] {
  const doc = parser.parse(xml) as { testsuites: { testsuite: { testcase: JunitCase[] }[] } };
  return doc.testsuites.testsuite.flatMap((s) => s.testcase);
}

describe('junit.xml', () => {
  const secrets = issueSecrets();

  it('is well-formed, one testcase per requirement, failures with message, counterexample and replay', () => {
    const results = aggregate(fixtureChecks(secrets, { readOnlyWrite: true, revokeLag: true }), fixtureRun());
    const xml = renderJunit(results);
    expect(XMLValidator.validate(xml)).toBe(true);
    const cases = junitCases(xml);
    expect(cases).toHaveLength(requirements.length);
    const ro = cases.find((c) => c['@_name'].startsWith('PERM-OBJECT-RO:'))!;
    expect(ro.failure!['@_message']).toMatch(/PutObject with an Object Read only token/);
    expect(ro.failure!['#text']).toContain('Counterexample: [{"level":"object_ro"');
    // The hostile key comes back as the same text: escaped on the way in, not interpreted.
    expect(ro.failure!['#text']).toContain(JSON.stringify(hostileKey));
    expect(ro.failure!['#text']).toContain('Seed: 1234567  Path: 3:1:0');
    expect(ro.failure!['#text']).toContain('Replay: npx ibee-conformance run');
    const enforced = cases.find((c) => c['@_name'].startsWith('TOKEN-EXPIRY-ENFORCED:'))!;
    expect(enforced.skipped!['@_message']).toMatch(/^not_applicable: the target has no time travel/);
    const admin = cases.find((c) => c['@_name'].startsWith('SCOPE-ADMIN-SPECIFIC:'))!;
    expect(admin.failure).toBeUndefined();
    expect(admin['system-out']).toContain('"accepted": true');
  });

  it('reports a listed failure as a known failure (skipped), and run errors as errors', () => {
    const results = aggregate(fixtureChecks(secrets, { revokeLag: true }), fixtureRun({ errors: ['vitest failed to start: boom \u0007'] }), {
      expectations: new Map([['REVOKE-IMMEDIATE', 'failed']]),
    });
    const xml = renderJunit(results);
    expect(XMLValidator.validate(xml)).toBe(true);
    const cases = junitCases(xml);
    expect(cases.find((c) => c['@_name'].startsWith('REVOKE-IMMEDIATE:'))!.skipped!['@_message']).toMatch(/^Known failure/);
    expect(cases.find((c) => c['@_name'].startsWith('REVOKE-PERMANENT:'))!.failure).toBeDefined();
    expect(xml).toMatch(/<testsuite name="ibee-conformance run" tests="1" failures="0" errors="1"/);
    expect(xml).not.toContain('\u0007');
  });

  it('property: any message text survives a JUnit round trip', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), (message, binary) => {
        const checks: CheckRecord[] = [{ check: 'x', requirementIds: ['CRED-FORMAT'], status: 'failed', message, counterexample: binary }];
        const xml = renderJunit(aggregate(checks, fixtureRun()));
        expect(XMLValidator.validate(xml)).toBe(true);
        const failure = junitCases(xml).find((c) => c['@_name'].startsWith('CRED-FORMAT:'))!.failure!;
        // Printable text comes back exactly; any other code point is either kept or replaced by U+FFFD.
        expect(failure['@_message']).toBe(redactText(message) || 'failed');
        expect(failure['#text']).toContain('Counterexample: ');
      }),
    );
  });
});

describe('report.html escaping', () => {
  it('escapes every interpolated string', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('property: hostile text in any recorded field is shown, never interpreted', () => {
    const tag = fc.constantFrom('<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><iframe src="https://evil.test">', "'><style>*{}</style>", '<!--', ']]>');
    fc.assert(
      fc.property(tag, fc.string({ maxLength: 20 }), fc.constantFrom('message', 'counterexample', 'observed', 'evidence', 'reason'), (hostile, noise, field) => {
        const text = `${noise}${hostile}${noise}`;
        const check: CheckRecord = {
          check: 'hostile',
          requirementIds: field === 'observed' ? ['SCOPE-LISTBUCKETS-VIEW'] : field === 'reason' ? ['PRESIGNED-POST'] : ['CRED-FORMAT'],
          status: field === 'observed' ? 'observed' : field === 'reason' ? 'not_applicable' : 'failed',
          ...(field === 'message' ? { message: text } : {}),
          ...(field === 'counterexample' ? { counterexample: text } : {}),
          ...(field === 'observed' ? { observed: text } : {}),
          ...(field === 'reason' ? { reason: text } : {}),
          ...(field === 'evidence' ? { evidence: [{ request: { method: 'GET', url: `http://h/${text}` }, response: { status: 500, body: text } }] } : {}),
        };
        const page = renderHtml(aggregate([check], fixtureRun()), { passed: false });
        expect(page).not.toContain(hostile);
        expect(page).toContain(escapeHtml(hostile));
        // The only tags are ours: no script, no iframe, no image, one style block.
        expect(page).not.toMatch(/<(script|iframe|img)\b/i);
        expect(page.match(/<style\b/g)).toHaveLength(1);
      }),
    );
  });

  it('links each requirement to the documentation pages spec/ cites', () => {
    const page = renderHtml(aggregate(fixtureChecks(issueSecrets()), fixtureRun()), { passed: true });
    expect(page).toContain('<a href="https://docs.ibee.ai/docs/storage/object-storage/api-tokens">P3</a>');
    const hrefs = [...page.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    expect(hrefs.every((h) => h.startsWith('https://') || h.startsWith('#'))).toBe(true);
  });
});

describe('no secret reaches any output', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function outputsOf(checks: readonly CheckRecord[], secrets: IssuedSecrets): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ibee-report-'));
    dirs.push(dir);
    const run = fixtureRun();
    const options = { knownSecrets: [secrets.managementToken] };
    const prepared = prepareChecks(checks, run, options);
    await writeReports(dir, aggregate(prepared, run, options), prepared);
    const files = await readdir(dir);
    expect(files.sort()).toEqual(['checks.jsonl', 'junit.xml', 'report.html', 'results.json']);
    return (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
  }

  function expectNoSecrets(text: string, secrets: IssuedSecrets): void {
    for (const [name, value] of Object.entries(secrets)) {
      if (name === 'accessKeyId') continue; // An Access Key ID is an identifier, not a secret.
      expect(text.includes(value), `${name} leaked`).toBe(false);
    }
  }

  it('scrubs issued secrets the suites left in evidence, messages and counterexamples', async () => {
    const secrets = issueSecrets();
    const text = await outputsOf(fixtureChecks(secrets, { readOnlyWrite: true, secretLeak: true, revokeLag: true }), secrets);
    expectNoSecrets(text, secrets);
    expect(text).toContain(REDACTED);
    // Evidence stays useful: the SigV4 credential scope and the failure message are still there.
    expect(text).toContain(`Credential=${secrets.accessKeyId}/20261127`);
    expect(text).toContain('returned the secret access key again: [REDACTED]');
  });

  it('property: a secret placed anywhere a check can carry text never reaches an output', async () => {
    const pool = Array.from({ length: 64 }, () => issueSecrets());
    const delimiter = fc.constantFrom(' ', '"', "'", '\n', '<', '>', ',', '&', ':', '(', '[', '{');
    const place = fc.constantFrom('message', 'counterexample', 'observed', 'reason', 'reqHeader', 'resBody', 'url', 'note', 'cellDetail', 'jsonField', 'authorization');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...pool), fc.constantFrom('bearer', 'secretAccessKey', 'managementToken'), place, fc.string({ maxLength: 12 }), delimiter, delimiter, fc.string({ maxLength: 12 }), async (secrets, which, where, before, d1, d2, after) => {
        const value = secrets[which as keyof IssuedSecrets];
        const text = `${before}${d1}${value}${d2}${after}`;
        const jsonBody = JSON.stringify({ id: 'tok_1', [`${which === 'bearer' ? 'bearer_token' : 'secret_access_key'}`]: value });
        const check: CheckRecord = {
          check: 'leak',
          requirementIds: where === 'observed' ? ['AUTH-UNKNOWN-KEY-CODE'] : ['SECRET-ONCE'],
          status: where === 'observed' ? 'observed' : where === 'reason' ? 'not_applicable' : 'failed',
          ...(where === 'message' ? { message: text } : {}),
          ...(where === 'counterexample' ? { counterexample: text } : {}),
          ...(where === 'observed' ? { observed: { said: text } } : {}),
          ...(where === 'reason' ? { reason: text } : {}),
          ...(where === 'cellDetail' ? { cell: { operation: 'GetObject', level: 'object_ro', scope: 'in_scope', expected: 'allow', observed: 'error', detail: text } } : {}),
          evidence: [
            {
              request: {
                method: 'GET',
                url: where === 'url' ? `http://h/b/k?x=${encodeURIComponent(text)}` : 'http://h/b/k',
                headers: where === 'reqHeader' ? { 'x-debug': text } : where === 'authorization' ? { authorization: `Bearer ${value}` } : {},
              },
              response: { status: 200, body: where === 'resBody' ? text : where === 'jsonField' ? jsonBody : '' },
              ...(where === 'note' ? { note: text } : {}),
            },
          ],
        };
        expectNoSecrets(await outputsOf([check], secrets), secrets);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the verdict of a redacted run', () => {
    const secrets = issueSecrets();
    const results = aggregate(fixtureChecks(secrets, { secretLeak: true }), fixtureRun());
    expect(gate(results).ok).toBe(false);
  });
});
