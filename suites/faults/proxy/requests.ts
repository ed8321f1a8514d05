import type { IncomingHttpHeaders } from 'node:http';

/** What several faults read from a request: who sent it, which bucket it is on, its JSON body. */

/** Who is asking: the access key of a header signature, or the Bearer token (presigned URLs carry theirs in the URL). */
export function identity(headers: IncomingHttpHeaders): string {
  const authorization = headers['authorization'] ?? '';
  return /Credential=([^/]+)\//.exec(authorization)?.[1] ?? authorization;
}

/** The bucket of an S3 request on a bucket itself (`/name`, no key, no sub-resource), or null. */
export function bucketOnlyPath(url: string): string | null {
  const [path = '', query] = url.split(/\?(.*)/s);
  if (query) return null;
  const name = /^\/([^/]+)\/?$/.exec(path)?.[1];
  if (name === undefined) return null;
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** A JSON object body, or null for anything else. */
export function parseJson(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The path of a request URL, without its query. */
export function pathOf(url: string): string {
  return url.split('?')[0] ?? url;
}
