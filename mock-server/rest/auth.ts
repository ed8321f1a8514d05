import type { Request, RequestHandler } from 'express';
import { tokenIsUsable } from '../authorization/authorize.js';
import type { MockContext, TokenRecord } from '../context.js';
import { secretsEqual } from '../tokens/credentials.js';
import { RestError, inactiveToken, invalidToken } from './errors.js';

/**
 * Who is calling: the management token (the portal user) or an API token. Both come as `Authorization: Bearer`.
 * Credentials are compared in constant time (the management token) or looked up by hash (API tokens), and the
 * token store is read on every call, so revocation and expiry apply to the very next request.
 */

export interface ManagementCredential {
  /** Whether `candidate` is the management token (constant time). */
  matches(candidate: string): boolean;
}

export function managementCredential(token: string): ManagementCredential {
  return { matches: (candidate) => secretsEqual(candidate, token) };
}

/** The Bearer token of a request, if it has one. */
export function bearerOf(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}

/** Locals the API-token middleware leaves for the route. */
export interface ApiTokenLocals {
  bearer: string;
  token: TokenRecord;
}

/**
 * The API token behind a Bearer token, if it is usable now. An unknown token is 401 `invalid_token`; a known one
 * that is revoked or expired is 403 `key_revoked` / `key_expired`, which IBEE's clients raise as an inactive key.
 */
export function authenticateApiToken(ctx: MockContext, management: ManagementCredential, bearer: string | undefined): TokenRecord {
  if (bearer === undefined) throw invalidToken('Missing Bearer token: send Authorization: Bearer <API token>.');
  const token = ctx.tokens.findByBearer(bearer);
  if (!token) {
    if (management.matches(bearer)) {
      throw invalidToken('The management token manages API tokens only; this route needs an API token.');
    }
    throw invalidToken('The Bearer token is not a known API token.');
  }
  const usable = tokenIsUsable(token, ctx.clock.nowMs());
  if (usable.allowed) return token;
  throw inactiveToken(usable.reason === 'revoked' ? 'revoked' : 'expired');
}

/** Routes for API tokens: a usable API token, else 401 or 403 as `authenticateApiToken` says. */
export function requireApiToken(ctx: MockContext, management: ManagementCredential): RequestHandler {
  return (req, res, next) => {
    const bearer = bearerOf(req);
    const token = authenticateApiToken(ctx, management, bearer);
    const locals: ApiTokenLocals = { bearer: bearer!, token };
    res.locals.apiToken = locals;
    next();
  };
}

/** Routes for the portal user: the management token; 401 without a valid token, 403 for an API token. */
export function requireManagement(ctx: MockContext, management: ManagementCredential): RequestHandler {
  return (req, _res, next) => {
    const bearer = bearerOf(req);
    if (bearer === undefined) throw invalidToken('Missing Bearer token: send Authorization: Bearer <management token>.');
    if (management.matches(bearer)) {
      next();
      return;
    }
    const token = ctx.tokens.findByBearer(bearer);
    if (token && tokenIsUsable(token, ctx.clock.nowMs()).allowed) {
      throw new RestError(403, 'forbidden', 'API tokens cannot manage tokens or the mock; use the management token.');
    }
    throw invalidToken('The Bearer token is not the management token.');
  };
}
