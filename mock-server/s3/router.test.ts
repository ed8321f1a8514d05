import { parseXML } from '@aws-sdk/xml-builder';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { S3Error } from './errors.js';
import { parseCopySource, routeRequest } from './router.js';
import { escapeXmlText, parseXmlBody, renderXml } from './xml.js';

describe('routeRequest', () => {
  const route = (method: string, url: string, host = '127.0.0.1:9000', domain: string | null = null, contentType = '', copySource?: string) =>
    routeRequest(method, url, host, domain, { contentType, ...(copySource === undefined ? {} : { copySource }) });

  it.each([
    ['GET', '/', 'ListBuckets'],
    ['PUT', '/b-1', 'CreateBucket'],
    ['PUT', '/b-1/', 'CreateBucket'],
    ['DELETE', '/b-1', 'DeleteBucket'],
    ['HEAD', '/b-1', 'HeadBucket'],
    ['GET', '/b-1?location', 'GetBucketLocation'],
    ['GET', '/b-1?cors', 'GetBucketCors'],
    ['PUT', '/b-1?cors', 'PutBucketCors'],
    ['DELETE', '/b-1?cors', 'DeleteBucketCors'],
    ['GET', '/b-1?lifecycle', 'GetBucketLifecycleConfiguration'],
    ['PUT', '/b-1?lifecycle', 'PutBucketLifecycleConfiguration'],
    ['DELETE', '/b-1?lifecycle', 'DeleteBucketLifecycle'],
    ['GET', '/b-1?encryption', 'GetBucketEncryption'],
    ['PUT', '/b-1?encryption', 'PutBucketEncryption'],
    ['DELETE', '/b-1?encryption', null],
    ['GET', '/b-1', 'ListObjects'],
    ['GET', '/b-1?list-type=2&prefix=a', 'ListObjectsV2'],
    ['GET', '/b-1?versions', 'ListObjectVersions'],
    ['GET', '/b-1?uploads', 'ListMultipartUploads'],
    ['POST', '/b-1?delete', 'DeleteObjects'],
    ['GET', '/b-1/k', 'GetObject'],
    ['GET', '/b-1/k?x-id=GetObject', 'GetObject'],
    ['HEAD', '/b-1/k', 'HeadObject'],
    ['PUT', '/b-1/k', 'PutObject'],
    ['DELETE', '/b-1/k', 'DeleteObject'],
    ['POST', '/b-1/k?uploads', 'CreateMultipartUpload'],
    ['PUT', '/b-1/k?partNumber=1&uploadId=u', 'UploadPart'],
    ['POST', '/b-1/k?uploadId=u', 'CompleteMultipartUpload'],
    ['DELETE', '/b-1/k?uploadId=u', 'AbortMultipartUpload'],
    ['GET', '/b-1/k?uploadId=u', 'ListParts'],
    ['GET', '/b-1/k?attributes', 'GetObjectAttributes'],
    ['GET', '/b-1?attributes', null],
    ['HEAD', '/b-1/k?attributes', null],
    ['GET', '/b-1?versioning', 'GetBucketVersioning'],
    ['GET', '/b-1?object-lock', 'GetObjectLockConfiguration'],
    ['PUT', '/b-1?object-lock', null],
    ['GET', '/b-1/k?object-lock', null],
    ['PUT', '/b-1?versioning', null],
    ['DELETE', '/b-1?versioning', null],
    ['GET', '/b-1/k?versioning', null],
    ['GET', '/b-1/k?tagging', null],
    ['PUT', '/b-1/k?acl', null],
    ['PATCH', '/b-1/k', null],
  ])('%s %s is %s', (method, url, operation) => {
    expect(route(method, url).operation).toBe(operation);
  });

  it('recognises browser POST uploads by their form content type', () => {
    expect(route('POST', '/b-1', undefined, null, 'multipart/form-data; boundary=x').operation).toBe('PostObject');
  });

  it('turns PUT with x-amz-copy-source into CopyObject / UploadPartCopy, and parses the source once', () => {
    expect(route('PUT', '/b-1/k', undefined, null, '', 'src/k')).toMatchObject({ operation: 'CopyObject', copySource: { bucket: 'src', key: 'k' } });
    expect(route('PUT', '/b-1/k?partNumber=1&uploadId=u', undefined, null, '', '/src/a%20b')).toMatchObject({
      operation: 'UploadPartCopy',
      copySource: { bucket: 'src', key: 'a b' },
    });
    expect(route('PUT', '/b-1/k')).toMatchObject({ operation: 'PutObject', copySource: null });
    // A presigner may hoist the copy source into the signed query.
    expect(route('PUT', '/b-1/k?x-amz-copy-source=src%2Fk').operation).toBe('CopyObject');
    // A copy source that does not parse is an error raised after authentication.
    expect(route('PUT', '/b-1/k', undefined, null, '', 'just-a-bucket').error?.code).toBe('InvalidArgument');
  });

  it('decodes any key exactly, path-style and virtual-hosted', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1 }).filter((key) => key.isWellFormed()), (key) => {
        const encoded = key.split('/').map(encodeURIComponent).join('/');
        const path = route('GET', `/bucket-a/${encoded}?x-id=GetObject`);
        expect([path.bucket, path.key]).toEqual(['bucket-a', key]);
        const hosted = route('GET', `/${encoded}`, 'bucket-a.s3.example:9000', 's3.example');
        expect([hosted.bucket, hosted.key]).toEqual(['bucket-a', key]);
      }),
    );
  });

  it('uses path style for the bare domain and reports bad percent-encoding as InvalidURI', () => {
    expect(route('GET', '/b-1/k', 's3.example', 's3.example')).toMatchObject({ bucket: 'b-1', key: 'k' });
    expect(route('GET', '/b-1/%E0%A4%A', undefined).error?.code).toBe('InvalidURI');
  });

  it('parses x-amz-copy-source with or without a leading slash, encoded', () => {
    expect(parseCopySource('/src-bucket/a%20b/%C3%BC')).toEqual({ bucket: 'src-bucket', key: 'a b/ü' });
    expect(parseCopySource('src-bucket/k?versionId=null')).toEqual({ bucket: 'src-bucket', key: 'k' });
    expect(() => parseCopySource('just-a-bucket')).toThrow(S3Error);
    expect(() => parseCopySource('b/k?versionId=3')).toThrow(S3Error);
  });
});

describe('xml', () => {
  it('escapes any text so that the AWS SDK parser reads it back exactly', () => {
    fc.assert(
      fc.property(
        fc
          .string({ unit: 'binary', minLength: 1 })
          // The SDK's parser empties whitespace-only text that contains a line break, whatever the escaping.
          .filter((text) => text.isWellFormed() && !(text.trim() === '' && /[\n\r]/.test(text))),
        (text) => {
          const parsed = parseXML(renderXml('Result', { Key: text })) as { Result: { Key: string } };
          expect(parsed.Result.Key).toBe(text);
        },
      ),
    );
  });

  it('escapes the XML specials and control characters', () => {
    expect(escapeXmlText('a&b<c>"\'\r\n\u0001')).toBe('a&amp;b&lt;c&gt;&quot;&apos;&#xD;&#xA;&#x1;');
  });

  it('parses bodies strictly: wrong root, DOCTYPE, entities and non-UTF-8 are MalformedXML', () => {
    const malformed = expect.objectContaining({ code: 'MalformedXML' });
    expect(() => parseXmlBody(Buffer.from('<A><B>x</B></A>'), 'C')).toThrow(malformed);
    expect(() => parseXmlBody(Buffer.from('<!DOCTYPE A [<!ENTITY e "x">]><A>&e;</A>'), 'A')).toThrow(malformed);
    expect(() => parseXmlBody(Buffer.from([0x3c, 0x41, 0x3e, 0xff, 0x3c, 0x2f, 0x41, 0x3e]), 'A')).toThrow(malformed);
    expect(() => parseXmlBody(Buffer.from(''), 'A')).toThrow(malformed);
    expect(parseXmlBody(Buffer.from('<?xml version="1.0"?><A xmlns="ns"><B> spaced &amp; kept </B></A>'), 'A')).toEqual({ B: ' spaced & kept ' });
  });
});
