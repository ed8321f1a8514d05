import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { aggregate, gate } from '../reports/aggregate.js';
import { fixtureRun } from '../reports/test/fixtures.js';
import { parsePropertyFailure, passedTestLine, requirementIdsIn, runSuites } from './runner.js';
import { readRunSettings } from './target/config.js';

/**
 * The runner drives a real vitest run in-process. Here it runs a stand-in project (suites/test/runner-fixture)
 * whose tests pass, record a failure, fail without recording, and fail without naming a requirement.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

describe('runSuites', () => {
  it('collects checks, ties failing tests to requirements, reports run errors and shows progress', async () => {
    const progress = new Capture();
    const ibeeVariables = (): [string, string | undefined][] => Object.entries(process.env).filter(([name]) => name.startsWith('IBEE_'));
    const envBefore = ibeeVariables();
    const outcome = await runSuites({
      configuration: { settings: readRunSettings({ IBEE_SEED: '77', IBEE_RUNS: '3', IBEE_RUN_PREFIX: 'ibcfixture' }), target: null },
      progress,
      vitestConfig: join(root, 'suites/test/runner-fixture/vitest.fixture.config.ts'),
      project: 'runner-fixture',
    });
    // The run reaches the suites through vitest's provided context, never through the environment.
    expect(ibeeVariables()).toEqual(envBefore);

    // The target as the global setup provided it, with probed capabilities (port 9 answers nothing: no time travel).
    expect(outcome.target).toMatchObject({ api_url: 'http://127.0.0.1:9/fixture', s3_endpoint: 'http://127.0.0.1:9', driver: 'rest', embedded: true, capabilities: { timeTravel: false } });
    expect(JSON.stringify(outcome.target)).not.toContain('fixture-management-token');
    const byName = new Map(outcome.checks.map((c) => [c.check, c]));
    expect(byName.get('fixture.pass')?.status).toBe('passed');
    // The suites see the run as the CLI settled it.
    expect(byName.get('fixture.run')?.observed).toEqual({ seed: 77, runs: 3, runPrefix: 'ibcfixture' });
    // A failure the test recorded itself is not doubled.
    expect(outcome.checks.filter((c) => c.requirementIds.includes('REVOKE-IMMEDIATE'))).toHaveLength(1);
    // A test that failed without recording: judged by its name's requirement id, with fast-check's replay data.
    expect(byName.get('test: fixture.unrecorded-failure [SECRET-ONCE]')).toMatchObject({
      requirementIds: ['SECRET-ONCE'],
      status: 'failed',
      seed: 77,
      path: '2:0',
      counterexample: '["leaky"]',
    });
    // A failing test that names no requirement is a run error.
    expect(outcome.errors).toEqual([expect.stringMatching(/^Test "fixture.untagged-failure" failed without recording a check or naming a requirement id: .*expected 2 to be 3/)]);
    expect(outcome.interrupted).toBe(false);

    expect(progress.text).toMatch(/Running 1 conformance file/);
    expect(progress.text).toMatch(/▶ suites\/test\/runner-fixture\/checks\.fixture\.ts/);
    expect(progress.text).toMatch(/✓ fixture\.pass \[CRED-FORMAT\] \(\d+ ms\)/);
    // A check that could not be exercised passes for vitest, and is no pass: its line says not applicable, and why.
    expect(progress.text).toContain('○ fixture.not-applicable [REVOKE-PERMANENT] (not applicable: the fixture driver cannot revoke tokens)');
    expect(byName.get('fixture.not-applicable')).toMatchObject({ status: 'not_applicable', reason: 'the fixture driver cannot revoke tokens' });
    expect(progress.text).toMatch(/✗ fixture\.recorded-failure \[REVOKE-IMMEDIATE\] \(\d+ ms\): \[REVOKE-IMMEDIATE\] revoked token still worked: \[REDACTED\]/);
    expect(progress.text).not.toContain('ibee_v4_Zm9v');
    expect(progress.text).toContain('4 checks recorded so far, 1 failed');
    expect(progress.text).toMatch(/Done: 5 tests in 1 file, 3 failed\./);

    const results = aggregate(outcome.checks, fixtureRun({ errors: outcome.errors }));
    expect(results.requirements.find((r) => r.id === 'SECRET-ONCE')!.status).toBe('failed');
    expect(gate(results).ok).toBe(false);
  }, 120_000);

  it('progress lines tell passed, observed, not applicable and skipped apart', () => {
    expect(passedTestLine('a [CRED-FORMAT]', 12, { status: 'passed' })).toBe('  ✓ a [CRED-FORMAT] (12 ms)');
    expect(passedTestLine('a [CRED-FORMAT]', 12, { status: 'passed', reason: 'partly not applicable: no object_rw key' })).toBe('  ✓ a [CRED-FORMAT] (12 ms; partly not applicable: no object_rw key)');
    expect(passedTestLine('a [CRED-FORMAT]', 12, { status: 'not_applicable', reason: 'no REST API given\nmore' })).toBe('  ○ a [CRED-FORMAT] (not applicable: no REST API given)');
    expect(passedTestLine('a [CRED-FORMAT]', 12, { status: 'not_applicable' })).toBe('  ○ a [CRED-FORMAT] (not applicable)');
    expect(passedTestLine('a [SCOPE-LISTBUCKETS-VIEW]', 1500, { status: 'observed' })).toBe('  ◇ a [SCOPE-LISTBUCKETS-VIEW] (1.5 s, observed)');
    expect(passedTestLine('a [CRED-FORMAT]', 3, { status: 'skipped', reason: 'not selected' })).toBe('  - a [CRED-FORMAT] (skipped: not selected)');
    // A test that is not a registered check: as vitest saw it.
    expect(passedTestLine('plain test', 3, undefined)).toBe('  ✓ plain test (3 ms)');
    expect(passedTestLine('a', 3, { status: 'not_applicable', reason: 'x'.repeat(500) })).toHaveLength('  ○ a (not applicable: '.length + 301 + 1);
  });

  it('finds requirement ids in test names and tags, and nothing else', () => {
    expect(requirementIdsIn(['secrets.never-again [SECRET-ONCE, CRED-FORMAT]', 'AWS-SIGV4 X-AMZ-DATE NOT-A-REQ'])).toEqual(['SECRET-ONCE', 'CRED-FORMAT']);
  });

  it('reads seed, path and counterexample from a fast-check failure', () => {
    expect(parsePropertyFailure('Property failed after 1 tests\n{ seed: -12, path: "0:1", endOnFailure: true }\nCounterexample: [366]')).toEqual({ seed: -12, path: '0:1', counterexample: '[366]' });
    expect(parsePropertyFailure('plain assertion')).toEqual({});
  });
});
