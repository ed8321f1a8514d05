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

/** Whether a request is on IBEE's public API (`/v1/object-storage/…`, `/v1/billing/…`), whose routes take workspace_id. */
export function isPublicApiUrl(url: string): boolean {
  return /^\/v1\/(?:object-storage|billing)(?:[/?]|$)/.test(url);
}

/** The `workspace_id` values of a request URL, in order. */
export function workspaceIdsOf(url: string): string[] {
  const query = url.split(/\?(.*)/s)[1];
  return query === undefined ? [] : new URLSearchParams(query).getAll('workspace_id');
}

/** The URL with `values` as its `workspace_id` parameters, every other parameter kept. */
export function withWorkspaceIds(url: string, values: readonly string[]): string {
  const [path = '', query = ''] = url.split(/\?(.*)/s);
  const params = new URLSearchParams(query);
  params.delete('workspace_id');
  for (const value of values) params.append('workspace_id', value);
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** The path of a request URL, without its query. */
export function pathOf(url: string): string {
  return url.split('?')[0] ?? url;
}
