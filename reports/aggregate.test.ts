import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { requirements } from '../spec/index.js';
import { aggregate, gate, prepareChecks } from './aggregate.js';
import { parseChecksJsonl } from './checks-file.js';
import { parseExpectations } from './expectations.js';
import { mergeShards, readShard } from './merge.js';
import type { CheckRecord, RequirementStatus } from './results-format.js';
import { fixtureChecks, fixtureRun, issueSecrets } from './test/fixtures.js';
import { writeReports } from './write.js';

const secrets = issueSecrets();
const mustIds = requirements.filter((r) => r.level === 'MUST').map((r) => r.id);

function statusOf(results: ReturnType<typeof aggregate>, id: string): RequirementStatus {
  return results.requirements.find((r) => r.id === id)!.status;
}

describe('aggregation', () => {
  it('folds checks into one status per requirement of the catalogue', () => {
    const results = aggregate(fixtureChecks(secrets, { readOnlyWrite: true }), fixtureRun());
    expect(results.requirements.map((r) => r.id)).toEqual(requirements.map((r) => r.id));
    // One failed matrix cell fails the level's requirement even though every other cell passed.
    expect(statusOf(results, 'PERM-OBJECT-RO')).toBe('failed');
    expect(statusOf(results, 'PERM-OBJECT-RW')).toBe('passed');
    expect(statusOf(results, 'TOKEN-EXPIRY-ENFORCED')).toBe('not_applicable');
    expect(results.requirements.find((r) => r.id === 'TOKEN-EXPIRY-ENFORCED')!.reason).toMatch(/time travel/);
    // No check at all: skipped, with the reason.
    const post = results.requirements.find((r) => r.id === 'DATA-INTEGRITY')!;
    expect(post.status).toBe('skipped');
    expect(post.reason).toMatch(/No check recorded/);
    // INFO requirements are observed, with what the target did.
    const admin = results.requirements.find((r) => r.id === 'SCOPE-ADMIN-SPECIFIC')!;
    expect(admin.status).toBe('observed');
    expect(admin.observed).toEqual({ accepted: true, status: 201 });
    expect(results.summary.byStatus.failed).toBe(2); // PERM-OBJECT-RO and PERM-DENIED-CODE share the cell
    expect(results.summary.checks.failed).toBe(1);
    expect(results.summary.durationMs).toBe(42_000);
  });

  it('carries the counterexample and builds a replay command for a failure that recorded none', () => {
    const results = aggregate(fixtureChecks(secrets, { readOnlyWrite: true, revokeLag: true }), fixtureRun());
    const ro = results.requirements.find((r) => r.id === 'PERM-OBJECT-RO')!;
    expect(ro.counterexample).toContain('PutObject');
    expect(ro.replay).toBe(`${fixtureRun().replayBase} --only PERM-OBJECT-RO,PERM-DENIED-CODE --seed 1234567 --out reports/out/replay-1234567-perm-object-ro-and-1-more`);
    // A replay the suite recorded itself is kept, with the run's target flags put in front.
    expect(results.requirements.find((r) => r.id === 'REVOKE-IMMEDIATE')!.replay).toBe(`${fixtureRun().replayBase} --only REVOKE-IMMEDIATE --seed 424242`);
  });

  it('a replay writes to a folder of its own', () => {
    const results = aggregate([{ check: 'x', requirementIds: ['CRED-FORMAT'], status: 'failed', seed: 12 }], fixtureRun());
    expect(results.requirements.find((r) => r.id === 'CRED-FORMAT')!.replay).toBe(`${fixtureRun().replayBase} --only CRED-FORMAT --seed 12 --out reports/out/replay-12-cred-format`);
  });

  it('is idempotent, so shards can be prepared again when merged', () => {
    const once = prepareChecks(fixtureChecks(secrets, { readOnlyWrite: true, secretLeak: true }), fixtureRun());
    expect(prepareChecks(once, fixtureRun())).toEqual(once);
  });

  it('all-not_applicable, partly skipped and --only-narrowed requirements get the right status and reason', () => {
    const checks: CheckRecord[] = [
      { check: 'a', requirementIds: ['REVOKE-IMMEDIATE'], status: 'not_applicable', reason: 'manual driver cannot revoke' },
      { check: 'b', requirementIds: ['REVOKE-PERMANENT'], status: 'not_applicable', reason: 'x' },
      { check: 'c', requirementIds: ['REVOKE-PERMANENT'], status: 'skipped', reason: 'y' },
      { check: 'd', requirementIds: ['CRED-FORMAT'], status: 'passed' },
      { check: 'e', requirementIds: ['CRED-FORMAT'], status: 'not_applicable' },
    ];
    const results = aggregate(checks, fixtureRun({ only: ['REVOKE-IMMEDIATE', 'REVOKE-PERMANENT', 'CRED-FORMAT'] }));
    expect(results.requirements.find((r) => r.id === 'REVOKE-IMMEDIATE')).toMatchObject({ status: 'not_applicable', reason: 'manual driver cannot revoke' });
    expect(statusOf(results, 'REVOKE-PERMANENT')).toBe('skipped');
    expect(statusOf(results, 'CRED-FORMAT')).toBe('passed');
    expect(results.requirements.find((r) => r.id === 'TOKEN-NAME-REQUIRED')).toMatchObject({ status: 'skipped', reason: 'Not selected (--only).' });
    expect(results.only).toEqual(['REVOKE-IMMEDIATE', 'REVOKE-PERMANENT', 'CRED-FORMAT']);
  });

  it('property: with --only, exactly the selected requirements are judged; every other id is "not selected"', () => {
    const ids = requirements.map((r) => r.id);
    const record = fc.record({
      check: fc.constantFrom('revocation.model', 'permissions.s3-grid', 'tokens.credentials-work'),
      requirementIds: fc.uniqueArray(fc.constantFrom(...ids), { minLength: 1, maxLength: 6 }),
      status: fc.constantFrom<CheckRecord['status']>('passed', 'failed', 'not_applicable', 'skipped', 'observed'),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 12 }), fc.uniqueArray(fc.constantFrom(...ids), { minLength: 1, maxLength: 5 }), (checks, only) => {
        const selected = new Set(only);
        const run = fixtureRun({ only });
        const results = aggregate(checks, run);
        // The same records, cut down by hand to the selected ids, judge the selected requirements the same way.
        const byHand = aggregate(
          checks.map((c) => ({ ...c, requirementIds: c.requirementIds.filter((id) => selected.has(id)) })).filter((c) => c.requirementIds.length > 0),
          fixtureRun(),
        );
        for (const req of results.requirements) {
          if (selected.has(req.id)) {
            expect(req.status).toBe(byHand.requirements.find((r) => r.id === req.id)!.status);
          } else {
            expect(req).toMatchObject({ status: 'skipped', reason: 'Not selected (--only).', checks: [] });
          }
          for (const c of req.checks) expect(c.requirementIds.every((id) => selected.has(id))).toBe(true);
        }
        const judged = results.requirements.filter((r) => r.status === 'passed' || r.status === 'failed');
        expect(judged.every((r) => selected.has(r.id))).toBe(true);
        expect(results.summary.must.applicable + results.summary.should.applicable).toBe(judged.filter((r) => r.level !== 'INFO').length);
        expect(results.summary.unexpectedFailures.every((id) => selected.has(id))).toBe(true);
        // Prepared once (as `run` does) or twice (as `merge` does), the outcome is the same.
        const prepared = prepareChecks(checks, run);
        expect(prepareChecks(prepared, run)).toEqual(prepared);
        expect(aggregate(prepared, run).requirements).toEqual(results.requirements);
      }),
      { numRuns: 200 },
    );
  });

  it('narrows a failure that speaks for selected and unselected ids, replay included', () => {
    const checks: CheckRecord[] = [
      { check: 'revocation.model', requirementIds: ['REVOKE-IMMEDIATE', 'PERM-ADMIN-RW', 'PERM-OBJECT-RO', 'OBJECT-ROUNDTRIP'], status: 'passed' },
      {
        check: 'permissions.s3-grid',
        requirementIds: ['PERM-ADMIN-RW', 'PERM-OBJECT-RO', 'SCOPE-SPECIFIC'],
        status: 'failed',
        message: 'could not complete',
        seed: 7,
        replay: 'npx ibee-conformance run --seed 7 --only PERM-ADMIN-RW,PERM-OBJECT-RO,SCOPE-SPECIFIC',
      },
      { check: 'permissions.s3-grid', requirementIds: ['PERM-ADMIN-RW'], status: 'failed', message: 'cell' },
    ];
    const results = aggregate(checks, fixtureRun({ only: ['REVOKE-IMMEDIATE', 'PERM-OBJECT-RO', 'SECRET-ONCE'] }));
    expect(statusOf(results, 'REVOKE-IMMEDIATE')).toBe('passed');
    expect(statusOf(results, 'PERM-OBJECT-RO')).toBe('failed');
    expect(results.requirements.find((r) => r.id === 'PERM-OBJECT-RO')!.replay).toBe(`${fixtureRun().replayBase} --seed 7 --only PERM-OBJECT-RO`);
    for (const id of ['PERM-ADMIN-RW', 'OBJECT-ROUNDTRIP', 'SCOPE-SPECIFIC']) {
      expect(results.requirements.find((r) => r.id === id)).toMatchObject({ status: 'skipped', reason: 'Not selected (--only).' });
    }
    expect(results.summary.must).toMatchObject({ passed: 1, failed: 1, applicable: 2 });
    expect(results.summary.unexpectedFailures).toEqual(['PERM-OBJECT-RO']);
    expect(results.summary.checks).toEqual({ total: 2, failed: 1 });
  });

  it('reports a check naming an unknown requirement as a run error', () => {
    const results = aggregate([{ check: 'x', requirementIds: ['NOT-A-REQ'], status: 'passed' }], fixtureRun());
    expect(results.errors).toEqual(['Check "x" names unknown requirement id "NOT-A-REQ".']);
    expect(gate(results).ok).toBe(false);
  });
});

describe('no claim without evidence', () => {
  const reasonOf = (results: ReturnType<typeof aggregate>, id: string): string | undefined => results.requirements.find((r) => r.id === id)!.reason;

  it('SECRET-ONCE: the run-wide leak scan alone supports it, never passes it', () => {
    const scan: CheckRecord = { check: 'secrets.run-wide-scan', requirementIds: ['SECRET-ONCE'], supporting: ['SECRET-ONCE'], status: 'passed' };
    const mainNotApplicable: CheckRecord = { check: 'secrets.shown-once', requirementIds: ['SECRET-ONCE'], status: 'not_applicable', reason: 'the manual driver cannot create and read tokens' };
    const onlyScan = aggregate([mainNotApplicable, scan, scan], fixtureRun());
    expect(statusOf(onlyScan, 'SECRET-ONCE')).toBe('not_applicable');
    expect(reasonOf(onlyScan, 'SECRET-ONCE')).toBe('the manual driver cannot create and read tokens Only supporting evidence passed (secrets.run-wide-scan).');
    // The main check ran and passed: passed.
    expect(statusOf(aggregate([{ ...mainNotApplicable, status: 'passed', reason: undefined }, scan], fixtureRun()), 'SECRET-ONCE')).toBe('passed');
    // A leak the scan found fails it, whatever the main check said.
    expect(statusOf(aggregate([{ ...mainNotApplicable, status: 'passed', reason: undefined }, { ...scan, status: 'failed' }], fixtureRun()), 'SECRET-ONCE')).toBe('failed');
    // No record of the main check at all: skipped, saying so.
    const noMain = aggregate([scan], fixtureRun());
    expect(statusOf(noMain, 'SECRET-ONCE')).toBe('skipped');
    expect(reasonOf(noMain, 'SECRET-ONCE')).toMatch(/^No check of its main statement was recorded in this run\. Only supporting evidence passed/);
  });

  it('PERM-DENIED-CODE: S3 denials judged and every REST cell unjudged is not applicable, with why', () => {
    const rest = 'the credentials driver issues S3 credentials, which have no Bearer token to call the REST API with';
    const checks: CheckRecord[] = [
      { check: 'permissions.s3-grid', requirementIds: ['PERM-OBJECT-RO', 'PERM-DENIED-CODE'], supporting: ['PERM-DENIED-CODE'], status: 'passed' },
      { check: 'permissions.rest-grid', requirementIds: ['PERM-OBJECT-RO', 'PERM-DENIED-CODE'], supporting: ['PERM-DENIED-CODE'], status: 'not_applicable', reason: rest },
      { check: 'permissions.denied-code', requirementIds: ['PERM-DENIED-CODE'], status: 'not_applicable', reason: `no REST denial was judged: ${rest}` },
      { check: 'permissions.denied-code', requirementIds: ['PERM-DENIED-CODE'], supporting: ['PERM-DENIED-CODE'], status: 'passed' },
    ];
    const results = aggregate(checks, fixtureRun());
    expect(statusOf(results, 'PERM-DENIED-CODE')).toBe('not_applicable');
    expect(reasonOf(results, 'PERM-DENIED-CODE')).toBe(`no REST denial was judged: ${rest} ${rest} Only supporting evidence passed (permissions.s3-grid, permissions.denied-code).`);
    // The same cells are main evidence for the level: it passed on S3.
    expect(statusOf(results, 'PERM-OBJECT-RO')).toBe('passed');
    // A refused cell with the wrong answer still fails PERM-DENIED-CODE through its supporting record.
    const wrong = aggregate([...checks, { ...checks[0]!, status: 'failed' }], fixtureRun());
    expect(statusOf(wrong, 'PERM-DENIED-CODE')).toBe('failed');
  });

  it('property: passed exactly when a main record passed and none failed; failed exactly when any record failed', () => {
    const ids = ['SECRET-ONCE', 'PERM-DENIED-CODE', 'PRESIGNED-POST'] as const;
    const record = fc
      .record({
        check: fc.constantFrom('a', 'b'),
        requirementIds: fc.uniqueArray(fc.constantFrom(...ids), { minLength: 1, maxLength: 3 }),
        status: fc.constantFrom<CheckRecord['status']>('passed', 'failed', 'not_applicable', 'skipped', 'observed'),
        supportingMask: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      })
      .map(({ supportingMask, ...r }): CheckRecord => {
        const supporting = r.requirementIds.filter((_id, i) => supportingMask[i]);
        const unrun = r.status === 'not_applicable' || r.status === 'skipped';
        return { ...r, ...(supporting.length > 0 ? { supporting } : {}), ...(unrun ? { reason: `${r.check} did not run` } : {}) };
      });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (checks) => {
        const results = aggregate(checks, fixtureRun());
        for (const id of ids) {
          const own = checks.filter((c) => c.requirementIds.includes(id));
          const mainPassed = own.some((c) => c.status === 'passed' && !(c.supporting ?? []).includes(id));
          const anyFailed = own.some((c) => c.status === 'failed');
          expect(statusOf(results, id) === 'failed', id).toBe(anyFailed);
          expect(statusOf(results, id) === 'passed', id).toBe(mainPassed && !anyFailed);
          if (statusOf(results, id) === 'not_applicable' || statusOf(results, id) === 'skipped') expect(reasonOf(results, id), id).toBeTruthy();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('with --only, a record narrowed to the selection keeps supporting for the selected ids only', () => {
    const checks: CheckRecord[] = [
      { check: 'permissions.s3-grid', requirementIds: ['PERM-OBJECT-RO', 'PRESIGNED-POST', 'PERM-DENIED-CODE'], supporting: ['PRESIGNED-POST', 'PERM-DENIED-CODE'], status: 'passed' },
    ];
    expect(prepareChecks(checks, fixtureRun({ only: ['PERM-OBJECT-RO'] }))).toEqual([{ check: 'permissions.s3-grid', requirementIds: ['PERM-OBJECT-RO'], status: 'passed' }]);
    const narrowed = prepareChecks(checks, fixtureRun({ only: ['PERM-OBJECT-RO', 'PRESIGNED-POST'] }));
    expect(narrowed).toEqual([{ check: 'permissions.s3-grid', requirementIds: ['PERM-OBJECT-RO', 'PRESIGNED-POST'], supporting: ['PRESIGNED-POST'], status: 'passed' }]);
    expect(statusOf(aggregate(checks, fixtureRun({ only: ['PRESIGNED-POST'] })), 'PRESIGNED-POST')).toBe('skipped');
  });
});

describe('CI gating with an expectations file', () => {
  it('fails on a new MUST failure', () => {
    const results = aggregate(fixtureChecks(secrets, { revokeLag: true }), fixtureRun());
    expect(results.summary.unexpectedFailures).toEqual(['REVOKE-IMMEDIATE', 'REVOKE-PERMANENT']);
    expect(gate(results)).toMatchObject({ ok: false });
    expect(gate(results).reasons.join('\n')).toContain('REVOKE-IMMEDIATE');
  });

  it('passes when every MUST failure is listed, and marks them expected', () => {
    const expectations = parseExpectations({ 'REVOKE-IMMEDIATE': 'failed', 'REVOKE-PERMANENT': 'failed' });
    const results = aggregate(fixtureChecks(secrets, { revokeLag: true }), fixtureRun(), { expectations });
    expect(statusOf(results, 'REVOKE-IMMEDIATE')).toBe('failed');
    expect(results.requirements.find((r) => r.id === 'REVOKE-IMMEDIATE')!.expected).toBe('failed');
    expect(results.summary.unexpectedFailures).toEqual([]);
    expect(gate(results).ok).toBe(true);
  });

  it('reports unexpected passes without failing', () => {
    const expectations = parseExpectations({ 'REVOKE-IMMEDIATE': 'failed' });
    const results = aggregate(fixtureChecks(secrets), fixtureRun(), { expectations });
    expect(results.summary.unexpectedPasses).toEqual(['REVOKE-IMMEDIATE']);
    expect(gate(results).ok).toBe(true);
  });

  it('does not gate on SHOULD failures, and does gate on run errors', () => {
    const should = aggregate([{ check: 'm', requirementIds: ['PERM-MONOTONIC'], status: 'failed', message: 'lost' }], fixtureRun());
    expect(statusOf(should, 'PERM-MONOTONIC')).toBe('failed');
    expect(should.summary.should.failed).toBe(1);
    expect(gate(should).ok).toBe(true);
    const broken = aggregate([], fixtureRun({ errors: ['vitest failed to start: boom'] }));
    expect(gate(broken).ok).toBe(false);
  });

  it('property: the gate passes exactly when the failing MUST requirements are a subset of the listed ones', () => {
    fc.assert(
      fc.property(fc.subarray(mustIds), fc.subarray(mustIds), (failing, listed) => {
        const checks: CheckRecord[] = mustIds.map((id) => ({ check: `c-${id}`, requirementIds: [id], status: failing.includes(id) ? 'failed' : 'passed' }));
        const expectations = parseExpectations(Object.fromEntries(listed.map((id) => [id, 'failed'])));
        const results = aggregate(checks, fixtureRun(), { expectations });
        const newFailures = failing.filter((id) => !listed.includes(id));
        expect(gate(results).ok).toBe(newFailures.length === 0);
        expect([...results.summary.unexpectedFailures].sort()).toEqual([...newFailures].sort());
        expect([...results.summary.unexpectedPasses].sort()).toEqual(listed.filter((id) => !failing.includes(id)).sort());
        expect(results.summary.must).toMatchObject({ failed: failing.length, passed: mustIds.length - failing.length });
      }),
    );
  });

  it('rejects unknown ids and statuses in the expectations file, clearly', () => {
    expect(() => parseExpectations({ 'REVOKE-SOON': 'failed' })).toThrow(/unknown requirement id "REVOKE-SOON"/);
    expect(() => parseExpectations({ 'REVOKE-IMMEDIATE': 'broken' })).toThrow(/status must be one of/);
    expect(() => parseExpectations(['REVOKE-IMMEDIATE'])).toThrow(/JSON object/);
  });
});

describe('checks file', () => {
  it('keeps valid lines and reports a torn or invalid one', () => {
    const text = `${JSON.stringify({ check: 'a', requirementIds: ['CRED-FORMAT'], status: 'passed' })}\n{"check":"b","requirementIds":["X"],"status":"maybe"}\n{"check":"c","requir`;
    const { checks, problems } = parseChecksJsonl(text, 'checks.jsonl');
    expect(checks).toHaveLength(1);
    expect(problems).toEqual([expect.stringMatching(/line 2: "status" must be one of/), expect.stringMatching(/line 3: /)]);
  });
});

describe('merging shards', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function shard(checks: CheckRecord[], index: number): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ibee-shard-'));
    dirs.push(dir);
    const run = fixtureRun({ shard: `${index}/2`, started_at: `2026-11-27T09:0${index}:00.000Z`, finished_at: `2026-11-27T09:0${index}:30.000Z` });
    const prepared = prepareChecks(checks, run);
    await writeReports(dir, aggregate(prepared, run), prepared);
    return dir;
  }

  it('judges each requirement on the checks of every shard', async () => {
    const all = fixtureChecks(secrets, { revokeLag: true });
    const permissions = all.filter((c) => c.check.startsWith('permissions.'));
    const rest = all.filter((c) => !c.check.startsWith('permissions.'));
    const a = await shard(permissions, 1);
    const b = await shard(rest, 2);
    // Shard 1 alone never saw revocation; shard 2 never saw the matrix.
    expect(statusOf((await readShard(a)).results, 'REVOKE-IMMEDIATE')).toBe('skipped');
    const merged = mergeShards([await readShard(a), await readShard(b)]);
    const whole = aggregate(all, fixtureRun());
    expect(merged.results.requirements.map((r) => [r.id, r.status])).toEqual(whole.requirements.map((r) => [r.id, r.status]));
    expect(merged.results.summary.checks.total).toBe(all.length);
    expect(merged.results.started_at).toBe('2026-11-27T09:01:00.000Z');
    expect(merged.results.finished_at).toBe('2026-11-27T09:02:30.000Z');
    expect(merged.results.summary.unexpectedFailures).toEqual(['REVOKE-IMMEDIATE', 'REVOKE-PERMANENT']);
    expect(merged.results.requirements.find((r) => r.id === 'REVOKE-IMMEDIATE')!.replay).toBeDefined();

    // Without checks.jsonl, the checks are taken from results.json.
    await unlink(join(b, 'checks.jsonl'));
    const fromResults = mergeShards([await readShard(a), await readShard(b)]);
    expect(fromResults.results.requirements.map((r) => r.status)).toEqual(whole.requirements.map((r) => r.status));
  });

  it('says clearly when a directory is not a run output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ibee-shard-'));
    dirs.push(dir);
    await expect(readShard(dir)).rejects.toThrow(/no results.json/);
  });
});
