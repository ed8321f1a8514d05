/**
 * Every public page a rule in spec/ rests on. Keys are short tags (IBEE's own pages are P*, IBEE's SDK
 * repositories R*, AWS pages AWS-*, Cloudflare R2 pages CF-*); values are the URLs exactly as the reference
 * digests in ../shared/reference give them. A test checks each URL against those digests, except the pages in
 * `sourcesBeyondDigests`, read directly for facts the digests do not cover.
 */
export const sources = {
  'P1': 'https://docs.ibee.ai/docs/access-security/api-tokens',
  'P2': 'https://ibee.ai/docs/tools/api-tokens',
  'P3': 'https://docs.ibee.ai/docs/storage/object-storage/api-tokens',
  'P4': 'https://ibee.ai/docs/infrastructure/object-storage/api-tokens',
  'P5': 'https://docs.ibee.ai/docs/storage/object-storage/create-a-bucket',
  'P6': 'https://ibee.ai/docs/infrastructure/object-storage/buckets',
  'P7': 'https://ibee.ai/docs/infrastructure/object-storage/buckets/bucket-policies',
  'P8': 'https://docs.ibee.ai/docs/storage/object-storage/permissions-and-policies',
  'P9': 'https://ibee.ai/docs/infrastructure/object-storage/objects',
  'P11': 'https://ibee.ai/docs/infrastructure/object-storage/objects/presigned-ur-ls',
  'P13': 'https://docs.ibee.ai/docs/storage/object-storage/lifecycle-policies',
  'P16': 'https://docs.ibee.ai/docs/storage/object-storage/limits',
  'P18': 'https://docs.ibee.ai/docs/storage/object-storage/pricing',
  'P19': 'https://ibee.ai/docs/infrastructure/object-storage/pricing',
  'R1': 'https://github.com/devs-ibee/ibee-typescript',
  'R2': 'https://github.com/devs-ibee/ibee-python',
  'R3': 'https://github.com/devs-ibee/terraform-provider-ibee',
  'R4': 'https://github.com/devs-ibee/ibee-cli',
  'CF-TOKENS': 'https://developers.cloudflare.com/r2/api/tokens/',
  'CF-TEMP-CREDENTIALS': 'https://developers.cloudflare.com/r2/api/s3/temporary-credentials/',
  'CF-ERROR-CODES': 'https://developers.cloudflare.com/r2/api/error-codes/',
  'CF-S3-API': 'https://developers.cloudflare.com/r2/api/s3/api/',
  'CF-PRESIGNED': 'https://developers.cloudflare.com/r2/api/s3/presigned-urls/',
  'AWS-ERRORS': 'https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html',
  'AWS-REST-AUTH': 'https://docs.aws.amazon.com/AmazonS3/latest/API/RESTAuthentication.html',
  'AWS-SIGV4-HEADER': 'https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html',
  'AWS-SIGV4-QUERY': 'https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html',
  'AWS-SIGV4-STREAMING': 'https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html',
  'AWS-SIGV4-TRAILERS': 'https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html',
  'AWS-SIGV4-DATE': 'https://docs.aws.amazon.com/general/latest/gr/sigv4-date-handling.html',
  'AWS-OBJECT-KEYS': 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html',
  'AWS-QUOTAS': 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html',
  'AWS-METADATA': 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html',
  'AWS-VIRTUAL-HOSTING': 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html',
  'AWS-DATA-INTEGRITY': 'https://docs.aws.amazon.com/sdkref/latest/guide/feature-dataintegrity.html',
  'AWS-S3-POLICY-ACTIONS': 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html',
  'AWS-OBJECT-INTEGRITY': 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html',
  'AWS-PUT-OBJECT': 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html',
  'AWS-UPLOAD-PART': 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html',
  'AWS-COMPLETE-MPU': 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html',
  'AWS-GET-OBJECT': 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html',
} as const;

export type SourceTag = keyof typeof sources;

/**
 * Pages cited for facts the reference digests do not cover: AWS's IAM action of each S3 operation, its checksum model
 * and the API reference pages that say what S3 checks of a request's checksums and declared object size.
 */
export const sourcesBeyondDigests: readonly SourceTag[] = [
  'AWS-S3-POLICY-ACTIONS',
  'AWS-OBJECT-INTEGRITY',
  'AWS-PUT-OBJECT',
  'AWS-UPLOAD-PART',
  'AWS-COMPLETE-MPU',
  'AWS-GET-OBJECT',
];

/** The URL behind a tag; used by reports to link each requirement to the page it comes from. */
export function sourceUrl(tag: SourceTag): string {
  return sources[tag];
}
