import type { RestScope } from '../../spec/index.js';

/**
 * REST errors are values of one type, rendered as `{ error, message, required_scope? }` in one place (the error
 * handler in rest/http.ts). Codes are stable snake_case strings; spec/openapi.yaml lists them per route.
 */
export type RestErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'invalid_token'
  | 'forbidden'
  | 'insufficient_scope'
  | 'not_found'
  | 'project_not_found'
  | 'token_not_found'
  | 'bucket_not_found'
  | 'method_not_allowed'
  | 'bucket_already_exists'
  | 'bucket_already_owned_by_you'
  | 'bucket_not_empty'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'validation_error'
  | 'unknown_field'
  | 'scope_required'
  | 'invalid_bucket_scope'
  | 'invalid_bucket_name'
  | 'invalid_expiry'
  | 'invalid_name'
  | 'invalid_description'
  | 'internal_error';

export interface RestErrorBody {
  readonly error: RestErrorCode;
  readonly message: string;
  readonly required_scope?: RestScope;
}

export class RestError extends Error {
  readonly status: number;
  readonly code: RestErrorCode;
  readonly requiredScope: RestScope | undefined;
  /** Extra response headers (WWW-Authenticate, Allow). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: RestErrorCode, message: string, options: { requiredScope?: RestScope; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'RestError';
    this.status = status;
    this.code = code;
    this.requiredScope = options.requiredScope;
    this.headers = options.headers ?? {};
  }

  toBody(): RestErrorBody {
    return this.requiredScope === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, required_scope: this.requiredScope };
  }
}

export function invalidToken(message: string): RestError {
  return new RestError(401, 'invalid_token', message, {
    headers: { 'WWW-Authenticate': 'Bearer realm="ibee", error="invalid_token"' },
  });
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
