import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessKeyIdFormat, bearerTokenFormat, secretAccessKeyFormat } from '../../spec/index.js';
import { createClock } from '../clock.js';
import { tokenStatus } from '../context.js';
import { openDatabase } from '../store/database.js';
import { secretsEqual } from './credentials.js';
import { createTokenStore, type NewToken } from './token-store.js';
import { temporaryDirectories } from '../store/test/fixtures.js';

/** The token store on its own: credentials, hashing, status from the clock, revocation, persistence. */

const dayMs = 86_400_000;
const storage: NewToken = {
  projectId: '1001',
  name: 'n',
  description: null,
  expiresInDays: 90,
  objectStorage: { permissionType: 'object_rw', bucketScope: 'specific', allowedBuckets: ['photos'] },
  billing: null,
};

const tempDir = temporaryDirectories();

function memoryStore() {
  const clock = createClock(() => 1_800_000_000_000);
  const db = openDatabase(null);
  return { clock, db, tokens: createTokenStore({ db, clock }) };
}

describe('token store', () => {
  it('issues well-formed credentials, unique across tokens', () => {
    const { tokens } = memoryStore();
    const issued = Array.from({ length: 200 }, (_, i) => tokens.create({ ...storage, name: `t${i}` }));
    for (const t of issued) {
      expect(t.bearerToken).toMatch(bearerTokenFormat.value.pattern);
      expect(t.token.accessKeyId).toMatch(accessKeyIdFormat.value.pattern);
      expect(t.secretAccessKey).toMatch(secretAccessKeyFormat.value.pattern);
      expect(t.secretAccessKey).toHaveLength(40);
    }
    for (const pick of [(t: (typeof issued)[number]) => t.bearerToken, (t: (typeof issued)[number]) => t.token.accessKeyId, (t: (typeof issued)[number]) => t.secretAccessKey, (t: (typeof issued)[number]) => t.token.id]) {
      expect(new Set(issued.map(pick)).size).toBe(issued.length);
    }
  });

  it('gives a Billing-only token no S3 credentials', () => {
    const { tokens } = memoryStore();
    const t = tokens.create({ ...storage, objectStorage: null, billing: { permissionType: 'read_only' } });
    expect(t.token.accessKeyId).toBeNull();
    expect(t.secretAccessKey).toBeNull();
    expect(t.token.secretAccessKey).toBeNull();
  });

  it('keeps the bearer token only as a hash', () => {
    const { tokens, db } = memoryStore();
    const t = tokens.create(storage);
    const dump = JSON.stringify(db.prepare('SELECT * FROM api_tokens').all(), (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v));
    expect(dump).not.toContain(t.bearerToken);
    expect(dump).not.toContain(t.bearerToken.slice(bearerTokenFormat.value.prefix.length));
    expect(tokens.findByBearer(t.bearerToken)?.id).toBe(t.token.id);
  });

  it('finds a token by its exact bearer token only', () => {
    const { tokens } = memoryStore();
    const t = tokens.create(storage);
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (candidate) => {
        fc.pre(candidate !== t.bearerToken);
        expect(tokens.findByBearer(candidate)).toBeUndefined();
      }),
    );
    expect(tokens.findByBearer(`${t.bearerToken} `)).toBeUndefined();
    expect(tokens.findByBearer(t.bearerToken.toUpperCase())).toBeUndefined();
    expect(tokens.findByAccessKeyId(t.token.accessKeyId!)?.secretAccessKey).toBe(t.secretAccessKey);
    expect(tokens.findByAccessKeyId(t.token.accessKeyId!.toLowerCase())).toBeUndefined();
  });

  it('computes status from the clock on every read; revocation keeps its first time', () => {
    const { tokens, clock } = memoryStore();
    const t = tokens.create({ ...storage, expiresInDays: 2 });
    expect(t.token.expiresAt!.getTime() - t.token.createdAt.getTime()).toBe(2 * dayMs);
    expect(tokenStatus(tokens.get('1001', t.token.id)!, clock.nowMs())).toBe('active');
    clock.advance(2 * 86_400);
    expect(tokenStatus(tokens.get('1001', t.token.id)!, clock.nowMs())).toBe('expired');
    const revoked = tokens.revoke('1001', t.token.id)!;
    expect(revoked.revokedAt?.getTime()).toBe(clock.nowMs());
    clock.advance(60);
    expect(tokens.revoke('1001', t.token.id)!.revokedAt).toEqual(revoked.revokedAt);
    expect(tokenStatus(tokens.findByBearer(t.bearerToken)!, clock.nowMs())).toBe('revoked');
    expect(tokens.revoke('2002', t.token.id)).toBeUndefined();
    expect(tokens.revoke('1001', 'missing')).toBeUndefined();
  });

  it('lists per project, oldest first, and reset empties it', () => {
    const { tokens, clock } = memoryStore();
    const first = tokens.create(storage);
    clock.advance(1);
    const second = tokens.create({ ...storage, name: 'second' });
    tokens.create({ ...storage, projectId: '2002' });
    expect(tokens.list('1001').map((t) => t.id)).toEqual([first.token.id, second.token.id]);
    expect(tokens.get('2002', first.token.id)).toBeUndefined();
    tokens.reset();
    expect(tokens.list('1001')).toEqual([]);
    expect(tokens.findByBearer(first.bearerToken)).toBeUndefined();
  });

  it('sees a revocation and a reset on the very next lookup by access key id, after any number of lookups', () => {
    const { tokens, clock } = memoryStore();
    fc.assert(
      fc.property(fc.nat({ max: 5 }), fc.boolean(), (lookupsBefore, byReset) => {
        const t = tokens.create(storage);
        const accessKeyId = t.token.accessKeyId!;
        for (let i = 0; i < lookupsBefore; i++) expect(tokenStatus(tokens.findByAccessKeyId(accessKeyId)!, clock.nowMs())).toBe('active');
        if (byReset) {
          tokens.reset();
          expect(tokens.findByAccessKeyId(accessKeyId)).toBeUndefined();
        } else {
          tokens.revoke('1001', t.token.id);
          expect(tokenStatus(tokens.findByAccessKeyId(accessKeyId)!, clock.nowMs())).toBe('revoked');
        }
      }),
    );
  });

  it('survives a restart with a data dir; revocation too', () => {
    const dir = tempDir('ibee-tokens-');
    const clock = createClock();
    let db = openDatabase(dir);
    let tokens = createTokenStore({ db, clock });
    const kept = tokens.create(storage);
    const revoked = tokens.create({ ...storage, name: 'revoked' });
    tokens.revoke('1001', revoked.token.id);
    db.close();

    db = openDatabase(dir);
    tokens = createTokenStore({ db, clock });
    expect(tokens.findByBearer(kept.bearerToken)).toEqual(kept.token);
    expect(tokens.findByAccessKeyId(kept.token.accessKeyId!)?.secretAccessKey).toBe(kept.secretAccessKey);
    expect(tokens.findByBearer(revoked.bearerToken)?.revokedAt).not.toBeNull();
    db.close();
    // The bearer token is not in any file of the data dir.
    for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file)).includes(kept.bearerToken)).toBe(false);
  });
});

describe('secretsEqual', () => {
  it('is equality', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(secretsEqual(a, b)).toBe(a === b);
        expect(secretsEqual(a, a)).toBe(true);
      }),
    );
  });
});
