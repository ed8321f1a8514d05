import type Database from 'better-sqlite3';
import type { WrittenBlob } from './blobs.js';
import type { Checksums, MultipartUpload, ObjectMetadata, ObjectPart, StoredBucket, StoredObject, StoredPart } from './types.js';

/*
 * The store's tables in SQLite: their definitions, a row of each as better-sqlite3 reads and writes it, and the
 * mapping between each row and the record (types.ts) it stands for. Metadata, checksums, part sizes and parts are kept
 * as JSON text; times as epoch ms. A database made by an older version gets the columns it lacks (nullable,
 * each null read as "not known then") when it is opened: nothing is rewritten.
 */

const tables = `
CREATE TABLE IF NOT EXISTS s3_buckets (
  name TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  region TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER,
  is_public INTEGER NOT NULL DEFAULT 0,
  object_lock TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  cors TEXT,
  lifecycle TEXT,
  encryption TEXT
);
CREATE INDEX IF NOT EXISTS s3_buckets_project ON s3_buckets (project_id, name);
CREATE TABLE IF NOT EXISTS s3_objects (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  blob_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  checksums TEXT NOT NULL,
  parts_count INTEGER,
  part_sizes TEXT,
  parts TEXT,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS s3_uploads (
  upload_id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  initiated INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  checksum_algorithm TEXT,
  checksum_type TEXT
);
CREATE INDEX IF NOT EXISTS s3_uploads_bucket ON s3_uploads (bucket, key, initiated, upload_id);
CREATE TABLE IF NOT EXISTS s3_parts (
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  checksums TEXT NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
`;

/** Creates the tables (and their indexes) that are missing, and adds columns that older databases lack. */
export function createTables(db: Database.Database): void {
  db.exec(tables);
  // Databases made before part sizes were kept get the column (null: parts unknown, served as one part); before each
  // part's number and checksums were kept, that column (null: not known, no part listed).
  const objectColumns = db.prepare<[], { name: string }>('PRAGMA table_info(s3_objects)').all().map((column) => column.name);
  if (!objectColumns.includes('part_sizes')) db.exec('ALTER TABLE s3_objects ADD COLUMN part_sizes TEXT');
  if (!objectColumns.includes('parts')) db.exec('ALTER TABLE s3_objects ADD COLUMN parts TEXT');
  // Uploads made before checksum types were kept: null, read as the default type of the upload's algorithm.
  const uploadColumns = db.prepare<[], { name: string }>('PRAGMA table_info(s3_uploads)').all().map((column) => column.name);
  if (!uploadColumns.includes('checksum_type')) db.exec('ALTER TABLE s3_uploads ADD COLUMN checksum_type TEXT');
  // Databases made before buckets had IBEE's settings get the columns, every bucket private and unlocked.
  const bucketColumns = db.prepare<[], { name: string }>('PRAGMA table_info(s3_buckets)').all().map((column) => column.name);
  const addedBucketColumns: Record<string, string> = {
    updated_at: 'updated_at INTEGER',
    is_public: 'is_public INTEGER NOT NULL DEFAULT 0',
    object_lock: 'object_lock TEXT',
    tags: "tags TEXT NOT NULL DEFAULT '[]'",
  };
  for (const [column, definition] of Object.entries(addedBucketColumns)) {
    if (!bucketColumns.includes(column)) db.exec(`ALTER TABLE s3_buckets ADD COLUMN ${definition}`);
  }
}

export interface BucketRow {
  name: string;
  project_id: string;
  region: string;
  created_at: number;
  /** Null in databases made before buckets could change: never changed since creation. */
  updated_at: number | null;
  is_public: number;
  object_lock: string | null;
  tags: string;
  cors: string | null;
  lifecycle: string | null;
  encryption: string | null;
}

export interface ObjectRow {
  bucket: string;
  key: string;
  blob_id: string;
  size: number;
  etag: string;
  last_modified: number;
  metadata: string;
  checksums: string;
  parts_count: number | null;
  part_sizes: string | null;
  /** JSON of the parts (number, size, checksums); null for single-part objects and older multipart ones. */
  parts: string | null;
}

export interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  metadata: string;
  checksum_algorithm: string | null;
  checksum_type: string | null;
}

export interface PartRow {
  upload_id: string;
  part_number: number;
  blob_id: string;
  size: number;
  etag: string;
  last_modified: number;
  checksums: string;
}

export const toBucket = (row: BucketRow): StoredBucket => ({
  projectId: row.project_id,
  name: row.name,
  region: row.region,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at ?? row.created_at),
  isPublic: row.is_public === 1,
  objectLock: row.object_lock === null ? null : (JSON.parse(row.object_lock) as StoredBucket['objectLock']),
  tags: JSON.parse(row.tags) as string[],
  cors: row.cors,
  lifecycle: row.lifecycle,
  encryption: row.encryption,
});

export const toObject = (row: ObjectRow): StoredObject => ({
  bucket: row.bucket,
  key: row.key,
  size: row.size,
  etag: row.etag,
  lastModified: new Date(row.last_modified),
  metadata: JSON.parse(row.metadata) as ObjectMetadata,
  checksums: JSON.parse(row.checksums) as Checksums,
  partsCount: row.parts_count,
  partSizes: row.part_sizes === null ? null : (JSON.parse(row.part_sizes) as number[]),
  parts: row.parts === null ? null : (JSON.parse(row.parts) as ObjectPart[]),
  blobId: row.blob_id,
});

export const toUpload = (row: UploadRow): MultipartUpload => ({
  uploadId: row.upload_id,
  bucket: row.bucket,
  key: row.key,
  initiated: new Date(row.initiated),
  metadata: JSON.parse(row.metadata) as ObjectMetadata,
  checksumAlgorithm: row.checksum_algorithm,
  checksumType: row.checksum_type,
});

export const toPart = (row: PartRow): StoredPart => ({
  partNumber: row.part_number,
  size: row.size,
  etag: row.etag,
  lastModified: new Date(row.last_modified),
  checksums: JSON.parse(row.checksums) as Checksums,
  blobId: row.blob_id,
});

/** What an object row and a part row both record of a body: its blob, ETag and checksums, and when it was written. */
interface BodyFields {
  blob: WrittenBlob;
  etag: string;
  checksums: Checksums;
  /** Epoch ms. */
  lastModified: number;
}

const bodyColumns = ({ blob, etag, checksums, lastModified }: BodyFields) => ({
  blob_id: blob.id,
  size: blob.size,
  etag,
  last_modified: lastModified,
  checksums: JSON.stringify(checksums),
});

/** An object's row; `parts` null for an object that was not assembled from parts. */
export const objectRow = ({ bucket, key, metadata, parts, ...body }: BodyFields & {
  bucket: string;
  key: string;
  metadata: ObjectMetadata;
  parts: readonly ObjectPart[] | null;
}): ObjectRow => ({
  bucket,
  key,
  ...bodyColumns(body),
  metadata: JSON.stringify(metadata),
  parts_count: parts === null ? null : parts.length,
  part_sizes: parts === null ? null : JSON.stringify(parts.map((part) => part.size)),
  parts: parts === null ? null : JSON.stringify(parts.map(({ partNumber, size, checksums }): ObjectPart => ({ partNumber, size, checksums }))),
});

/** A part's row. */
export const partRow = ({ uploadId, partNumber, ...body }: BodyFields & { uploadId: string; partNumber: number }): PartRow => ({
  upload_id: uploadId,
  part_number: partNumber,
  ...bodyColumns(body),
});

/** A multipart upload's row. */
export const uploadRow = (upload: MultipartUpload): UploadRow => ({
  upload_id: upload.uploadId,
  bucket: upload.bucket,
  key: upload.key,
  initiated: upload.initiated.getTime(),
  metadata: JSON.stringify(upload.metadata),
  checksum_algorithm: upload.checksumAlgorithm,
  checksum_type: upload.checksumType,
});
