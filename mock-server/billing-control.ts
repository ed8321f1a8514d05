import type Database from 'better-sqlite3';

/**
 * The billing wall: what each workspace's billing says of new resources. Allowed unless a user has set it
 * otherwise with `POST /_mock/billing` (to test how an application handles a wall); kept in the metadata database,
 * so it lasts as the data does, and emptied by `/_mock/reset`.
 */

export interface BillingState {
  readonly allowed: boolean;
  readonly reason: string;
}

export interface BillingControl {
  get(workspaceId: string): BillingState;
  set(workspaceId: string, state: BillingState): void;
  reset(): void;
}

const open: BillingState = { allowed: true, reason: 'ok' };

export function createBillingControl(db: Database.Database): BillingControl {
  db.exec('CREATE TABLE IF NOT EXISTS mock_billing (workspace_id TEXT PRIMARY KEY, allowed INTEGER NOT NULL, reason TEXT NOT NULL)');
  const q = {
    get: db.prepare<[string], { allowed: number; reason: string }>('SELECT allowed, reason FROM mock_billing WHERE workspace_id = ?'),
    set: db.prepare('INSERT INTO mock_billing (workspace_id, allowed, reason) VALUES (?, ?, ?) ON CONFLICT (workspace_id) DO UPDATE SET allowed = excluded.allowed, reason = excluded.reason'),
    clear: db.prepare('DELETE FROM mock_billing'),
  };
  return {
    get(workspaceId) {
      const row = q.get.get(workspaceId);
      return row ? { allowed: row.allowed === 1, reason: row.reason } : open;
    },
    set(workspaceId, state) {
      q.set.run(workspaceId, state.allowed ? 1 : 0, state.reason);
    },
    reset() {
      q.clear.run();
    },
  };
}
