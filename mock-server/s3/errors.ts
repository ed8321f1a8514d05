/**
 * S3 errors are values of one type, rendered to AWS-style XML in one place (s3/xml). Status codes follow AWS's
 * error-code list (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 */
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
  // Appended by s3/auth (request authentication and body verification).
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
