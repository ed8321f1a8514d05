import { createHash, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { isValidBucketName, multipartLimits } from '../../spec/index.js';
import type { Clock } from '../clock.js';
import { StoreError } from './errors.js';
import type { BlobStore } from './blobs.js';
import { blobsDirName, createFileBlobStore } from './blobs-files.js';
import { createMemoryBlobStore } from './blobs-memory.js';
import { createBodies } from './bodies.js';
import { createGroupCommit, DurabilityError } from './group-commit.js';
import { objectListing, uploadListing } from './listing.js';
import {
  createTables,
  objectRow,
  partRow,
  toBucket,
  toObject,
  toPart,
  toUpload,
  uploadRow,
  type BucketRow,
  type ObjectRow,
  type PartRow,
  type UploadRow,
} from './schema.js';
import type { BucketRef, MultipartUpload, Storage, StoredBucket, StoredObject, StoredPart, WritePrecondition } from './types.js';

/** What createStorage builds the store on; the database stays the caller's to close. */
export interface StorageOptions {
  readonly db: Database.Database;
  /** Where blob files live (under `blobs/`); null keeps bodies in memory. */
  readonly dataDir: string | null;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** File bodies up to this size are read into one Buffer and sent in one write; larger ones are streamed. */
export const wholeReadMaxBytes = 1024 * 1024;

const noSuchBucket = (name: string) => new StoreError('NoSuchBucket', `The bucket ${name} does not exist.`, { BucketName: name });
const noSuchUpload = (uploadId: string) => new StoreError('NoSuchUpload', `The multipart upload ${uploadId} does not exist.`, { UploadId: uploadId });

const bucketName = (bucket: BucketRef): string => (typeof bucket === 'string' ? bucket : bucket.name);

/** An object row to commit, and what its commit checks and does besides. */
interface ObjectCommit {
  readonly row: ObjectRow;
  /** The bucket the write names: by name, or the very bucket the request was authorized for. */
  readonly bucket: BucketRef;
  readonly precondition?: WritePrecondition;
  /**
   * Runs in the same transaction, after the row is written: what it changes (or its throw) goes with the object,
   * all or nothing.
   */
  readonly alongside?: () => void;
}

export function createStorage(options: StorageOptions): Storage {
  const { db, dataDir, clock, logger } = options;
  createTables(db);
  const blobs: BlobStore = dataDir ? createFileBlobStore(join(dataDir, blobsDirName)) : createMemoryBlobStore();
  const bodies = createBodies(blobs, logger);

  const q = {
    bucket: db.prepare<[string], BucketRow>('SELECT * FROM s3_buckets WHERE name = ?'),
    bucketsOf: db.prepare<[string], BucketRow>('SELECT * FROM s3_buckets WHERE project_id = ? ORDER BY name'),
    insertBucket: db.prepare(
      `INSERT INTO s3_buckets (name, project_id, region, created_at, updated_at, is_public, object_lock, tags)
       VALUES (@name, @project_id, @region, @created_at, @created_at, @is_public, @object_lock, @tags)`,
    ),
    setPublic: db.prepare('UPDATE s3_buckets SET is_public = ?, updated_at = ? WHERE name = ?'),
    deleteBucket: db.prepare('DELETE FROM s3_buckets WHERE name = ?'),
    anyObject: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM s3_objects WHERE bucket = ? LIMIT 1'),
    stats: db.prepare<[string], { count: number; total: number | null }>(
      'SELECT COUNT(*) AS count, SUM(size) AS total FROM s3_objects WHERE bucket = ?',
    ),
    object: db.prepare<[string, string], ObjectRow>('SELECT * FROM s3_objects WHERE bucket = ? AND key = ?'),
    upsertObject: db.prepare(
      `INSERT INTO s3_objects (bucket, key, blob_id, size, etag, last_modified, metadata, checksums, parts_count, part_sizes, parts)
       VALUES (@bucket, @key, @blob_id, @size, @etag, @last_modified, @metadata, @checksums, @parts_count, @part_sizes, @parts)
       ON CONFLICT (bucket, key) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag,
         last_modified = excluded.last_modified, metadata = excluded.metadata, checksums = excluded.checksums,
         parts_count = excluded.parts_count, part_sizes = excluded.part_sizes, parts = excluded.parts`,
    ),
    deleteObject: db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?'),
    pageAfter: db.prepare<[string, string, string, number], ObjectRow>(
      'SELECT * FROM s3_objects WHERE bucket = ? AND key > ? AND key >= ? ORDER BY key LIMIT ?',
    ),
    pageFrom: db.prepare<[string, string, string, number], ObjectRow>(
      'SELECT * FROM s3_objects WHERE bucket = ? AND key >= ? AND key >= ? ORDER BY key LIMIT ?',
    ),
    insertUpload: db.prepare(
      `INSERT INTO s3_uploads (upload_id, bucket, key, initiated, metadata, checksum_algorithm, checksum_type)
       VALUES (@upload_id, @bucket, @key, @initiated, @metadata, @checksum_algorithm, @checksum_type)`,
    ),
    upload: db.prepare<[string], UploadRow>('SELECT * FROM s3_uploads WHERE upload_id = ?'),
    uploadsOf: db.prepare<[string, string], UploadRow>(
      'SELECT * FROM s3_uploads WHERE bucket = ? AND key >= ? ORDER BY key, initiated, upload_id',
    ),
    uploadIdsOf: db.prepare<[string], { upload_id: string }>('SELECT upload_id FROM s3_uploads WHERE bucket = ?'),
    deleteUpload: db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?'),
    part: db.prepare<[string, number], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number = ?'),
    parts: db.prepare<[string], PartRow>('SELECT * FROM s3_parts WHERE upload_id = ? ORDER BY part_number'),
    partsPage: db.prepare<[string, number, number], PartRow>(
      'SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
    ),
    upsertPart: db.prepare(
      `INSERT INTO s3_parts (upload_id, part_number, blob_id, size, etag, last_modified, checksums)
       VALUES (@upload_id, @part_number, @blob_id, @size, @etag, @last_modified, @checksums)
       ON CONFLICT (upload_id, part_number) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size,
         etag = excluded.etag, last_modified = excluded.last_modified, checksums = excluded.checksums`,
    ),
    deleteParts: db.prepare('DELETE FROM s3_parts WHERE upload_id = ?'),
    allBlobIds: db.prepare<[], { blob_id: string }>('SELECT blob_id FROM s3_objects UNION ALL SELECT blob_id FROM s3_parts'),
  };

  // A crash between a blob's rename and its metadata commit (or between a commit and the old blob's removal) leaves
  // an unreferenced blob. So does a database older than its blobs (restored from a backup, or its -wal file lost):
  // then the blob is somebody's data. Nothing tells the two apart, so unreferenced blobs are kept and reported, never
  // deleted; only temporary files (never renamed into place) go, when the blob store opens.
  if (dataDir) {
    const referenced = new Set(q.allBlobIds.all().map((row) => row.blob_id));
    const unreferenced = blobs.countUnreferenced((id) => referenced.has(id));
    if (unreferenced > 0) {
      logger.warn(
        { unreferenced, folder: join(dataDir, blobsDirName) },
        'kept blob files no object or part references (an interrupted write, or a database older than its blobs); nothing was deleted',
      );
    }
  }

  /**
   * Buckets by name, filled on lookup (every S3 request looks its bucket up). This store is the only writer of the
   * bucket table: every change below drops the entry in the same synchronous step, so a lookup never sees a stale
   * bucket. Only buckets that exist are cached.
   */
  const bucketCache = new Map<string, StoredBucket>();

  const getBucket = (name: string): StoredBucket | undefined => {
    const cached = bucketCache.get(name);
    if (cached) return cached;
    const row = q.bucket.get(name);
    if (!row) return undefined;
    const bucket = toBucket(row);
    bucketCache.set(name, bucket);
    return bucket;
  };

  const requireBucket = (projectId: string, name: string): StoredBucket => {
    const bucket = getBucket(name);
    if (!bucket) throw noSuchBucket(name);
    if (bucket.projectId !== projectId) throw new StoreError('BucketOfAnotherProject', `Bucket ${name} belongs to another project.`, { BucketName: name });
    return bucket;
  };

  /**
   * Runs a write in a transaction. With a data dir, writes of bodies (objects, parts) share their commit and fsync
   * with the others that finish in the same turn of the event loop (group-commit.ts); in memory there is no fsync
   * to share, so they commit at once.
   */
  const walMode = !db.memory && db.pragma('journal_mode', { simple: true }) === 'wal';
  // Absolute now: the log is opened at the first commit, and the process may have changed directory by then.
  const groupCommit = createGroupCommit(db, walMode ? { walPath: resolve(`${db.name}-wal`) } : {});
  const immediateTransaction = db.transaction((write: () => unknown) => write());
  const commitWrite = <T>(write: () => T): Promise<T> =>
    dataDir ? groupCommit(write) : Promise.resolve(immediateTransaction(write) as T);

  /**
   * Inside a write's transaction: the bucket it names is still there and, given the bucket the request was
   * authorized for, still that one (the same owner and creation time), not one of the same name made since by
   * anyone. Else NoSuchBucket: a write lands in the bucket it was authorized for, or nowhere.
   */
  const requireSameBucket = (bucket: BucketRef): void => {
    const name = bucketName(bucket);
    const current = q.bucket.get(name);
    const same = typeof bucket === 'string' || (current?.project_id === bucket.projectId && current.created_at === bucket.createdAt.getTime());
    if (!current || !same) throw noSuchBucket(name);
  };

  /**
   * Commits a row that points at a blob just written (`blobId`). `write` runs in the write's transaction and returns
   * the blob the row's previous version pointed to, if another: that one is removed after the commit. A failed
   * commit removes the new blob instead.
   */
  const commitBlobRow = async (blobId: string, write: () => string | null): Promise<void> => {
    let replaced: string | null;
    try {
      replaced = await commitWrite(write);
    } catch (error) {
      // A commit whose fsync failed may still point at the blob: keep it.
      if (!(error instanceof DurabilityError)) await bodies.remove([blobId]);
      throw error;
    }
    if (replaced) await bodies.remove([replaced]);
  };

  /** The blob `previous` pointed to, if `row` (its next version) points at another. */
  const replacedBlob = (previous: { blob_id: string } | undefined, row: { blob_id: string }): string | null =>
    previous && previous.blob_id !== row.blob_id ? previous.blob_id : null;

  /** Commits an object row, unless its bucket vanished meanwhile or `precondition` refuses the key's current object. */
  const storeObject = async ({ row, bucket, precondition, alongside }: ObjectCommit): Promise<StoredObject> => {
    await commitBlobRow(row.blob_id, () => {
      requireSameBucket(typeof bucket === 'string' ? row.bucket : bucket);
      const previous = q.object.get(row.bucket, row.key);
      precondition?.(previous ? toObject(previous) : undefined);
      q.upsertObject.run(row);
      alongside?.();
      return replacedBlob(previous, row);
    });
    return toObject(row);
  };

  /** Commits a part row, unless its upload is gone meanwhile (completed, aborted, or deleted with its bucket). */
  const storePart = async (row: PartRow): Promise<StoredPart> => {
    await commitBlobRow(row.blob_id, () => {
      if (!q.upload.get(row.upload_id)) throw noSuchUpload(row.upload_id);
      const previous = q.part.get(row.upload_id, row.part_number);
      q.upsertPart.run(row);
      return replacedBlob(previous, row);
    });
    return toPart(row);
  };

  const dropUpload = db.transaction((uploadId: string): string[] => {
    const ids = q.parts.all(uploadId).map((part) => part.blob_id);
    q.deleteParts.run(uploadId);
    q.deleteUpload.run(uploadId);
    return ids;
  });

  const storage: Storage = {
    listBuckets: (projectId) => q.bucketsOf.all(projectId).map(toBucket),

    findBucket: getBucket,
    getBucket,
    requireBucket,

    createBucket(projectId, name, region, settings = { isPublic: false, objectLock: null, tags: [] }) {
      if (!isValidBucketName(name)) {
        throw new StoreError('InvalidBucketName', `${JSON.stringify(name)} breaks the bucket naming rules.`, { BucketName: name });
      }
      return db.transaction(() => {
        const existing = q.bucket.get(name);
        if (existing) {
          if (existing.project_id === projectId) {
            throw new StoreError('BucketAlreadyOwnedByYou', `The project already has bucket ${name}.`, { BucketName: name });
          }
          throw new StoreError('BucketAlreadyExists', `Another project has bucket ${name}.`, { BucketName: name });
        }
        const createdAt = clock.nowMs();
        q.insertBucket.run({
          name,
          project_id: projectId,
          region,
          created_at: createdAt,
          is_public: settings.isPublic ? 1 : 0,
          object_lock: settings.objectLock === null ? null : JSON.stringify(settings.objectLock),
          tags: JSON.stringify(settings.tags),
        });
        bucketCache.delete(name);
        return toBucket(q.bucket.get(name)!);
      })();
    },

    updateBucket(bucket, change) {
      const name = bucketName(bucket);
      const updated = db.transaction(() => {
        requireSameBucket(bucket);
        q.setPublic.run(change.isPublic ? 1 : 0, clock.nowMs(), name);
        return toBucket(q.bucket.get(name)!);
      })();
      bucketCache.delete(name);
      return updated;
    },

    async deleteBucket(projectId, name) {
      const partBlobs = db.transaction(() => {
        const bucket = requireBucket(projectId, name);
        if (bucket.objectLock !== null) {
          throw new StoreError('BucketObjectLocked', `Bucket ${name} has Object Lock enabled.`, { BucketName: name });
        }
        if (q.anyObject.get(name)) {
          throw new StoreError('BucketNotEmpty', `Bucket ${name} is not empty.`, { BucketName: name });
        }
        // Unfinished multipart uploads go with the bucket, as on S3.
        const ids = q.uploadIdsOf.all(name).flatMap((row) => dropUpload(row.upload_id));
        q.deleteBucket.run(name);
        return ids;
      })();
      bucketCache.delete(name);
      await bodies.remove(partBlobs);
    },

    bucketStats(projectId, name) {
      requireBucket(projectId, name);
      const row = q.stats.get(name);
      return { objectCount: row?.count ?? 0, totalSize: row?.total ?? 0 };
    },

    setBucketConfig(bucket, kind, json) {
      const name = bucketName(bucket);
      const column = ({ cors: 'cors', lifecycle: 'lifecycle', encryption: 'encryption' } as const)[kind];
      db.transaction(() => {
        requireSameBucket(bucket);
        db.prepare(`UPDATE s3_buckets SET ${column} = ? WHERE name = ?`).run(json, name);
      })();
      bucketCache.delete(name);
    },

    getObject(bucket, key) {
      const row = q.object.get(bucket, key);
      return row ? toObject(row) : undefined;
    },

    readObject(object, range) {
      return blobs.read(object.blobId, range, object.size);
    },

    readObjectBuffer(object, range) {
      const length = range ? range.end - range.start + 1 : object.size;
      return dataDir === null || length <= wholeReadMaxBytes ? blobs.readBuffer(object.blobId, range, object.size) : null;
    },

    async putObject({ bucket, key, body, metadata, precondition }) {
      const written = await bodies.write(body, multipartLimits.value.maxSinglePutBytes);
      const row = objectRow({ bucket: bucketName(bucket), key, ...written, metadata, parts: null, lastModified: clock.nowMs() });
      return storeObject({ row, bucket, precondition });
    },

    async copyObject({ source, bucket, key, metadata, checksum, precondition }) {
      const copied = await bodies.copy(source, 'compute' in checksum ? { checksum: checksum.compute } : {});
      const checksums = 'keep' in checksum ? checksum.keep : copied.checksums;
      const row = objectRow({ bucket: bucketName(bucket), key, ...copied, checksums, metadata, parts: null, lastModified: clock.nowMs() });
      return storeObject({ row, bucket, precondition });
    },

    async deleteObject(bucket, key) {
      const name = bucketName(bucket);
      const removed = db.transaction(() => {
        if (typeof bucket !== 'string') requireSameBucket(bucket);
        const row = q.object.get(name, key);
        if (row) q.deleteObject.run(name, key);
        return row?.blob_id ?? null;
      })();
      if (removed) await bodies.remove([removed]);
      return removed !== null;
    },

    listObjects(bucket, options) {
      return objectListing((cursor, inclusive, limit) => (inclusive ? q.pageFrom : q.pageAfter).all(bucket, cursor, options.prefix, limit), options);
    },

    createUpload(bucket, key, metadata, checksum) {
      const upload: MultipartUpload = {
        uploadId: randomBytes(24).toString('base64url'),
        bucket,
        key,
        initiated: new Date(clock.nowMs()),
        metadata,
        checksumAlgorithm: checksum?.algorithm ?? null,
        checksumType: checksum?.type ?? null,
      };
      q.insertUpload.run(uploadRow(upload));
      return upload;
    },

    requireUpload(bucket, key, uploadId) {
      const row = q.upload.get(uploadId);
      if (!row || row.bucket !== bucket || row.key !== key) throw noSuchUpload(uploadId);
      return toUpload(row);
    },

    async putPart(upload, partNumber, body) {
      const written = await bodies.write(body, multipartLimits.value.maxPartBytes);
      return storePart(partRow({ uploadId: upload.uploadId, partNumber, ...written, lastModified: clock.nowMs() }));
    },

    async copyPart(upload, partNumber, source, range, checksum) {
      const copied = await bodies.copy(source, { range: range ?? undefined, maxBytes: multipartLimits.value.maxPartBytes, checksum });
      return storePart(partRow({ uploadId: upload.uploadId, partNumber, ...copied, lastModified: clock.nowMs() }));
    },

    listParts(uploadId, afterPartNumber, maxParts) {
      const rows = q.partsPage.all(uploadId, afterPartNumber, maxParts + 1);
      return { parts: rows.slice(0, maxParts).map(toPart), isTruncated: rows.length > maxParts };
    },

    async completeUpload(upload, requested, { checkParts, combineChecksums, precondition } = {}) {
      const stored = new Map(q.parts.all(upload.uploadId).map((row) => [row.part_number, toPart(row)]));
      const chosen = requested.map((request) => {
        const part = stored.get(request.partNumber);
        if (!part || part.etag !== request.etag.replace(/^"|"$/g, '').toLowerCase()) {
          throw new StoreError('InvalidPart', `Part ${request.partNumber} of upload ${upload.uploadId} is not there in the version named.`, {
            UploadId: upload.uploadId,
            PartNumber: String(request.partNumber),
            ETag: request.etag,
          });
        }
        return part;
      });
      checkParts?.(chosen);
      const checksums = combineChecksums?.(upload, chosen) ?? {};
      const etag = `${createHash('md5')
        .update(Buffer.concat(chosen.map((part) => Buffer.from(part.etag, 'hex'))))
        .digest('hex')}-${chosen.length}`;
      // The parts chosen are the versions whose ETags the request listed: a part uploaded again meanwhile replaces
      // the row, but its old blob stays until this complete has read it, so the object is made of them.
      const blob = await bodies.join(chosen);
      // The object appears and the upload goes in one transaction: of a Complete and an Abort (or two Completes)
      // racing, exactly one succeeds. A failed precondition leaves the upload in place (the client may retry), as on S3.
      let partBlobs: string[] = [];
      const object = await storeObject({
        row: objectRow({
          bucket: upload.bucket,
          key: upload.key,
          blob,
          etag,
          metadata: upload.metadata,
          checksums,
          parts: chosen,
          lastModified: clock.nowMs(),
        }),
        // The upload goes with its bucket, so finding the upload below is finding the bucket it was made in.
        bucket: upload.bucket,
        precondition,
        alongside: () => {
          if (!q.upload.get(upload.uploadId)) throw noSuchUpload(upload.uploadId);
          partBlobs = dropUpload(upload.uploadId);
        },
      });
      await bodies.remove(partBlobs);
      return object;
    },

    async abortUpload(upload) {
      await bodies.remove(dropUpload(upload.uploadId));
    },

    listUploads(bucket, options) {
      return uploadListing(q.uploadsOf.iterate(bucket, options.keyMarker), options);
    },

    async reset() {
      db.exec('DELETE FROM s3_parts; DELETE FROM s3_uploads; DELETE FROM s3_objects; DELETE FROM s3_buckets;');
      bucketCache.clear();
      await blobs.clear();
    },

    async close() {
      // The database handle belongs to the caller; blobs need no closing. Writes waiting for their fsync finish.
      await groupCommit.close();
    },
  };
  return storage;
}
