import { S3Error } from './errors.js';

/**
 * One rule for every value the mock stores to send back as an HTTP header later (object metadata from headers or
 * POST form fields, a bucket's region, CORS header lists) and for every value a request asks to be sent back
 * (`response-*` overrides):
 * - control characters (C0 but tab, DEL, C1) are refused when written, 400 InvalidArgument: no header can carry them;
 * - non-ASCII text is stored as text and sent RFC 2047-encoded (`=?UTF-8?B?…?=`), as S3 documents for metadata
 *   ("Working with object metadata": decoded per RFC 2047 before storing, encoded to be mail-safe when returned);
 * - values that are printable ASCII are sent exactly as stored.
 * So nothing is stored that cannot be served, and serving never fails on a value.
 */

// eslint-disable-next-line no-control-regex -- control characters are exactly what no header can carry
const controlCharacter = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

/** Whether `value` has a control character: C0 but tab, DEL, or C1. */
export function hasControlCharacter(value: string): boolean {
  return controlCharacter.test(value);
}
const printableAscii = /^[\t\u0020-\u007e]*$/;
/** An HTTP field name (RFC 9110 token). */
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isHeaderName(name: string): boolean {
  return token.test(name);
}

function invalidArgument(name: string, value: string, message: string): S3Error {
  // The value is echoed only as far as it is printable: it is what could not be taken.
  return new S3Error('InvalidArgument', message, { ArgumentName: name, ArgumentValue: sendable(value).slice(0, 256) });
}

/** Refuses a value no HTTP header can carry back. */
export function refuseControlCharacters(name: string, value: string): void {
  if (hasControlCharacter(value)) {
    throw invalidArgument(name, value, `The value of ${name} contains a control character, which no HTTP header can carry.`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A request header's value as text. Node hands header bytes over as Latin-1; S3 reads them as UTF-8, so bytes that
 * form valid UTF-8 are read as such, anything else stays as received.
 */
function headerText(value: string): string {
  if (printableAscii.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return value;
  }
}

const encodedWord = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
const decodableCharsets = new Map<string, BufferEncoding>([
  ['utf-8', 'utf8'],
  ['utf8', 'utf8'],
  ['us-ascii', 'latin1'],
  ['iso-8859-1', 'latin1'],
  ['latin1', 'latin1'],
]);

/** Decodes RFC 2047 encoded-words (UTF-8 and Latin-1, B and Q); whitespace between two encoded-words goes. */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(encodedWord, (word, charset: string, encoding: string, text: string) => {
    const nodeEncoding = decodableCharsets.get(charset.toLowerCase().split('*')[0] as string);
    if (nodeEncoding === undefined) return word;
    let bytes: Buffer;
    if (encoding.toUpperCase() === 'B') {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return word;
      bytes = Buffer.from(text, 'base64');
    } else {
      bytes = Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
    }
    if (nodeEncoding === 'utf8') {
      try {
        return utf8.decode(bytes);
      } catch {
        return word;
      }
    }
    return bytes.toString('latin1');
  });
}

/**
 * The text to store for a header-like value: from a request header (`header`, Latin-1 bytes read as UTF-8) or a
 * POST form field (`form`, already text); RFC 2047 encoded-words decoded; control characters refused.
 */
export function storedHeaderValue(name: string, value: string, origin: 'header' | 'form'): string {
  const text = decodeEncodedWords(origin === 'header' ? headerText(value) : value);
  refuseControlCharacters(name, text);
  return text;
}

/** A user metadata name (after `x-amz-meta-`) must itself be usable as a header name. */
export function checkMetadataName(name: string): void {
  if (!isHeaderName(`x-amz-meta-${name}`)) {
    throw invalidArgument(`x-amz-meta-${name}`, name, 'User-defined metadata names must be valid HTTP header names.');
  }
}

/** A value as it can go out in a header: printable ASCII as is, anything else RFC 2047-encoded (B, UTF-8). */
export function sendable(value: string): string {
  if (printableAscii.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}
