import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * Safety on real accounts: everything a run creates is named with its prefix, tracked here, and removed in
 * teardown even when tests fail. Each entry is also appended to a journal file shared by the run, so that the
 * global teardown (and a SIGINT handler) can remove what a crashed or interrupted worker left behind.
 */

export type JournalEntry =
  | { readonly kind: 'token'; readonly id: string }
  | { readonly kind: 'bucket'; readonly name: string }
  | { readonly kind: 'removed-token'; readonly id: string }
  | { readonly kind: 'removed-bucket'; readonly name: string };

export interface Outstanding {
  readonly tokenIds: readonly string[];
  readonly buckets: readonly string[];
}

export function readJournal(file: string): Outstanding {
  if (!existsSync(file)) return { tokenIds: [], buckets: [] };
  const tokens = new Set<string>();
  const buckets = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      continue; // a line cut short by an interrupted write
    }
    if (entry.kind === 'token') tokens.add(entry.id);
    else if (entry.kind === 'removed-token') tokens.delete(entry.id);
    else if (entry.kind === 'bucket') buckets.add(entry.name);
    else if (entry.kind === 'removed-bucket') buckets.delete(entry.name);
  }
  return { tokenIds: [...tokens], buckets: [...buckets] };
}

export interface BucketRemover {
  /** Empties (objects, uploads) and deletes one bucket; resolves false when it could not. */
  removeBucket(name: string): Promise<boolean>;
}

export interface TokenRevoker {
  revokeToken(id: string): Promise<boolean>;
}

export class CleanupRegistry {
  private readonly tokens = new Set<string>();
  private readonly buckets = new Set<string>();

  constructor(
    readonly runPrefix: string,
    private readonly journalFile: string | null,
  ) {}

  private journal(entry: JournalEntry): void {
    if (this.journalFile) appendFileSync(this.journalFile, `${JSON.stringify(entry)}\n`);
  }

  /** Whether a name belongs to this run; nothing else is ever touched. */
  owns(name: string): boolean {
    return name.startsWith(`${this.runPrefix}-`);
  }

  trackToken(id: string): void {
    this.tokens.add(id);
    this.journal({ kind: 'token', id });
  }

  trackBucket(name: string): void {
    if (!this.owns(name)) throw new Error(`Refusing to track bucket ${name}: not under run prefix ${this.runPrefix}`);
    this.buckets.add(name);
    this.journal({ kind: 'bucket', name });
  }

  tokenRemoved(id: string): void {
    if (this.tokens.delete(id)) this.journal({ kind: 'removed-token', id });
  }

  bucketRemoved(name: string): void {
    if (this.buckets.delete(name)) this.journal({ kind: 'removed-bucket', name });
  }

  outstanding(): Outstanding {
    return { tokenIds: [...this.tokens], buckets: [...this.buckets] };
  }

  /** Buckets first (they need a live token), then every token. Returns what could not be removed. */
  async cleanUp(buckets: BucketRemover | null, tokens: TokenRevoker | null, keepTokenIds: readonly string[] = []): Promise<Outstanding> {
    if (buckets) {
      for (const name of [...this.buckets]) {
        if (await buckets.removeBucket(name).catch(() => false)) this.bucketRemoved(name);
      }
    }
    if (tokens) {
      for (const id of [...this.tokens]) {
        if (keepTokenIds.includes(id)) continue;
        if (await tokens.revokeToken(id).catch(() => false)) this.tokenRemoved(id);
      }
    }
    return this.outstanding();
  }
}
