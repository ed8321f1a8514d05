/**
 * Requests that get no response: why, in a few words a reader can act on (`ECONNREFUSED 127.0.0.1:1`,
 * `ENOTFOUND api.example.test`, `timed out after 10 s`), and the probe the CLI runs before any check so that an
 * endpoint that cannot be reached stops the run instead of showing up as conformance failures.
 */

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly hostname?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
}

/** The error and what it wraps: `cause` chains (fetch's "fetch failed") and AggregateError's first error (happy eyeballs). */
function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && out.length < 8 && !out.includes(current as ErrorLike)) {
    const e = current as ErrorLike;
    out.push(e);
    current = e.cause ?? (Array.isArray(e.errors) ? (e.errors as unknown[])[0] : undefined);
  }
  return out;
}

/** Why a request got no response: the system or TLS error code and the address it was for, or what happened instead. */
export function describeNetworkError(error: unknown): string {
  const errors = chain(error);
  const coded = errors.find((e) => typeof e.code === 'string' && e.code !== '');
  if (coded) {
    const code = coded.code as string;
    const address = typeof coded.address === 'string' ? `${coded.address}${typeof coded.port === 'number' ? `:${coded.port}` : ''}` : null;
    const where = address ?? (typeof coded.hostname === 'string' ? coded.hostname : null);
    if (where) return `${code} ${where}`;
    const message = typeof coded.message === 'string' ? coded.message : '';
    return message === '' || message === code ? code : message.includes(code) ? message : `${code}: ${message}`;
  }
  if (errors.some((e) => e.name === 'TimeoutError')) return 'timed out';
  const deepest = [...errors].reverse().find((e) => typeof e.message === 'string' && e.message !== '');
  return deepest ? String(deepest.message) : String(error);
}

export interface Unreachable {
  /** Which setting the endpoint came from, e.g. "API URL" or "S3 endpoint". */
  readonly label: string;
  readonly url: string;
  readonly cause: string;
}

/** One request to `url`; any HTTP answer (4xx and 5xx included) means it is reachable. Null when it is. */
export async function probeEndpoint(label: string, url: string, timeoutMs = 10_000): Promise<Unreachable | null> {
  try {
    const response = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return null;
  } catch (error) {
    const cause = describeNetworkError(error);
    return { label, url, cause: cause === 'timed out' ? `no answer within ${timeoutMs / 1000} s` : cause };
  }
}

/** Probes every endpoint at once; the unreachable ones, in the order given. */
export async function probeEndpoints(endpoints: readonly { label: string; url: string }[], timeoutMs?: number): Promise<Unreachable[]> {
  const outcomes = await Promise.all(endpoints.map((e) => probeEndpoint(e.label, e.url, timeoutMs)));
  return outcomes.filter((o): o is Unreachable => o !== null);
}

export function describeUnreachable(unreachable: Unreachable): string {
  return `cannot reach the ${unreachable.label} ${unreachable.url}: ${unreachable.cause}`;
}
