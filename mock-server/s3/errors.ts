/**
 * S3 errors are values of one type, rendered to AWS-style XML in one place (s3/xml). Status codes follow AWS's
 * error-code list (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 */
import type { StoreError } from '../store/errors.js';

export const s3ErrorStatus = {
  AccessDenied: 403,
  AccessForbidden: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidBucketState: 409,
  ObjectLockConfigurationNotFoundError: 404,
  InvalidDigest: 400,
  InvalidLocationConstraint: 400,
  InvalidPart: 400,
  InvalidPartNumber: 416,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MalformedPOSTRequest: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  MissingSecurityHeader: 400,
  NoSuchBucket: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchKey: 404,
  NoSuchLifecycleConfiguration: 404,
  NoSuchUpload: 404,
  NotImplemented: 501,
  NotModified: 304,
  PreconditionFailed: 412,
  RequestHeaderSectionTooLarge: 400,
  RequestTimeTooSkewed: 403,
  ServerSideEncryptionConfigurationNotFoundError: 404,
  SignatureDoesNotMatch: 403,
  XAmzContentSHA256Mismatch: 400,
  // Appended by s3/signing (request authentication and body verification).
  InvalidPolicyDocument: 400,
  MalformedTrailerError: 400,
  MaxMessageLengthExceeded: 400,
  MaxPostPreDataLengthExceededError: 400,
  IncorrectNumberOfFilesInPostRequest: 400,
} as const;

export type S3ErrorCode = keyof typeof s3ErrorStatus;

export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  /** Extra XML elements AWS adds for some errors (e.g. ServerTime and Expires on an expired presigned URL). */
  readonly extra: Readonly<Record<string, string>>;

  constructor(code: S3ErrorCode, message: string, extra: Record<string, string> = {}) {
    super(message);
    this.name = 'S3Error';
    this.code = code;
    this.status = s3ErrorStatus[code];
    this.extra = extra;
  }
}

/** The store's refusals in S3's words (codes, messages and extra elements as AWS answers them). */
export function fromStoreError(error: StoreError): S3Error {
  const { details } = error;
  switch (error.code) {
    case 'NoSuchBucket':
      return new S3Error('NoSuchBucket', 'The specified bucket does not exist', details);
    case 'BucketOfAnotherProject':
      // Another project's bucket is none of the caller's business: S3's answer for someone else's bucket.
      return new S3Error('AccessDenied', 'Access Denied');
    case 'BucketAlreadyOwnedByYou':
      return new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', details);
    case 'BucketAlreadyExists':
      return new S3Error(
        'BucketAlreadyExists',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
        details,
      );
    case 'BucketNotEmpty':
      return new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', details);
    case 'BucketObjectLocked':
      return new S3Error('InvalidBucketState', 'The bucket has Object Lock enabled and cannot be deleted.', details);
    case 'InvalidBucketName':
      return new S3Error('InvalidBucketName', 'The specified bucket is not valid.', details);
    case 'NoSuchUpload':
      return new S3Error(
        'NoSuchUpload',
        'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        details,
      );
    case 'TooLarge':
      return new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', details);
    case 'InvalidPart':
      return new S3Error(
        'InvalidPart',
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.",
        details,
      );
  }
}
