/**
 * What an answer says about authorization: `allow` (the request got past it: success, or an error that only a
 * request past authorization can meet), `deny` (a 401/403 refusal) or `error` (neither: a server error, no answer,
 * or a status the rule does not expect). The checks judge this in three ways, which differ in the named points of
 * `VerdictRule`; each caller takes the rule that says what it judges.
 */

export type Verdict = 'allow' | 'deny' | 'error';

/** An answer as the checks hold it: S3 outcomes and raw responses carry an error code, REST exchanges give a status. */
export interface Answer {
  readonly status: number;
  readonly code?: string | null;
}

export interface VerdictRule {
  /** Statuses from 200 up to this one are success: 300 (2xx only) or 400 (2xx and 3xx). */
  readonly successBelow: 300 | 400;
  /** The statuses other than 401 and 403 that only a request past authorization meets: every 4xx, or these. */
  readonly pastAuthorization: 'every 4xx' | readonly number[];
  /**
   * What an S3 error code of `s3AuthenticationCodes` makes of any status it comes with: `deny` (it is no different
   * from its status) or `error` (the request never reached authorization, so it shows neither allow nor deny).
   */
  readonly authenticationFailure: 'deny' | 'error';
}

/** S3 codes that mean a request was not authenticated at all. */
export const s3AuthenticationCodes: ReadonlySet<string> = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
  'ExpiredToken',
]);

export const verdictRules = {
  /** Revocation and expiry: any refusal counts (a revoked key may well answer InvalidAccessKeyId); 5xx is an error. */
  anyRefusal: { successBelow: 400, pastAuthorization: 'every 4xx', authenticationFailure: 'deny' },
  /**
   * The S3 permission grid: success, or 404 NoSuch*, 409 conflicts and 400/411/412/416 about the request's content;
   * a request that failed authentication is an error, since it says nothing about the level.
   */
  s3Grid: { successBelow: 400, pastAuthorization: [400, 404, 409, 411, 412, 416], authenticationFailure: 'error' },
  /** The REST permission grid: 2xx, or 404/409/422 about the bucket itself. */
  restGrid: { successBelow: 300, pastAuthorization: [404, 409, 422], authenticationFailure: 'deny' },
} as const satisfies Record<string, VerdictRule>;

export function verdictOf(answer: Answer, rule: VerdictRule): Verdict {
  const { status, code } = answer;
  if (status >= 200 && status < rule.successBelow) return 'allow';
  if (rule.authenticationFailure === 'error' && code != null && s3AuthenticationCodes.has(code)) return 'error';
  if (status === 401 || status === 403) return 'deny';
  const past = rule.pastAuthorization === 'every 4xx' ? status >= 400 && status < 500 : rule.pastAuthorization.includes(status);
  return past ? 'allow' : 'error';
}

/**
 * What an observation of an ambiguous point (INFO) records of an answer: `allowed` (2xx), `refused` (4xx: the
 * endpoint turned the request down, for whatever reason) or `error` (a 5xx, no answer, anything else), which shows
 * neither: a server error is never an observation of refusal.
 */
export type Observed = 'allowed' | 'refused' | 'error';

export function observedOf(answer: Answer): Observed {
  if (answer.status >= 200 && answer.status < 300) return 'allowed';
  if (answer.status >= 400 && answer.status < 500) return 'refused';
  return 'error';
}

/**
 * The 403 codes IBEE's clients raise as an inactive key (`ApiKeyInactiveError`): with 401, the only answers that
 * tell a client its revoked or expired token is no longer usable (REST-BEARER-AUTH).
 */
export const restInactiveTokenCodes: ReadonlySet<string> = new Set(['key_revoked', 'key_expired', 'key_disabled', 'key_inactive']);

/** Whether a REST answer refuses a token as unknown or inactive: 401, or 403 with an inactive-key code. */
export function refusesInactiveToken(answer: Answer): boolean {
  return answer.status === 401 || (answer.status === 403 && answer.code != null && restInactiveTokenCodes.has(answer.code));
}
