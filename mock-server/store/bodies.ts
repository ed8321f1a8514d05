import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { Logger } from 'pino';
import type { BlobStore, ByteRange, WrittenBlob } from './blobs.js';
import { StoreError } from './errors.js';
import type { ChecksumComputer, Checksums, IncomingBody, StoredObject, StoredPart } from './types.js';

/*
 * Object and part bodies in the blob store: written from a request, copied from a stored object, or joined from
 * parts, each into a new blob; and removed once no row points at them and no completion is still reading them.
 */

/** A body in its blob, with what an object or part row records beside it: its ETag (no quotes) and checksums. */
export interface WrittenBody {
  readonly blob: WrittenBlob;
  readonly etag: string;
  readonly checksums: Checksums;
}

export interface Bodies {
  /**
   * A request body in a new blob, with the ETag and checksums its checks established. More than `maxBytes` is
   * TooLarge; a body that fails a check leaves no blob behind.
   */
  write(body: IncomingBody, maxBytes: number): Promise<WrittenBody>;
  /**
   * A copy of `source` (or of `range` of it) in a new blob, hashed on its way for the ETag and, given `checksum`, for
   * that checksum. With `maxBytes`, a longer copy is TooLarge.
   */
  copy(source: StoredObject, options: { readonly range?: ByteRange; readonly maxBytes?: number; readonly checksum?: ChecksumComputer }): Promise<WrittenBody>;
  /** The bodies of `parts`, in order, in one new blob; each part's blob stays (pinned) until it has been read. */
  join(parts: readonly StoredPart[]): Promise<WrittenBlob>;
  /** Removes blobs no row points at any more, a pinned one once it is unpinned; a failure is logged, not thrown. */
  remove(ids: readonly string[]): Promise<void>;
}

const tooLarge = (max: number) => () => new StoreError('TooLarge', `The body is longer than ${max} bytes.`, { MaxSizeAllowed: String(max) });

/** Hashes what flows through: MD5 for the ETag of a copy, whose bytes no request brought, and the checksum asked for. */
function digestTap(checksum: ChecksumComputer | undefined): Transform & { readonly hex: () => string; readonly checksums: () => Checksums } {
  const hash = createHash('md5');
  let digest: string | null = null;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      checksum?.update(chunk);
      callback(null, chunk);
    },
  });
  return Object.assign(transform, {
    hex: () => (digest ??= hash.digest('hex')),
    checksums: (): Checksums => (checksum ? { [checksum.algorithm]: checksum.digestBase64() } : {}),
  });
}

export function createBodies(blobs: BlobStore, logger: Logger): Bodies {
  /** Blobs being read by a CompleteMultipartUpload, and how many completes read each: removed only after them. */
  const pinned = new Map<string, number>();
  const removeWhenUnpinned = new Set<string>();

  const remove = async (ids: readonly string[]) => {
    for (const id of ids) {
      if (pinned.has(id)) {
        removeWhenUnpinned.add(id);
        continue;
      }
      await blobs.remove(id).catch((error: unknown) => logger.warn({ err: error, blobId: id }, 'could not remove blob'));
    }
  };

  const pin = (ids: readonly string[]): (() => Promise<void>) => {
    for (const id of ids) pinned.set(id, (pinned.get(id) ?? 0) + 1);
    return async () => {
      const released: string[] = [];
      for (const id of ids) {
        const left = (pinned.get(id) ?? 1) - 1;
        if (left > 0) pinned.set(id, left);
        else {
          pinned.delete(id);
          if (removeWhenUnpinned.delete(id)) released.push(id);
        }
      }
      await remove(released);
    };
  };

  return {
    async write(body, maxBytes) {
      const blob = await blobs.write(body.stream, { verified: body.digests, maxBytes, tooLarge: tooLarge(maxBytes) });
      try {
        const digests = await body.digests;
        return { blob, etag: digests.md5Hex, checksums: digests.checksums };
      } catch (error) {
        await remove([blob.id]);
        throw error;
      }
    },

    async copy(source, { range, maxBytes, checksum }) {
      const tap = digestTap(checksum);
      const limit = maxBytes === undefined ? {} : { maxBytes, tooLarge: tooLarge(maxBytes) };
      const blob = await blobs.write(blobs.read(source.blobId, range, source.size).pipe(tap), limit);
      return { blob, etag: tap.hex(), checksums: tap.checksums() };
    },

    async join(parts) {
      const unpin = pin(parts.map((part) => part.blobId));
      try {
        const readParts = async function* () {
          for (const part of parts) yield* blobs.read(part.blobId, undefined, part.size) as AsyncIterable<Buffer>;
        };
        return await blobs.write(Readable.from(readParts()), {});
      } finally {
        await unpin();
      }
    },

    remove,
  };
}
