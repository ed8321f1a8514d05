import type { ServerResponse as Response } from 'node:http';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from './errors.js';

/** S3's XML in one place: rendering results and errors, and parsing the (small) XML bodies clients send. */

export const s3Namespace = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** A tree of elements: strings are text, arrays repeat the element, null/undefined leave it out. */
export type XmlValue = string | number | boolean | null | undefined | XmlTree | readonly XmlValue[];
export interface XmlTree {
  readonly [element: string]: XmlValue;
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: false, suppressEmptyNode: false });

/**
 * Escapes text for an element. Besides the five XML specials, line breaks, tabs and other control characters become
 * character references so that they survive parsers that normalise whitespace (as the AWS SDKs' do), the same set
 * the SDKs themselves escape.
 */
export function escapeXmlText(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
  return text.replace(/[&<>"'\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()};`;
    }
  });
}

function escapeTree(value: XmlValue): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return escapeXmlText(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((item: XmlValue) => escapeTree(item));
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value as XmlTree)) {
    const escaped = escapeTree(child);
    if (escaped !== undefined) out[name] = escaped;
  }
  return out;
}

/** A complete document: declaration, then `root` in the S3 namespace. */
export function renderXml(root: string, body: XmlTree | string, namespace: string | null = s3Namespace): string {
  const content = typeof body === 'string' ? { '#text': escapeXmlText(body) } : (escapeTree(body) as Record<string, unknown>);
  const element = namespace ? { '@_xmlns': namespace, ...content } : content;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: element }) as string}`;
}

export function sendXml(res: Response, status: number, root: string, body: XmlTree | string): void {
  const text = renderXml(root, body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/**
 * Renders an S3Error: `<Error><Code/><Message/>…<Resource/><RequestId/></Error>` (no namespace, as AWS sends it).
 * HEAD responses and 304 carry no body, only the status and headers.
 */
export function sendError(res: Response, error: S3Error, options: { method: string; resource: string; requestId: string }): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  // Headers a controller set before failing (Content-Length of an object, say) must not describe the error.
  for (const name of res.getHeaderNames()) {
    const keep = /^(x-amz-request-id|x-amz-id-2|date|server|vary|access-control-.*)$/.test(name) || (error.status === 304 && /^(etag|last-modified)$/.test(name));
    if (!keep) res.removeHeader(name);
  }
  res.statusCode = error.status;
  if (options.method === 'HEAD' || error.status === 304) {
    res.end();
    return;
  }
  const text = renderXml(
    'Error',
    { Code: error.code, Message: error.message, ...error.extra, Resource: options.resource, RequestId: options.requestId },
    null,
  );
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

export function malformedXml(): S3Error {
  return new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
}

/** A parsed element: text, or named children (a repeated child is an array only if listed in `repeated`). */
export type ParsedXml = string | { readonly [name: string]: ParsedXml | readonly ParsedXml[] };

/**
 * Parses a request body into the children of its root element, which must be `root`. Anything that is not
 * well-formed, declares a DOCTYPE or entities (no entity expansion, ever), or has another root is MalformedXML.
 * `repeated` names elements that are always returned as arrays.
 */
export function parseXmlBody(body: Buffer, root: string, repeated: readonly string[] = []): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw malformedXml();
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw malformedXml();
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw malformedXml();
  const repeatedSet = new Set(repeated);
  const parser = new XMLParser({
    ignoreAttributes: true,
    removeNSPrefix: true,
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    htmlEntities: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    isArray: (name) => repeatedSet.has(name),
  });
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(text) as Record<string, unknown>;
  } catch {
    throw malformedXml();
  }
  const roots = Object.keys(parsed).filter((name) => name !== '#text');
  if (roots.length !== 1 || roots[0] !== root) throw malformedXml();
  const content = parsed[root];
  if (content === '' || content === undefined) return {};
  if (typeof content !== 'object' || content === null || Array.isArray(content)) throw malformedXml();
  return content as Record<string, unknown>;
}

/** Helpers for reading parsed XML: each throws MalformedXML when the shape is wrong. */
export const xmlRead = {
  text(node: Record<string, unknown>, name: string): string | undefined {
    const value = node[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw malformedXml();
    return value;
  },
  trimmed(node: Record<string, unknown>, name: string): string | undefined {
    return xmlRead.text(node, name)?.trim();
  },
  element(node: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
    const value = node[name];
    if (value === undefined) return undefined;
    if (value === '') return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformedXml();
    return value as Record<string, unknown>;
  },
  elements(node: Record<string, unknown>, name: string): Record<string, unknown>[] {
    const value = node[name];
    if (value === undefined) return [];
    const list = Array.isArray(value) ? value : [value];
    return list.map((item: unknown) => {
      if (item === '') return {};
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw malformedXml();
      return item as Record<string, unknown>;
    });
  },
  texts(node: Record<string, unknown>, name: string): string[] {
    const value = node[name];
    if (value === undefined) return [];
    const list = Array.isArray(value) ? value : [value];
    return list.map((item: unknown) => {
      if (typeof item !== 'string') throw malformedXml();
      return item.trim();
    });
  },
};
