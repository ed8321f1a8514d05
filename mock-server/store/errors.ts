/**
 * What the store refuses, in its own words. S3 (s3/errors.ts) and REST (rest/http.ts) each translate these at their
 * edge; the store knows neither protocol.
 */
export type StoreErrorCode =
  | 'NoSuchBucket'
  /** The bucket exists but another project owns it. */
  | 'BucketOfAnotherProject'
  | 'BucketAlreadyOwnedByYou'
  | 'BucketAlreadyExists'
  | 'BucketNotEmpty'
  /** The bucket has Object Lock enabled, which keeps it. */
  | 'BucketObjectLocked'
  | 'InvalidBucketName'
  | 'NoSuchUpload'
  /** A body longer than the store takes for it. */
  | 'TooLarge'
  /** A part a complete named is not there, or not in the version (ETag, checksums) it named. */
  | 'InvalidPart';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** What the error is about (BucketName, UploadId, PartNumber, MaxSizeAllowed…), for the edges to report. */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
