import { describe, expect, it } from 'vitest';
import { S3Error } from '../errors.js';
import {
  canonicalizedAmzHeaders,
  canonicalizedResources,
  canonicalSubresources,
  parseSigV2Authorization,
  signV2,
  sigV2StringToSign,
  stringToSignBytes,
} from './sigv2.js';

/**
 * The worked examples of AWS's "Signing and authenticating REST requests" (Signature Version 2): each request's
 * parts, canonicalised here, must give the signature AWS published for it with AWS's example secret.
 */
const exampleSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const noAmzHeaders = new Map<string, readonly string[]>();

describe('SigV2 string to sign (AWS worked examples)', () => {
  const examples: readonly {
    name: string;
    method: string;
    rawPath: string;
    rawQuery?: string;
    bucket?: string;
    date: string;
    contentType?: string;
    contentMd5?: string;
    amzHeaders?: ReadonlyMap<string, readonly string[]>;
    signature: string;
  }[] = [
    { name: 'object GET, virtual-hosted', method: 'GET', rawPath: '/photos/puppy.jpg', bucket: 'awsexamplebucket1', date: 'Tue, 27 Mar 2007 19:36:42 +0000', signature: 'qgk2+6Sv9/oM7G3qLEjTH1a1l1g=' },
    { name: 'object PUT with a Content-Type', method: 'PUT', rawPath: '/photos/puppy.jpg', bucket: 'awsexamplebucket1', date: 'Tue, 27 Mar 2007 21:15:45 +0000', contentType: 'image/jpeg', signature: 'iqRzw+ileNPu1fhspnRs8nOjjIA=' },
    { name: 'listing: no listing parameter is signed', method: 'GET', rawPath: '/', rawQuery: 'prefix=photos&max-keys=50&marker=puppy', bucket: 'awsexamplebucket1', date: 'Tue, 27 Mar 2007 19:42:41 +0000', signature: 'm0WP8eCtspQl5Ahe6L1SozdX9YA=' },
    { name: 'the acl sub-resource is signed', method: 'GET', rawPath: '/', rawQuery: 'acl', bucket: 'awsexamplebucket1', date: 'Tue, 27 Mar 2007 19:44:46 +0000', signature: '82ZHiFIjc+WbcwFKGUVEQspPn+0=' },
    {
      name: 'path-style DELETE dated by x-amz-date (its value on the Date line)',
      method: 'DELETE',
      rawPath: '/awsexamplebucket1/photos/puppy.jpg',
      date: 'Tue, 27 Mar 2007 21:20:26 +0000',
      signature: 'XbyTlbQdu9Xw5o8P4iMwPktxQd8=',
    },
    {
      name: 'upload with Content-MD5, repeated and mixed-case x-amz-meta headers, CNAME bucket',
      method: 'PUT',
      rawPath: '/db-backup.dat.gz',
      bucket: 'static.example.com',
      date: 'Tue, 27 Mar 2007 21:06:08 +0000',
      contentType: 'application/x-download',
      contentMd5: '4gJE4saaMU4BqNR0kLY+lw==',
      amzHeaders: new Map([
        ['x-amz-acl', ['public-read']],
        ['x-amz-meta-reviewedby', ['joe@example.com', ' jane@example.com']],
        ['x-amz-meta-filechecksum', ['0x02661779']],
        ['x-amz-meta-checksumalgorithm', ['crc32']],
      ]),
      signature: 'jtBQa0Aq+DkULFI8qrpwIjGEx0E=',
    },
    { name: 'query-string authentication: Expires on the Date line', method: 'GET', rawPath: '/johnsmith/photos/puppy.jpg', rawQuery: 'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=x', date: '1175139620', signature: 'NpgCjnDzrM+WFzoENXmpNDUsSn8=' },
  ];

  for (const example of examples) {
    it(example.name, () => {
      const resources = canonicalizedResources(example.rawPath, example.rawQuery ?? '', example.bucket);
      const stringToSign = sigV2StringToSign({
        method: example.method,
        contentMd5: example.contentMd5 ?? '',
        contentType: example.contentType ?? '',
        date: example.date,
        amzHeaders: example.amzHeaders ?? noAmzHeaders,
        resource: resources[0]!,
      });
      expect(signV2(exampleSecret, stringToSign)).toBe(example.signature);
    });
  }

  it('puts each x-amz-* header on a line of its own, sorted, before the resource', () => {
    const stringToSign = sigV2StringToSign({
      method: 'put',
      contentMd5: '',
      contentType: ' text/plain ',
      date: '',
      amzHeaders: new Map([
        ['x-amz-meta-b', ['2']],
        ['x-amz-date', ['Tue, 27 Mar 2007 21:20:26 +0000']],
        ['x-amz-meta-a', [' 1 ', '3']],
      ]),
      resource: '/bucket/key',
    });
    expect(stringToSign).toBe('PUT\n\ntext/plain\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\nx-amz-meta-a:1,3\nx-amz-meta-b:2\n/bucket/key');
  });

  it('CanonicalizedAmzHeaders ignores other headers', () => {
    expect(canonicalizedAmzHeaders(new Map([['content-type', ['x']], ['x-amz-acl', ['private']]]))).toBe('x-amz-acl:private\n');
  });
});

describe('SigV2 CanonicalizedResource', () => {
  it('keeps only sub-resources and response overrides, sorted, values decoded, valueless ones without "="', () => {
    expect(canonicalSubresources('uploadId=a%2Fb%20c&partNumber=2&prefix=p&list-type=2')).toBe('?partNumber=2&uploadId=a/b c');
    expect(canonicalSubresources('uploads')).toBe('?uploads');
    expect(canonicalSubresources('delete=')).toBe('?delete=');
    expect(canonicalSubresources('response-content-type=text%2Fplain&versionId=v1')).toBe('?response-content-type=text/plain&versionId=v1');
    expect(canonicalSubresources('encryption&x-id=GetObject&AWSAccessKeyId=A&Signature=s&Expires=1')).toBe('');
    expect(canonicalSubresources('')).toBe('');
  });

  it('signs the raw path; a bucket from the Host header goes in front', () => {
    expect(canonicalizedResources('/b/a%20b/c~d', '')).toEqual(['/b/a%20b/c~d']);
    expect(canonicalizedResources('/a%20b', 'tagging', 'b')).toEqual(['/b/a%20b?tagging']);
    expect(canonicalizedResources('/', '', 'b')).toEqual(['/b/']);
    expect(canonicalizedResources('/', '')).toEqual(['/']);
    expect(canonicalizedResources('', '')).toEqual(['/']);
  });

  it('accepts a path-style bucket signed as /bucket/ (botocore) or /bucket', () => {
    expect(canonicalizedResources('/bkt', 'encoding-type=url')).toEqual(['/bkt/', '/bkt']);
    expect(canonicalizedResources('/bkt', 'cors')).toEqual(['/bkt/?cors', '/bkt?cors']);
    expect(canonicalizedResources('/bkt/', '')).toEqual(['/bkt/']);
  });
});

describe('SigV2 Authorization header', () => {
  it('parses AWS id:signature', () => {
    expect(parseSigV2Authorization('AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=')).toEqual({
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      signature: 'frJIUN8DYpKDtOLCwo//yllqDzg=',
    });
  });

  it('refuses anything else with InvalidArgument', () => {
    for (const value of ['AWS ', 'AWS AKIA', 'AWS :sig', 'AWS AKIA:', 'AWS AKIA:a b', 'AWS4 AKIA:sig']) {
      let thrown: unknown;
      try {
        parseSigV2Authorization(value);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, value).toBeInstanceOf(S3Error);
      expect((thrown as S3Error).code).toBe('InvalidArgument');
    }
  });

  it('reports the string to sign as S3 does, byte by byte in hex', () => {
    expect(stringToSignBytes('GET\n/é')).toBe('47 45 54 0a 2f c3 a9');
  });
});
