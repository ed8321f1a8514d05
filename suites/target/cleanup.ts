import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * Safety on real accounts: everything a run creates (buckets, and tokens: portal tokens or S3 credentials, by the
 * driver's ids) is named with its prefix, tracked here, and removed in teardown even when tests fail. Each entry is
 * also appended to a journal file shared by the run, so that the global teardown (and, after SIGINT or SIGTERM, a
 * detached cleaner process) can remove what a crashed or interrupted worker left behind. Names are journaled before
 * the creation request is sent (write-ahead): a creation cut off before its answer arrived is still found, by its
 * name under the run prefix.
 */

export type JournalEntry =
  /** Written before a token named `name` is requested; the token, if the target made it, is found by name. */
  | { readonly kind: 'token-name'; readonly name: string }
  | { readonly kind: 'token'; readonly id: string }
  | { readonly kind: 'bucket'; readonly name: string }
  | { readonly kind: 'removed-token'; readonly id: string }
  | { readonly kind: 'removed-bucket'; readonly name: string };

export interface Outstanding {
  readonly tokenIds: readonly string[];
  readonly buckets: readonly string[];
}

/** What the journal says may still exist: created tokens and buckets, and the names of requested tokens. */
export interface JournaledRun extends Outstanding {
  /** Every token name requested under the run prefix (created or not: only the target knows). */
  readonly tokenNames: readonly string[];
}

export function readJournal(file: string): JournaledRun {
  if (!existsSync(file)) return { tokenIds: [], buckets: [], tokenNames: [] };
  const tokenNames = new Set<string>();
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
    if (entry.kind === 'token-name') tokenNames.add(entry.name);
    else if (entry.kind === 'token') tokens.add(entry.id);
    else if (entry.kind === 'removed-token') tokens.delete(entry.id);
    else if (entry.kind === 'bucket') buckets.add(entry.name);
    else if (entry.kind === 'removed-bucket') buckets.delete(entry.name);
  }
  return { tokenIds: [...tokens], buckets: [...buckets], tokenNames: [...tokenNames] };
}

export interface BucketRemover {
  /** Empties (objects, uploads) and deletes one bucket; resolves false when it could not. */
  removeBucket(name: string): Promise<boolean>;
}

export interface TokenRetirer {
  /** Revokes (and, where the target allows, deletes) one token; resolves false when it could not. */
  retireToken(id: string): Promise<boolean>;
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

  /** Journals a token name before its creation is requested (names outside the prefix are never looked for). */
  intendToken(name: string): void {
    if (this.owns(name)) this.journal({ kind: 'token-name', name });
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

  /** Takes over what a journal says is outstanding (for a sweep), without journaling it again. */
  adopt(outstanding: Outstanding): void {
    for (const id of outstanding.tokenIds) this.tokens.add(id);
    for (const name of outstanding.buckets) if (this.owns(name)) this.buckets.add(name);
  }

  outstanding(): Outstanding {
    return { tokenIds: [...this.tokens], buckets: [...this.buckets] };
  }

  /** Buckets first (they need a live token), then every token. Returns what could not be removed. */
  async cleanUp(buckets: BucketRemover | null, tokens: TokenRetirer | null, keepTokenIds: readonly string[] = []): Promise<Outstanding> {
    if (buckets) {
      for (const name of [...this.buckets]) {
        if (await buckets.removeBucket(name).catch(() => false)) this.bucketRemoved(name);
      }
    }
    if (tokens) {
      for (const id of [...this.tokens]) {
        if (keepTokenIds.includes(id)) continue;
        if (await tokens.retireToken(id).catch(() => false)) this.tokenRemoved(id);
      }
    }
    return this.outstanding();
  }
}
