import type { S3OperationName } from '../../spec/index.js';
import { S3Error } from './errors.js';

/**
 * Which S3 operation a request is, decided here and only here: the bucket and key from path-style (`/bucket/key`)
 * or virtual-hosted-style (`bucket.DOMAIN/key`) addressing, then the operation from the method, the sub-resource
 * query keys, a form upload's content type and a copy source.
 */

export interface Route {
  /** A row of spec's permission matrix, or null when the request names something the mock does not implement. */
  readonly operation: S3OperationName | null;
  readonly bucket: string | null;
  /** The decoded key; null when the request addresses the bucket (or service) itself. */
  readonly key: string | null;
  /** CopyObject's and UploadPartCopy's source, parsed once; null for every other operation. */
  readonly copySource: CopySource | null;
  readonly query: URLSearchParams;
  /** Raw path and query as received: authentication canonicalises from these. */
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly host: string;
  /** Whether the bucket came from the Host header (`bucket.DOMAIN`) rather than the path. */
  readonly virtualHosted: boolean;
  /** A request the router could not make sense of (bad percent-encoding, a bad copy source); raised after authentication. */
  readonly error: S3Error | null;
}

/** What routing reads of a request's headers. */
export interface RoutingHeaders {
  readonly contentType?: string;
  /** `x-amz-copy-source`, as a header or (presigned URLs) hoisted into the query. */
  readonly copySource?: string;
}

export interface CopySource {
  readonly bucket: string;
  readonly key: string;
}

/** Sub-resources S3 has and the mock does not implement: answered 501 NotImplemented after authentication. */
const unimplementedSubresources = new Set([
  'accelerate',
  'acl',
  'analytics',
  'attributes',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'logging',
  'metadataConfiguration',
  'metadataTable',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'session',
  'tagging',
  'torrent',
  'versioning',
  'website',
  'renameObject',
]);

function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

export function routeRequest(method: string, url: string, host: string, s3Domain: string | null, headers: RoutingHeaders = {}): Route {
  const questionMark = url.indexOf('?');
  const rawPath = questionMark >= 0 ? url.slice(0, questionMark) : url;
  const rawQuery = questionMark >= 0 ? url.slice(questionMark + 1) : '';
  const query = new URLSearchParams(rawQuery);
  let error: S3Error | null = null;

  let bucket: string | null = null;
  let encodedKey: string | null = null;
  const hostname = hostWithoutPort(host).toLowerCase();
  const domain = s3Domain?.toLowerCase() ?? null;
  const virtualHosted = domain !== null && hostname.endsWith(`.${domain}`);
  if (virtualHosted && domain) {
    bucket = hostname.slice(0, -(domain.length + 1));
    encodedKey = rawPath.length > 1 ? rawPath.slice(1) : null;
  } else {
    const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
    const slash = path.indexOf('/');
    const encodedBucket = slash >= 0 ? path.slice(0, slash) : path;
    encodedKey = slash >= 0 && slash < path.length - 1 ? path.slice(slash + 1) : null;
    if (encodedBucket !== '') {
      try {
        bucket = decodeURIComponent(encodedBucket);
      } catch {
        error = invalidUri();
      }
    }
  }
  let key: string | null = null;
  if (encodedKey !== null) {
    try {
      key = decodeURIComponent(encodedKey);
    } catch {
      error = invalidUri();
    }
  }

  // A presigner may hoist the copy source into the (signed) query; a header sent as well wins, as for every value.
  const copySourceValue = headers.copySource ?? hoistedCopySource(query);
  const operation = withCopySource(operationOf(method.toUpperCase(), bucket, key, query, headers.contentType ?? ''), copySourceValue);
  let copySource: CopySource | null = null;
  if (copySourceValue !== undefined && (operation === 'CopyObject' || operation === 'UploadPartCopy')) {
    try {
      copySource = parseCopySource(copySourceValue);
    } catch (parseError) {
      error ??= parseError instanceof S3Error ? parseError : invalidUri();
    }
  }
  return { operation, bucket, key, copySource, query, rawPath, rawQuery, host, virtualHosted, error };
}

function hoistedCopySource(query: URLSearchParams): string | undefined {
  for (const [name, value] of query) if (name.toLowerCase() === 'x-amz-copy-source') return value;
  return undefined;
}

function invalidUri(): S3Error {
  return new S3Error('InvalidURI', "Couldn't parse the specified URI.");
}

function operationOf(method: string, bucket: string | null, key: string | null, query: URLSearchParams, contentType: string): S3OperationName | null {
  // GET ?versioning and ?object-lock on a bucket are served (versioning is never enabled; Object Lock is set over
  // IBEE's public API), and GET ?attributes on an object; every other use of them is not implemented.
  const readsBucket = method === 'GET' && bucket !== null && key === null;
  const readsObject = method === 'GET' && bucket !== null && key !== null;
  const served = (name: string) => (readsBucket && (name === 'versioning' || name === 'object-lock')) || (readsObject && name === 'attributes');
  for (const name of query.keys()) if (unimplementedSubresources.has(name) && !served(name)) return null;
  const has = (name: string) => query.has(name);

  if (bucket === null) return method === 'GET' ? 'ListBuckets' : null;

  if (key === null) {
    switch (method) {
      case 'GET':
        if (has('cors')) return 'GetBucketCors';
        if (has('lifecycle')) return 'GetBucketLifecycleConfiguration';
        if (has('encryption')) return 'GetBucketEncryption';
        if (has('location')) return 'GetBucketLocation';
        if (has('uploads')) return 'ListMultipartUploads';
        if (has('versions')) return 'ListObjectVersions';
        if (has('versioning')) return 'GetBucketVersioning';
        if (has('object-lock')) return 'GetObjectLockConfiguration';
        if (query.get('list-type') === '2') return 'ListObjectsV2';
        return 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        if (has('cors')) return 'PutBucketCors';
        if (has('lifecycle')) return 'PutBucketLifecycleConfiguration';
        if (has('encryption')) return 'PutBucketEncryption';
        return 'CreateBucket';
      case 'DELETE':
        if (has('cors')) return 'DeleteBucketCors';
        if (has('lifecycle')) return 'DeleteBucketLifecycle';
        if (has('encryption')) return null;
        return 'DeleteBucket';
      case 'POST':
        if (has('delete')) return 'DeleteObjects';
        if (/^multipart\/form-data/i.test(contentType)) return 'PostObject';
        return null;
      default:
        return null;
    }
  }

  switch (method) {
    case 'GET':
      if (has('uploadId')) return 'ListParts';
      return has('attributes') ? 'GetObjectAttributes' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      if (has('uploadId') || has('partNumber')) return 'UploadPart';
      return 'PutObject';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
      return null;
    case 'DELETE':
      return has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return null;
  }
}

/** CopyObject and UploadPartCopy are PutObject and UploadPart with an x-amz-copy-source header. */
function withCopySource(operation: S3OperationName | null, copySource: string | undefined): S3OperationName | null {
  if (copySource === undefined) return operation;
  if (operation === 'PutObject') return 'CopyObject';
  if (operation === 'UploadPart') return 'UploadPartCopy';
  return operation;
}

/**
 * Buckets are unversioned: the only version id is the literal "null" (the current object). Any other value is
 * refused before anything is read or changed, never taken to mean the current object.
 */
export function requireNullVersion(versionId: string | null): void {
  if (versionId !== null && versionId !== 'null') throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
}

/** Parses `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, URL-encoded. */
export function parseCopySource(header: string): CopySource {
  const invalid = () => new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', {
    ArgumentName: 'x-amz-copy-source',
    ArgumentValue: header,
  });
  const questionMark = header.indexOf('?');
  const pathPart = questionMark >= 0 ? header.slice(0, questionMark) : header;
  const versionId = questionMark >= 0 ? new URLSearchParams(header.slice(questionMark + 1)).get('versionId') : null;
  requireNullVersion(versionId);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathPart);
  } catch {
    throw invalid();
  }
  const path = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) throw invalid();
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}
