import type { RestErrorCode, RestScope } from '../../spec/index.js';

export type { RestErrorCode };

/**
 * REST errors are values of one type, rendered as `{ error, message, required_scope? }` in one place (the error
 * handler in rest/http.ts). Codes are spec's `restErrors`, each with its status and when it is answered.
 */

export interface RestErrorBody {
  readonly error: RestErrorCode;
  readonly message: string;
  readonly required_scope?: RestScope;
  readonly [field: string]: string | undefined;
}

export class RestError extends Error {
  readonly status: number;
  readonly code: RestErrorCode;
  readonly requiredScope: RestScope | undefined;
  /** Extra response headers (WWW-Authenticate, Allow). */
  readonly headers: Readonly<Record<string, string>>;
  /** Extra body fields (a 402's billing decision). */
  readonly fields: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: RestErrorCode,
    message: string,
    options: { requiredScope?: RestScope; headers?: Record<string, string>; fields?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'RestError';
    this.status = status;
    this.code = code;
    this.requiredScope = options.requiredScope;
    this.headers = options.headers ?? {};
    this.fields = options.fields ?? {};
  }

  toBody(): RestErrorBody {
    return {
      ...this.fields,
      error: this.code,
      message: this.message,
      ...(this.requiredScope === undefined ? {} : { required_scope: this.requiredScope }),
    };
  }
}

export function invalidToken(message: string): RestError {
  return new RestError(401, 'invalid_token', message, {
    headers: { 'WWW-Authenticate': 'Bearer realm="ibee", error="invalid_token"' },
  });
}

/** A known API token that may no longer be used. */
export function inactiveToken(state: 'revoked' | 'expired'): RestError {
  return state === 'revoked'
    ? new RestError(403, 'key_revoked', 'The API token has been revoked.')
    : new RestError(403, 'key_expired', 'The API token has expired.');
}

export function insufficientScope(requiredScope: RestScope, message: string): RestError {
  return new RestError(403, 'insufficient_scope', message, {
    requiredScope,
    headers: { 'WWW-Authenticate': `Bearer realm="ibee", error="insufficient_scope", scope="${requiredScope}"` },
  });
}

export function unprocessable(code: RestErrorCode, message: string): RestError {
  return new RestError(422, code, message);
}
