import type { IncomingHttpHeaders } from 'node:http';
import type { RestTarget } from '../../target/config.js';
import type { Forwarded } from './forwarding.js';
import type { IssuedCredentials } from './issued-credentials.js';

/**
 * What a fault is to the proxy: hooks that may change a request before it is forwarded (or answer it instead) and
 * the answer after. A hook that changes something has injected the fault once; one that returns null left the
 * exchange alone.
 */

/** A request on its way through the proxy. */
export interface ProxiedRequest {
  /** Which of the target's endpoints was called. */
  readonly kind: 'api' | 's3';
  readonly method: string;
  /** Path and query as the client sent them. */
  readonly url: string;
  /** Path and query forwarded upstream: `url` unless a fault rewrote it. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** A token creation (POST /v1/projects/{id}/api-tokens). */
  readonly isCreate: boolean;
}

/** A request hook's change: forward this request instead, or give this answer without forwarding. */
export type RequestChange = { readonly forward: ProxiedRequest } | { readonly answer: Forwarded };

type MaybeAsync<T> = T | Promise<T>;

export interface FaultHooks {
  readonly request?: (request: ProxiedRequest) => MaybeAsync<RequestChange | null>;
  /** Sees the request as forwarded and the answer upstream gave. */
  readonly response?: (request: ProxiedRequest, response: Forwarded) => MaybeAsync<Forwarded | null>;
}

/** What a fault may use of the proxy it runs in. */
export interface ProxyState {
  readonly upstream: RestTarget;
  readonly credentials: IssuedCredentials;
}

export interface FaultDefinition<Name extends string = string> {
  /** Says what the fault does; tests and the proxy select it by this name. */
  readonly name: Name;
  /** The requirement it breaks: the check of that requirement must fail under it. */
  readonly requirementId: string;
  /** The fault in one proxy: its hooks, with any state of its own. */
  readonly start: (proxy: ProxyState) => FaultHooks;
}

export function defineFault<Name extends string>(definition: FaultDefinition<Name>): FaultDefinition<Name> {
  return definition;
}
