import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { reviveConfigurationDates, type ConfigPart, type PartConfiguration } from './bucket-config.js';
import { mapConcurrently } from './concurrency.js';

/**
 * Safety on real accounts: everything a run creates (buckets, and tokens: portal tokens or S3 credentials, by the
 * driver's ids) is named with its prefix, tracked here, and removed in teardown even when tests fail. Each entry is
 * also appended to a journal file shared by the run, so that the global teardown (and, after SIGINT or SIGTERM, a
 * detached cleaner process) can remove what a crashed or interrupted worker left behind. Names are journaled before
 * the creation request is sent (write-ahead): a creation cut off before its answer arrived is still found, by its
 * name under the run prefix.
 *
 * Buckets the run did not create (the bucket pre-made credentials are scoped to) are journaled too, before the run
 * writes `${runPrefix}-…` keys into one, so that those keys are removed after an interrupt as well; and so is the
 * prior configuration of such a bucket, before each write of that configuration, so that it is put back.
 */

export type JournalEntry =
  /** Written before a token named `name` is requested; the token, if the target made it, is found by name. */
  | { readonly kind: 'token-name'; readonly name: string }
  | { readonly kind: 'token'; readonly id: string }
  | { readonly kind: 'bucket'; readonly name: string }
  | { readonly kind: 'removed-token'; readonly id: string }
  | { readonly kind: 'removed-bucket'; readonly name: string }
  /** A bucket the run did not create, into which it is about to write keys under its prefix. */
  | { readonly kind: 'foreign-bucket'; readonly name: string }
  /**
   * Written before each write of a part of the configuration of a bucket the run did not create: what to restore.
   * The first entry of a bucket's part is the one restored: it was read before any write of the run, since every
   * write is preceded by an entry (a later reader may have read a configuration the run had written meanwhile).
   */
  | { readonly kind: 'bucket-config'; readonly bucket: string; readonly part: ConfigPart; readonly prior: PartConfiguration };

export interface Outstanding {
  readonly tokenIds: readonly string[];
  readonly buckets: readonly string[];
}

/** The configuration to restore of one part of a bucket the run did not create. */
export interface TouchedConfiguration {
  readonly bucket: string;
  readonly part: ConfigPart;
  readonly prior: PartConfiguration;
}

/** What the journal says may still exist: created tokens and buckets, and the names of requested tokens. */
export interface JournaledRun extends Outstanding {
  /** Every token name requested under the run prefix (created or not: only the target knows). */
  readonly tokenNames: readonly string[];
  /** Buckets the run did not create but wrote prefixed keys into. */
  readonly foreignBuckets: readonly string[];
  /** Configuration parts of such buckets that the run was about to write, with the first prior journaled for each. */
  readonly configurations: readonly TouchedConfiguration[];
}

const configKey = (bucket: string, part: ConfigPart): string => `${part} ${bucket}`;

export function readJournal(file: string): JournaledRun {
  if (!existsSync(file)) return { tokenIds: [], buckets: [], tokenNames: [], foreignBuckets: [], configurations: [] };
  const tokenNames = new Set<string>();
  const tokens = new Set<string>();
  const buckets = new Set<string>();
  const foreignBuckets = new Set<string>();
  const configurations = new Map<string, TouchedConfiguration>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line, reviveConfigurationDates) as JournalEntry;
    } catch {
      continue; // a line cut short by an interrupted write
    }
    if (entry.kind === 'token-name') tokenNames.add(entry.name);
    else if (entry.kind === 'token') tokens.add(entry.id);
    else if (entry.kind === 'removed-token') tokens.delete(entry.id);
    else if (entry.kind === 'bucket') buckets.add(entry.name);
    else if (entry.kind === 'removed-bucket') buckets.delete(entry.name);
    else if (entry.kind === 'foreign-bucket') foreignBuckets.add(entry.name);
    else if (entry.kind === 'bucket-config') {
      const key = configKey(entry.bucket, entry.part);
      if (!configurations.has(key)) configurations.set(key, { bucket: entry.bucket, part: entry.part, prior: entry.prior });
    }
  }
  return { tokenIds: [...tokens], buckets: [...buckets], tokenNames: [...tokenNames], foreignBuckets: [...foreignBuckets], configurations: [...configurations.values()] };
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
  private readonly foreign = new Set<string>();
  /** Configurations of buckets the run did not create that this registry is to restore (the journal's when it has one). */
  private readonly configurations = new Map<string, TouchedConfiguration>();

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

  /** Journals a bucket the run did not create before prefixed keys are written into it (never one of the run's own). */
  trackForeignBucket(name: string): void {
    if (this.owns(name) || this.foreign.has(name)) return;
    this.foreign.add(name);
    this.journal({ kind: 'foreign-bucket', name });
  }

  foreignBuckets(): readonly string[] {
    return [...this.foreign];
  }

  /** The configuration to restore for a part of a bucket, if one was journaled (by any worker of the run). */
  journaledConfiguration(bucket: string, part: ConfigPart): TouchedConfiguration | undefined {
    const key = configKey(bucket, part);
    if (this.journalFile) return readJournal(this.journalFile).configurations.find((c) => configKey(c.bucket, c.part) === key);
    return this.configurations.get(key);
  }

  /**
   * Journals, before a write of a part of a bucket's configuration, the configuration to restore, and returns the
   * one that will be restored: the first journaled for that part (see the journal entry), which may be another
   * worker's reading.
   */
  intendConfigurationWrite(bucket: string, part: ConfigPart, prior: PartConfiguration): TouchedConfiguration {
    const key = configKey(bucket, part);
    this.journal({ kind: 'bucket-config', bucket, part, prior });
    const first = (this.journalFile ? this.journaledConfiguration(bucket, part) : this.configurations.get(key)) ?? { bucket, part, prior };
    this.configurations.set(key, first);
    return first;
  }

  /** The configurations this registry is to restore. */
  touchedConfigurations(): readonly TouchedConfiguration[] {
    return [...this.configurations.values()];
  }

  /** Takes over what a journal says is outstanding (for a sweep), without journaling it again. */
  adopt(outstanding: Outstanding): void {
    for (const id of outstanding.tokenIds) this.tokens.add(id);
    for (const name of outstanding.buckets) if (this.owns(name)) this.buckets.add(name);
  }

  /** Takes over the buckets the run did not create and their configurations to restore, from a journal (for a sweep). */
  adoptForeign(journaled: Pick<JournaledRun, 'foreignBuckets' | 'configurations'>): void {
    for (const name of journaled.foreignBuckets) if (!this.owns(name)) this.foreign.add(name);
    for (const touched of journaled.configurations) this.configurations.set(configKey(touched.bucket, touched.part), touched);
  }

  outstanding(): Outstanding {
    return { tokenIds: [...this.tokens], buckets: [...this.buckets] };
  }

  /**
   * Removes the buckets and retires every token but `keepTokenIds` (the bucket remover's own), up to `concurrency`
   * removals at a time. One at a time, the buckets go first, then the tokens (the remover may need one of them);
   * otherwise the tokens go while the buckets do, the kept ones staying for the buckets. Returns what could not be
   * removed.
   */
  async cleanUp(buckets: BucketRemover | null, tokens: TokenRetirer | null, keepTokenIds: readonly string[] = [], concurrency = 1): Promise<Outstanding> {
    const removeBuckets = async (): Promise<void> => {
      if (!buckets) return;
      await mapConcurrently([...this.buckets], concurrency, async (name) => {
        if (await buckets.removeBucket(name).catch(() => false)) this.bucketRemoved(name);
      });
    };
    const retireTokens = async (): Promise<void> => {
      if (!tokens) return;
      const retired = [...this.tokens].filter((id) => !keepTokenIds.includes(id));
      await mapConcurrently(retired, concurrency, async (id) => {
        if (await tokens.retireToken(id).catch(() => false)) this.tokenRemoved(id);
      });
    };
    if (concurrency > 1 && keepTokenIds.length > 0) {
      await Promise.all([removeBuckets(), retireTokens()]);
    } else {
      await removeBuckets();
      await retireTokens();
    }
    return this.outstanding();
  }
}
