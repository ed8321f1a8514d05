import type { Readable } from 'node:stream';
import type { ByteRange } from './blobs.js';

/*
 * The store's contract: what it keeps (buckets, objects, multipart uploads and their parts), what it is handed
 * (bodies, listing and completion options) and the operations it offers (StorageStore for REST, Storage for S3).
 * createStorage (storage.ts) implements it.
 */

/** Standard and user metadata kept with an object (and with a multipart upload until it completes). */
export interface ObjectMetadata {
  readonly contentType: string;
  readonly contentEncoding: string | null;
  readonly contentDisposition: string | null;
  readonly contentLanguage: string | null;
  readonly cacheControl: string | null;
  readonly expires: string | null;
  /** x-amz-meta-* names (lower case, without the prefix) and values. */
  readonly userMetadata: Readonly<Record<string, string>>;
}

/**
 * Base64 checksums by algorithm name (CRC32, CRC32C, SHA1, SHA256, CRC64NVME). An object carries one; a part may carry
 * two (the one its request declared, and the one its upload's object is made from). A composite value ends in `-N`.
 */
export type Checksums = Readonly<Record<string, string>>;

/** A checksum the store computes over bytes it copies itself (CopyObject, UploadPartCopy), made by the caller. */
export interface ChecksumComputer {
  readonly algorithm: string;
  update(data: Buffer): void;
  digestBase64(): string;
}

/** A part of a multipart object, as CompleteMultipartUpload assembled it. */
export interface ObjectPart {
  readonly partNumber: number;
  readonly size: number;
  readonly checksums: Checksums;
}

export interface StoredObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** Without quotes: hex MD5, or `md5-of-md5s-N` for a multipart object. */
  readonly etag: string;
  readonly lastModified: Date;
  readonly metadata: ObjectMetadata;
  readonly checksums: Checksums;
  /** Number of parts for an object made by CompleteMultipartUpload, else null. */
  readonly partsCount: number | null;
  /** Sizes of those parts, in order (GetObject/HeadObject with partNumber); null for single-part objects. */
  readonly partSizes: readonly number[] | null;
  /** Those parts, in order; null for single-part objects and for objects completed before parts were kept. */
  readonly parts: readonly ObjectPart[] | null;
  readonly blobId: string;
}

export interface StoredBucket extends BucketInfo {
  readonly cors: string | null;
  readonly lifecycle: string | null;
  readonly encryption: string | null;
}

export type BucketConfigKind = 'cors' | 'lifecycle' | 'encryption';

/** A bucket by name, or the very bucket a request was authorized for (its owner and creation time as well). */
export type BucketRef = string | Pick<StoredBucket, 'name' | 'projectId' | 'createdAt'>;

export interface MultipartUpload {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiated: Date;
  readonly metadata: ObjectMetadata;
  /** The checksum algorithm CreateMultipartUpload named; null when it named none. */
  readonly checksumAlgorithm: string | null;
  /** The checksum type the upload combines its parts as, when it named an algorithm; null for uploads made before types were kept. */
  readonly checksumType: string | null;
}

export interface StoredPart {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
  readonly checksums: Checksums;
  readonly blobId: string;
}

/** What the body checks established (s3/signing's BodyDigests satisfies it). */
export interface VerifiedDigests {
  readonly md5Hex: string;
  readonly checksums: Checksums;
}

/** A request body on its way to the blob store: `digests` settles once the stream has been fully checked. */
export interface IncomingBody {
  readonly stream: Readable;
  readonly digests: Promise<VerifiedDigests>;
}

export interface ListOptions {
  readonly prefix: string;
  readonly delimiter: string;
  /** List strictly after this key (marker, start-after, continuation). A common prefix equal to it is skipped. */
  readonly after: string;
  readonly maxKeys: number;
}

export interface ObjectListing {
  readonly objects: readonly StoredObject[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  /** The last key or common prefix returned: where the next page starts. */
  readonly last: string | null;
}

export interface UploadListOptions {
  readonly prefix: string;
  readonly delimiter: string;
  readonly keyMarker: string;
  readonly uploadIdMarker: string;
  readonly maxUploads: number;
}

export interface UploadListing {
  readonly uploads: readonly MultipartUpload[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  readonly nextKeyMarker: string | null;
  readonly nextUploadIdMarker: string | null;
}

export interface CompletedPartRequest {
  readonly partNumber: number;
  readonly etag: string;
}

/**
 * A write precondition (If-None-Match / If-Match on PutObject, CopyObject, CompleteMultipartUpload): re-run against
 * the key's current object in the same transaction as the commit, so that of racing conditional writes only one wins.
 * Throws (PreconditionFailed) to refuse the write; the new body is then discarded.
 */
export type WritePrecondition = (current: StoredObject | undefined) => void;

/**
 * Derives the assembled object's checksums from its parts (S3's composite and full-object checksums); supplied by the
 * caller, run before anything is written, and may throw to refuse the completion.
 */
export type PartChecksumCombiner = (upload: MultipartUpload, parts: readonly StoredPart[]) => Checksums;

/** What the caller of completeUpload decides: its rules about the parts chosen, their checksums, a precondition. */
export interface CompleteRules {
  /** Throws to refuse the parts chosen (in the versions named, in the order requested), before anything is written. */
  readonly checkParts?: (parts: readonly StoredPart[]) => void;
  readonly combineChecksums?: PartChecksumCombiner;
  readonly precondition?: WritePrecondition;
}

/** What a multipart upload records of its checksum: the algorithm CreateMultipartUpload named, and the type it uses. */
export interface UploadChecksumSetting {
  readonly algorithm: string;
  readonly type: string;
}

/** A bucket's default retention: a mode and one of days or years. */
export type DefaultRetention =
  | { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly days: number }
  | { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly years: number };

/** What a bucket is made with besides its name and region (IBEE's public API sets them; S3 CreateBucket does not). */
export interface BucketSettings {
  /** Anonymous S3 reads (GetObject, HeadObject) of its objects. */
  readonly isPublic: boolean;
  /** Object Lock, set at creation only; null when off. A locked bucket cannot be deleted. */
  readonly objectLock: { readonly defaultRetention: DefaultRetention | null } | null;
  readonly tags: readonly string[];
}

export interface BucketInfo extends BucketSettings {
  readonly projectId: string;
  readonly name: string;
  readonly region: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What PutObject (and a POST upload) stores: the body, under `bucket`/`key`, if `precondition` holds. */
export interface PutObjectInput {
  readonly bucket: BucketRef;
  readonly key: string;
  readonly body: IncomingBody;
  readonly metadata: ObjectMetadata;
  readonly precondition?: WritePrecondition | undefined;
}

/** What CopyObject stores: `source`'s bytes under `bucket`/`key`, if `precondition` holds. */
export interface CopyObjectInput {
  readonly source: StoredObject;
  readonly bucket: BucketRef;
  readonly key: string;
  readonly metadata: ObjectMetadata;
  /** The copy's checksums: the source's kept as they are, or one computed over the bytes as they are copied. */
  readonly checksum: { readonly keep: Checksums } | { readonly compute: ChecksumComputer };
  readonly precondition?: WritePrecondition | undefined;
}

/**
 * Bucket-level storage operations, the part of the store the REST API uses; `Storage` adds the object API.
 */
export interface StorageStore {
  listBuckets(projectId: string): readonly BucketInfo[];
  /** Buckets are unique across all projects, as IBEE documents; this finds one in any project. */
  findBucket(name: string): BucketInfo | undefined;
  /** Throws StoreError BucketAlreadyOwnedByYou / BucketAlreadyExists / InvalidBucketName. */
  createBucket(projectId: string, name: string, region: string, settings?: BucketSettings): BucketInfo;
  /** Opens or closes anonymous reads of `bucket` (the very bucket given, else NoSuchBucket). */
  updateBucket(bucket: BucketRef, change: { readonly isPublic: boolean }): BucketInfo;
  /** Throws StoreError NoSuchBucket / BucketOfAnotherProject / BucketNotEmpty / BucketObjectLocked. */
  deleteBucket(projectId: string, name: string): Promise<void>;
  bucketStats(projectId: string, name: string): { readonly objectCount: number; readonly totalSize: number };
  /** Empties everything (POST /_mock/reset). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** The full storage API: StorageStore (shared with REST) plus what the S3 controllers need. */
export interface Storage extends StorageStore {
  getBucket(name: string): StoredBucket | undefined;
  /** The bucket if `projectId` owns it; NoSuchBucket if nobody does; AccessDenied if another project does. */
  requireBucket(projectId: string, name: string): StoredBucket;
  /** Sets (or with null clears) one configuration of `bucket`; given the bucket a request was authorized for, only that one. */
  setBucketConfig(bucket: BucketRef, kind: BucketConfigKind, json: string | null): void;

  getObject(bucket: string, key: string): StoredObject | undefined;
  /** Streams the object's body (or a range of it); opened at once, so a concurrent delete cannot break it. */
  readObject(object: StoredObject, range?: ByteRange): Readable;
  /**
   * The body (or range) as one Buffer when that is cheaper than a stream: always for bodies held in memory, for
   * files up to `wholeReadMaxBytes`. Null: stream it with readObject.
   */
  readObjectBuffer(object: StoredObject, range?: ByteRange): Buffer | Promise<Buffer> | null;
  /**
   * Stores an object in `bucket`. Given the bucket a request was authorized for (not just its name), the commit
   * also checks that it is still that bucket: deleted and made again meanwhile (by another project, say), the write
   * fails with NoSuchBucket instead of landing in the new one.
   */
  putObject(put: PutObjectInput): Promise<StoredObject>;
  /** Stores a copy of `source`'s bytes under `bucket`/`key`, with the checksums `copy.checksum` says. */
  copyObject(copy: CopyObjectInput): Promise<StoredObject>;
  /** Whether an object was there. */
  deleteObject(bucket: BucketRef, key: string): Promise<boolean>;
  listObjects(bucket: string, options: ListOptions): ObjectListing;

  /** A new multipart upload; `checksum` null when CreateMultipartUpload named no checksum algorithm. */
  createUpload(bucket: string, key: string, metadata: ObjectMetadata, checksum: UploadChecksumSetting | null): MultipartUpload;
  /** The upload if it exists for this bucket and key, else NoSuchUpload. */
  requireUpload(bucket: string, key: string, uploadId: string): MultipartUpload;
  putPart(upload: MultipartUpload, partNumber: number, body: IncomingBody): Promise<StoredPart>;
  /** Stores a part copied from `source` (or a range of it), with the checksum `checksum` computes over the bytes. */
  copyPart(upload: MultipartUpload, partNumber: number, source: StoredObject, range: ByteRange | null, checksum: ChecksumComputer): Promise<StoredPart>;
  listParts(uploadId: string, afterPartNumber: number, maxParts: number): { parts: readonly StoredPart[]; isTruncated: boolean };
  /**
   * Makes the object of the parts `parts` names, each in the version (ETag) named, else InvalidPart. The caller's
   * rules about the parts chosen (S3's part sizes and part checksums) and its checksum combiner run before anything
   * is written; the object keeps each part's size and checksums.
   */
  completeUpload(upload: MultipartUpload, parts: readonly CompletedPartRequest[], rules?: CompleteRules): Promise<StoredObject>;
  abortUpload(upload: MultipartUpload): Promise<void>;
  listUploads(bucket: string, options: UploadListOptions): UploadListing;
}
