import type { Readable } from 'node:stream';

/** A byte range, both ends inclusive, as HTTP Range and x-amz-copy-source-range give it. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface WrittenBlob {
  readonly id: string;
  readonly size: number;
}

/**
 * Object and part bodies. A blob is written from a stream and becomes visible (gets its id) only after the stream
 * ended cleanly and `verified` resolved: a body that fails a check midway never becomes readable. Blobs are
 * immutable; the metadata store decides which blob an object points to, so a replaced object's old blob is removed
 * only after the new pointer is committed.
 */
export interface BlobStore {
  /**
   * Consumes `source` into a new blob. Rejects (and leaves nothing behind) when the stream errors, when `verified`
   * rejects, or when more than `maxBytes` arrive (with `tooLarge()` as the error).
   */
  write(source: Readable, options: { verified?: Promise<unknown>; maxBytes?: number; tooLarge?: () => Error }): Promise<WrittenBlob>;
  /**
   * Opens the blob now (so a concurrent remove cannot pull it away) and streams it, or just `range` of it. With
   * `expectedSize`, a blob of any other size (a truncated file, say) throws BlobDamagedError before a byte is read.
   */
  read(id: string, range?: ByteRange, expectedSize?: number): Readable;
  /**
   * The blob (or `range` of it) as one Buffer: at once from memory, or read in one go from a file (opened now, like
   * `read`). For bodies small enough to hold; callers stream larger ones with `read`.
   */
  readBuffer(id: string, range?: ByteRange, expectedSize?: number): Buffer | Promise<Buffer>;
  remove(id: string): Promise<void>;
  /** How many blobs `referenced` does not claim (leftovers of a crash, or data a lost database no longer knows). */
  countUnreferenced(referenced: (id: string) => boolean): number;
  clear(): Promise<void>;
}

/**
 * Observes `verified` at once, so that a rejection arriving while the body is still being read is never reported as
 * unhandled, and returns the check to run once the body is in: it throws the verification's error, if there was one.
 */
export function verificationCheck(verified: Promise<unknown> | undefined): () => Promise<void> {
  const outcome = verified?.then(
    () => null,
    (error: unknown) => ({ error }),
  );
  return async () => {
    const failure = await outcome;
    if (failure) throw failure.error;
  };
}

/** A blob whose stored size is not the size its metadata records: the file was truncated or changed on disk. */
export class BlobDamagedError extends Error {
  constructor(
    readonly where: string,
    readonly expectedSize: number,
    readonly actualSize: number,
  ) {
    super(`blob ${where} holds ${actualSize} bytes but its object or part has ${expectedSize}: the file was damaged (truncated or changed) on disk`);
    this.name = 'BlobDamagedError';
  }
}
