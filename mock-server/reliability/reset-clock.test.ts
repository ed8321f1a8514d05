/**
 * Regression tests from a review of d24fb76 (POST /_mock/reset also puts the clock back). The route empties the tokens, then awaits
 * storage.reset() (blobs.clear() removes the fan-out directories: real time with a data dir), and only then resets
 * the clock. Requests served during that await see the emptied state with the clock still ahead: what they create
 * survives the reset dated in the future, which the comment "no token or presigned URL is left to revive" rules out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMockServer } from '../app.js';
import { createHarness, managementToken, type Harness } from '../rest/test/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const days = 10;

describe('POST /_mock/reset and the clock', () => {
  it('nothing created while the reset is under way is left dated in the future once it has answered', async () => {
    await h.call('POST', '/_mock/clock', { token: managementToken, json: { advance_seconds: days * 86_400 } });
    // Hold storage.reset() open, as a slow blobs.clear() would.
    const realReset = h.storage.reset.bind(h.storage);
    let release!: () => void;
    let entered!: () => void;
    const inReset = new Promise<void>((resolve) => (entered = resolve));
    const held = new Promise<void>((resolve) => (release = resolve));
    (h.storage as { reset: () => Promise<void> }).reset = async () => {
      await realReset();
      entered();
      await held;
    };
    const reset = h.call('POST', '/_mock/reset', { token: managementToken });
    await inReset;
    const created = await h.createToken({ name: 'during the reset', billing: { permission_type: 'read_only' } });
    release();
    expect((await reset).status).toBe(204);

    const now = h.clock.nowMs();
    expect(h.clock.offsetMs()).toBe(0);
    const stored = h.tokens.list(h.projectId);
    for (const token of stored) {
      expect(token.createdAt.getTime(), `token ${token.id} created at ${token.createdAt.toISOString()}, clock now ${new Date(now).toISOString()}`).toBeLessThanOrEqual(now);
    }
    // The answer the client got agrees with what is stored.
    expect(Date.parse(created.created_at)).toBeLessThanOrEqual(now);
  });

  it('after a reset, the clock reads real time (regression)', async () => {
    await h.call('POST', '/_mock/clock', { token: managementToken, json: { advance_seconds: 3600 } });
    expect(h.clock.offsetMs()).toBe(3_600_000);
    expect((await h.call('POST', '/_mock/reset', { token: managementToken })).status).toBe(204);
    const clock = await h.call('GET', '/_mock/clock', { token: managementToken });
    expect(clock.body.offset_seconds).toBe(0);
  });

  it('with a data dir, the reset clock is what a restart reads back (regression)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ibee-review-clock-'));
    try {
      const token = 'review-clock-management-token';
      const call = (mock: { apiUrl: string }, path: string, body?: unknown) =>
        fetch(`${mock.apiUrl}${path}`, {
          method: body === undefined && path === '/_mock/clock' ? 'GET' : 'POST',
          headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const first = await createMockServer({ dataDir, managementToken: token });
      try {
        expect((await call(first, '/_mock/clock', { advance_seconds: 5 * 86_400 })).status).toBe(200);
        expect((await call(first, '/_mock/reset', {})).status).toBe(204);
      } finally {
        await first.close();
      }
      const second = await createMockServer({ dataDir, managementToken: token });
      try {
        expect(((await (await call(second, '/_mock/clock')).json()) as { offset_seconds: number }).offset_seconds).toBe(0);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
