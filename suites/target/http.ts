import { findSecrets, redactRecorded } from '../../reports/redact.js';
import type { Evidence } from '../../reports/results-format.js';
import type { RestApi } from './config.js';
import { describeNetworkError } from './reachability.js';

/**
 * REST calls go through here: plain fetch, every exchange kept for evidence, and every response scanned for the
 * secrets the run has issued (SECRET-ONCE: no response after creation may carry one).
 */

/**
 * The URL of a route of IBEE's public API (`/v1/object-storage/…`, `/v1/billing/…`) for the target's workspace:
 * every such call names it in `workspace_id`.
 */
export function publicApiUrl(target: RestApi, path: string): string {
  return `${target.apiUrl}${path}${path.includes('?') ? '&' : '?'}workspace_id=${encodeURIComponent(target.projectId)}`;
}

export interface HttpExchange {
  readonly request: { readonly method: string; readonly url: string; readonly headers: Record<string, string>; readonly body?: string };
  readonly response: { readonly status: number; readonly headers: Record<string, string>; readonly body: string };
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface SecretLeak {
  /** Labels of the leaked secrets (never the values). */
  readonly secrets: readonly string[];
  readonly where: string;
  readonly exchange: HttpExchange;
}

const leaks: SecretLeak[] = [];

/** Every leak seen by any request of this conformance file so far (this process, since forgetObservedLeaks). */
export function observedLeaks(): readonly SecretLeak[] {
  return leaks;
}

/** Forgets the leaks seen so far: a conformance file starts from none. */
export function forgetObservedLeaks(): void {
  leaks.length = 0;
}

export function scanForLeaks(exchange: HttpExchange, where: string): SecretLeak | null {
  const text = `${JSON.stringify(exchange.response.headers)}\n${exchange.response.body}`;
  const found = findSecrets(text);
  if (found.length === 0) return null;
  const leak = { secrets: found, where, exchange };
  leaks.push(leak);
  return leak;
}

export interface HttpOptions {
  readonly headers?: Record<string, string>;
  /** Serialized as JSON with a JSON content type. */
  readonly json?: unknown;
  /** Sent as is. */
  readonly body?: string;
  readonly signal?: AbortSignal;
}

export async function httpRequest(method: string, url: string, options: HttpOptions = {}): Promise<HttpExchange> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body, signal: options.signal ?? AbortSignal.timeout(30_000) });
  } catch (error) {
    // fetch says only "fetch failed"; the cause (ECONNREFUSED host:port, a TLS error, a timeout) is what helps.
    throw new Error(`${method} ${url}: no response (${describeNetworkError(error)})`, { cause: error });
  }
  const text = await response.text();
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    responseHeaders[name] = value;
  });
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const exchange: HttpExchange = {
    request: { method, url, headers, ...(body === undefined ? {} : { body }) },
    response: { status: response.status, headers: responseHeaders, body: text },
    json,
  };
  scanForLeaks(exchange, `${method} ${new URL(url).pathname}`);
  return exchange;
}

const maxEvidenceBody = 2000;

function clip(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.length > maxEvidenceBody ? `${text.slice(0, maxEvidenceBody)}… (${text.length} chars)` : text;
}

/** An exchange as report evidence: redacted, bodies clipped. */
export function toEvidence(exchange: HttpExchange, note?: string): Evidence {
  const body = clip(exchange.request.body);
  const responseBody = clip(exchange.response.body);
  return redactRecorded({
    request: { method: exchange.request.method, url: exchange.request.url, headers: exchange.request.headers, ...(body === undefined ? {} : { body }) },
    response: { status: exchange.response.status, headers: exchange.response.headers, ...(responseBody === undefined ? {} : { body: responseBody }) },
    ...(note === undefined ? {} : { note }),
  });
}

/** The `error` code of a REST JSON error body, if any. */
export function restErrorCode(exchange: HttpExchange): string | undefined {
  const json = exchange.json;
  if (json !== null && typeof json === 'object' && 'error' in json && typeof json.error === 'string') return json.error;
  return undefined;
}
