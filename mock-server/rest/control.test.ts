import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, latestClockMs } from '../clock.js';
import { contractProblems, createHarness, managementToken, type Harness } from './test/harness.js';

/** The mock-only control routes: the clock and reset, behind the management token. */

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

describe('/_mock/clock', () => {
  it('reads and moves the one clock that expiry reads', async () => {
    const before = await h.call('GET', '/_mock/clock', { token: managementToken });
    expect(before.status).toBe(200);
    expect(contractProblems('GET', '/_mock/clock', before)).toEqual([]);
    expect(Date.parse(before.body.now)).toBe(h.clock.nowMs());

    const token = await h.createToken({ name: 't', expires_in_days: 1, billing: { permission_type: 'read_only' } });
    const moved = await h.call('POST', '/_mock/clock', { token: managementToken, json: { advance_seconds: 86_400 } });
    expect(moved.status).toBe(200);
    expect(contractProblems('POST', '/_mock/clock', moved)).toEqual([]);
    expect(Date.parse(moved.body.now) - Date.parse(before.body.now)).toBe(86_400_000);
    expect(moved.body.offset_seconds).toBe(before.body.offset_seconds + 86_400);
    const refused = await h.call('GET', '/v1/billing/balance', { token: token.bearer_token });
    expect([refused.status, refused.body.error]).toEqual([403, 'key_expired']);
    // The Date header shows the moved clock too, to the second.
    expect(Math.abs(Date.parse(refused.headers.date!) - h.clock.nowMs())).toBeLessThan(2000);
  });

  it('refuses anything but a non-negative number of seconds, and never moves back', async () => {
    const bad = fc.oneof(
      fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
      fc.string(),
      fc.constantFrom(null, true, [], {}, 1e300),
      fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }).map((extra) => ({ advance_seconds: 1, ...extra })),
    );
    await fc.assert(
      fc.asyncProperty(bad, async (value) => {
        const before = h.clock.nowMs();
        const json = typeof value === 'object' && value !== null && 'advance_seconds' in value ? value : { advance_seconds: value };
        const res = await h.call('POST', '/_mock/clock', { token: managementToken, json });
        // A dictionary may redefine advance_seconds with a valid number; then it is simply accepted.
        if (res.status === 200) {
          expect(Object.keys(json)).toEqual(['advance_seconds']);
        } else {
          expect(res.status).toBe(422);
          expect(contractProblems('POST', '/_mock/clock', res)).toEqual([]);
          expect(h.clock.nowMs()).toBe(before);
        }
      }),
      { numRuns: 60 },
    );
    const noBody = await h.call('POST', '/_mock/clock', { token: managementToken });
    expect(noBody.status).toBe(422);
  });
});

describe('the clock\'s range', () => {
  it('refuses with 422, changing nothing, an advance past the latest time it can show; requests keep working', async () => {
    const hundredYears = 3_153_600_000;
    let last = await h.call('POST', '/_mock/clock', { token: managementToken, json: { advance_seconds: hundredYears } });
    for (let step = 0; step < 200 && last.status === 200; step++) {
      last = await h.call('POST', '/_mock/clock', { token: managementToken, json: { advance_seconds: hundredYears } });
    }
    expect(last.status).toBe(422);
    expect(last.body.error).toBe('validation_error');
    expect(last.body.message).toContain('9999-01-01');
    expect(contractProblems('POST', '/_mock/clock', last)).toEqual([]);
    const before = h.clock.nowMs();
    expect(before).toBeLessThanOrEqual(latestClockMs);
    expect((await h.call('POST', '/_mock/clock', { token: managementToken, json: { advance_seconds: hundredYears } })).status).toBe(422);
    expect(h.clock.nowMs() - before).toBeLessThan(60_000);
    // Everything dated from the clock still works: a token (expiring a year later) is made and used.
    const token = await h.createToken({ name: 'late', expires_in_days: 365, billing: { permission_type: 'read_only' } });
    expect((await h.call('GET', '/v1/billing/balance', { token: token.bearer_token })).status).toBe(200);
    expect((await h.call('POST', '/_mock/reset', { token: managementToken })).status).toBe(204);
  });

  it('drops an out-of-range offset saved by an older mock instead of keeping it', () => {
    const saved: number[] = [];
    const clock = createClock(() => Date.UTC(2026, 0, 1), { offsetMs: 8.64e15, onChange: (offset) => saved.push(offset) });
    expect(clock.offsetMs()).toBe(0);
    expect(saved).toEqual([0]);
    expect(createClock(() => 0, { offsetMs: 1000 }).offsetMs()).toBe(1000);
  });
});

describe('/_mock/reset', () => {
  it('empties tokens and storage of every project, and puts the clock back to real time', async () => {
    const token = await h.createToken({ name: 'admin', object_storage: { permission_type: 'admin_rw', bucket_scope: 'all' } });
    expect((await h.call('POST', '/_mock/clock', { token: managementToken, json: { advance_seconds: 3 * 86_400 } })).status).toBe(200);
    expect((await h.call('POST', '/v1/object-storage/buckets', { token: token.bearer_token, json: { name: 'to-be-gone', region: 'in-south-1' } })).status).toBe(201);
    const res = await h.call('POST', '/_mock/reset', { token: managementToken });
    expect(res.status).toBe(204);
    expect(contractProblems('POST', '/_mock/reset', res)).toEqual([]);
    expect(h.tokens.list(h.projectId)).toEqual([]);
    expect(h.storage.findBucket('to-be-gone')).toBeUndefined();
    expect((await h.call('GET', '/v1/object-storage/buckets', { token: token.bearer_token })).status).toBe(401);
    const clock = await h.call('GET', '/_mock/clock', { token: managementToken });
    expect(clock.body.offset_seconds).toBe(0);
    // The harness's base clock stands still, so "real time" is exactly its reading with no offset.
    expect(h.clock.offsetMs()).toBe(0);
    expect(Date.parse(clock.body.now)).toBe(h.clock.now().getTime());
  });
});

describe('control routes need the management token and can be disabled', () => {
  it('answers 401 without the management token and 403 to an API token', async () => {
    const api = await h.createToken({ name: 'api', billing: { permission_type: 'read_only' } });
    const offset = h.clock.offsetMs();
    for (const [method, path, json] of [
      ['GET', '/_mock/clock', {}],
      ['POST', '/_mock/clock', { advance_seconds: 10 }],
      ['POST', '/_mock/billing', { workspace_id: h.projectId, allowed: false }],
      ['POST', '/_mock/reset', {}],
    ] as const) {
      const anonymous = await h.call(method, path, { json });
      expect([anonymous.status, anonymous.body.error]).toEqual([401, 'invalid_token']);
      const asApi = await h.call(method, path, { token: api.bearer_token, json });
      expect([asApi.status, asApi.body.error]).toEqual([403, 'forbidden']);
    }
    expect(h.clock.offsetMs()).toBe(offset);
    expect(h.ctx.billing.get(h.projectId).allowed).toBe(true);
    expect(h.tokens.list(h.projectId)).toHaveLength(1);
  });

  it('is absent (404) with control: false', async () => {
    const off = await createHarness({ control: false });
    try {
      for (const [method, path] of [['GET', '/_mock/clock'], ['POST', '/_mock/clock'], ['POST', '/_mock/reset']] as const) {
        const res = await off.call(method, path, { token: managementToken, json: { advance_seconds: 10 } });
        expect([res.status, res.body.error]).toEqual([404, 'not_found']);
      }
      expect(off.clock.offsetMs()).toBe(0);
    } finally {
      await off.close();
    }
  });
});
