import fc from 'fast-check';

/** fast-check arbitraries shared by the hostile-input tests: the raw material of HTTP requests. */

/**
 * Methods Node's HTTP parser accepts. Requests the parser refuses (unknown methods, raw non-ASCII in the target,
 * control characters, conflicting framing) never reach an app; they are the malformed-HTTP examples' business.
 */
export const httpMethod = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'COPY', 'LOCK', 'PURGE', 'SEARCH');

/** Path segments that poke at decoding and traversal: `..`, NUL, overlong UTF-8, lone surrogates, bad escapes. */
export const nastySegment = fc.constantFrom(
  '..',
  '.',
  '%2e%2e',
  '%2E%2E%2F',
  '%00',
  'a%00b',
  '%C0%AE%C0%AE',
  '%C0%AF',
  '%E0%80%AF',
  '%ED%A0%80',
  '%F4%90%80%80',
  '%FF',
  '%',
  '%z',
  '%zz',
  '%%',
  '%25',
  '~',
  '%7e',
  "!$&'()*+,;=:@",
  '%20',
  '+',
  '%2F',
  encodeURIComponent('\u00e9'.normalize('NFD')),
  '%E2%80%AE%E2%80%8B',
  'x'.repeat(2000),
);

const rawSafeChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()*+,;=:@%'.split(''));

/** One path segment: printable ASCII as is, arbitrary Unicode percent-encoded, or a nasty one. */
export const pathSegment = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: rawSafeChar, maxLength: 20 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => encodeURIComponent(s)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }).map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, 'x'))) },
  { weight: 2, arbitrary: nastySegment },
);

/** A raw query string: names and values of all kinds, repeated names, bare names, stray `=` and `&`. */
export const rawQuery = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(fc.oneof(pathSegment, fc.constantFrom('uploadId', 'partNumber', 'max-keys', 'prefix', 'delete', 'cors', 'x-id', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'limit', 'page')), fc.option(pathSegment)),
      { maxLength: 6 },
    )
    .map((pairs) => pairs.map(([name, value]) => (value === null ? name : `${name}=${value}`)).join('&')),
  fc.constantFrom('&&&', '=', '==&=', 'a=1&a=2&a=3', '%', 'x=%zz', 'max-keys=-1', 'max-keys=99999999999999999999', 'partNumber=0', 'partNumber=10001'),
);

/** Header names as HTTP tokens, including ones the servers read. */
export const headerName = fc.oneof(
  fc.constantFrom(
    'content-type',
    'content-encoding',
    'content-md5',
    'accept',
    'accept-encoding',
    'range',
    'if-match',
    'if-none-match',
    'if-modified-since',
    'origin',
    'x-amz-date',
    'x-amz-content-sha256',
    'x-amz-decoded-content-length',
    'x-amz-copy-source',
    'x-amz-copy-source-range',
    'x-amz-checksum-crc32',
    'x-amz-meta-a',
    'x-amz-trailer',
    'x-http-method-override',
    'x-forwarded-for',
  ),
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'.split('')), minLength: 1, maxLength: 20 }).map((s) => `x-${s}`),
);

/** Header values: printable latin1 (no CR, LF or NUL, which the parser refuses before any app sees them). */
export const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.constantFrom('', ' ', 'bytes=0-', 'bytes=-0', 'bytes=5-1', 'bytes=0-1,3-4', '*', '""', '100-continue', 'Thu, 01 Jan 1970 00:00:00 GMT', 'not a date', 'aws-chunked', 'gzip', 'br', '\u00ff\u00fe'),
);

export const headerList = fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 });

/** Bodies: nothing, JSON of any shape, broken JSON, binary, and the deeply nested. */
export const body = fc.oneof(
  { weight: 2, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 3, arbitrary: fc.json({ maxDepth: 4 }).map((text) => Buffer.from(text)) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }).chain((text) => fc.nat({ max: Math.max(0, text.length - 1) }).map((n) => Buffer.from(text.slice(0, n)))) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Buffer.from('['.repeat(20_000) + ']'.repeat(20_000)),
      Buffer.from(`{"name":${'['.repeat(5000)}${']'.repeat(5000)}}`),
      Buffer.from('{"name":"a","name":"b"}'),
      Buffer.from('{"__proto__":{"polluted":true},"name":"x"}'),
      Buffer.from('{"constructor":{"prototype":{"polluted":true}}}'),
      Buffer.from('\uFEFF{"name":"bom"}'),
      Buffer.from('null'),
      Buffer.from('1e999999'),
      Buffer.from('"\\ud800"'),
      Buffer.from([0xff, 0xfe, 0x7b, 0x00]),
    ),
  },
);
