import type { Readable } from 'node:stream';
import type { ChecksumAlgorithm } from '../../../spec/index.js';
import type { TokenRecord } from '../../context.js';

/**
 * The seam between S3 authentication (s3/signing) and the S3 controllers. Authentication identifies the caller and
 * hands over the request body as a stream of *decoded, verified* bytes: aws-chunked framing removed, chunk
 * signatures, payload hash, Content-MD5 and x-amz-checksum-* checked. A body that fails a check makes the stream
 * error with an S3Error (BadDigest, XAmzContentSHA256Mismatch, IncompleteBody, SignatureDoesNotMatch…) at the
 * point it is detected, which may be its very end; controllers must therefore write to a temporary place and
 * commit only after the stream has ended without error.
 */
export interface S3Caller {
  readonly anonymous?: false;
  readonly token: TokenRecord;
  readonly accessKeyId: string;
  /** Query-string authentication: a presigned URL (SigV4, or SigV2 when the mock allows it), or a POST form. */
  readonly presigned: boolean;
  /** Region from the SigV4 credential scope; SigV2 names none, so the mock's default signing region. */
  readonly region: string;
}

/**
 * A request with no credentials at all. Authorization lets it read objects of a public bucket only; it then acts
 * in the project that owns that bucket.
 */
export interface AnonymousCaller {
  readonly anonymous: true;
  /** The owner of the public bucket it reads; empty until authorization has allowed it. */
  readonly projectId: string;
  readonly region: string;
}

export type Caller = S3Caller | AnonymousCaller;

export interface BodyDigests {
  /** Decoded length in bytes. */
  readonly length: number;
  /** Hex MD5 of the decoded bytes (the ETag of a single-part object). */
  readonly md5Hex: string;
  /**
   * Base64 checksums by algorithm: the one the client declared (header or trailer), which matched, and those the
   * controller asked to have computed (VerifiedBody.computeChecksum).
   */
  readonly checksums: Readonly<Partial<Record<ChecksumAlgorithm, string>>>;
}

export type { ChecksumAlgorithm };

export interface VerifiedBody {
  /** Decoded bytes. Errors with an S3Error when verification fails. Empty for requests without a body. */
  readonly stream: Readable;
  /** The decoded length the client declared (Content-Length or x-amz-decoded-content-length), if any. */
  readonly declaredLength: number | null;
  /** The checksum algorithm the client declared (header, trailer or form field), known before any byte is read. */
  readonly declaredChecksum: ChecksumAlgorithm | null;
  /**
   * Has `algorithm` computed over the body too (the checksum the object will carry when the client sent another or
   * none); it lands in `digests.checksums`. Call before reading the stream.
   */
  computeChecksum(algorithm: ChecksumAlgorithm): void;
  /** Resolves once the stream has ended and every check passed; rejects with the S3Error otherwise. */
  readonly digests: Promise<BodyDigests>;
  /** Reads the whole (small) body into memory, e.g. XML configuration or multi-delete; rejects above maxBytes. */
  buffer(maxBytes: number): Promise<Buffer>;
}

export interface AuthenticatedRequest {
  readonly caller: Caller;
  readonly body: VerifiedBody;
  /**
   * `x-amz-*` headers a presigned URL carries in its signed query string, by lower-case name; S3 applies them as
   * headers. Empty for header-signed requests.
   */
  readonly hoistedHeaders: Readonly<Record<string, string>>;
}
