import { S3Error } from '../errors.js';

/**
 * A small streaming multipart/form-data parser (RFC 7578) for browser POST uploads: fed raw bytes in any pieces,
 * it reports each part's headers, its data (never buffered beyond a boundary's length) and its end. No installed
 * package fits: busboy is present only as an old transitive dependency of s3rver (a dev tool).
 */
export type FormEvent =
  | { readonly type: 'part'; readonly name: string; readonly filename: string | null; readonly contentType: string | null }
  | { readonly type: 'data'; readonly data: Buffer }
  | { readonly type: 'partEnd' };

const maxHeaderBytes = 16 * 1024;

/** The boundary of a `multipart/form-data; boundary=…` Content-Type, or undefined. */
export function formBoundary(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const [mediaType, ...params] = contentType.split(';');
  if (mediaType?.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let value = param.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (value.length >= 1 && value.length <= 70) return value;
  }
  return undefined;
}

function malformed(detail: string): S3Error {
  return new S3Error('MalformedPOSTRequest', `The body of your POST request is not well-formed multipart/form-data: ${detail}`);
}

/** Reads `name="…"` style parameters of a Content-Disposition value. */
function dispositionParam(value: string, param: string): string | null {
  const pattern = new RegExp(`(?:^|;)\\s*${param}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, 'i');
  const match = pattern.exec(value);
  if (!match) return null;
  if (match[1] !== undefined) return match[1].replace(/\\(.)/g, '$1');
  return (match[2] ?? '').trim();
}

type State = 'preamble' | 'headers' | 'body' | 'afterDelimiter' | 'end';

export class MultipartFormParser {
  private state: State = 'preamble';
  // The leading CRLF lets the first boundary match the same delimiter as all the others.
  private pending: Buffer = Buffer.from('\r\n');
  private readonly delimiter: Buffer;

  constructor(boundary: string) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  get finished(): boolean {
    return this.state === 'end';
  }

  write(raw: Buffer): FormEvent[] {
    const events: FormEvent[] = [];
    if (this.state === 'end') return events;
    this.pending = this.pending.length === 0 ? raw : Buffer.concat([this.pending, raw]);
    for (;;) {
      const progressed = this.step(events);
      if (!progressed) break;
    }
    return events;
  }

  end(): void {
    if (this.state !== 'end') throw new S3Error('IncompleteBody', 'The POST body ended before its closing boundary.');
  }

  /** Advances as far as the pending bytes allow; returns false when more input is needed. */
  private step(events: FormEvent[]): boolean {
    const buf = this.pending;
    switch (this.state) {
      case 'preamble': {
        const at = buf.indexOf(this.delimiter);
        if (at < 0) {
          // Keep only what could still be the start of the delimiter.
          this.pending = buf.subarray(Math.max(0, buf.length - this.delimiter.length + 1));
          return false;
        }
        this.pending = buf.subarray(at + this.delimiter.length);
        this.state = 'afterDelimiter';
        return true;
      }
      case 'afterDelimiter': {
        if (buf.length < 2) return false;
        const next = buf.toString('latin1', 0, 2);
        if (next === '--') {
          this.state = 'end';
          this.pending = Buffer.alloc(0);
          return false;
        }
        if (next !== '\r\n') throw malformed('a boundary must be followed by CRLF or "--".');
        this.pending = buf.subarray(2);
        this.state = 'headers';
        return true;
      }
      case 'headers': {
        const at = buf.indexOf('\r\n\r\n', 0, 'latin1');
        if (at < 0) {
          if (buf.length > maxHeaderBytes) throw malformed('part headers are too long.');
          return false;
        }
        events.push(this.parseHeaders(buf.toString('utf8', 0, at)));
        this.pending = buf.subarray(at + 4);
        this.state = 'body';
        return true;
      }
      case 'body': {
        const at = buf.indexOf(this.delimiter);
        if (at < 0) {
          const keep = Math.min(buf.length, this.delimiter.length - 1);
          if (buf.length > keep) events.push({ type: 'data', data: buf.subarray(0, buf.length - keep) });
          this.pending = buf.subarray(buf.length - keep);
          return false;
        }
        if (at > 0) events.push({ type: 'data', data: buf.subarray(0, at) });
        events.push({ type: 'partEnd' });
        this.pending = buf.subarray(at + this.delimiter.length);
        this.state = 'afterDelimiter';
        return true;
      }
      case 'end':
        return false;
    }
  }

  private parseHeaders(text: string): FormEvent {
    let name: string | null = null;
    let filename: string | null = null;
    let contentType: string | null = null;
    for (const line of text.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw malformed('a part header is not of the form name: value.');
      const header = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (header === 'content-disposition') {
        if (!/^form-data\s*(;|$)/i.test(value)) throw malformed('Content-Disposition must be form-data.');
        name = dispositionParam(value, 'name');
        filename = dispositionParam(value, 'filename');
      } else if (header === 'content-type') {
        contentType = value;
      }
    }
    if (name === null || name === '') throw malformed('every part needs Content-Disposition: form-data; name="…".');
    return { type: 'part', name, filename, contentType };
  }
}
