import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { observedOf, refusesInactiveToken, restInactiveTokenCodes, s3AuthenticationCodes, verdictOf, verdictRules, type Answer, type Verdict } from './verdict.js';

const { anyRefusal, s3Grid, restGrid } = verdictRules;

function verdicts(answer: Answer): Record<keyof typeof verdictRules, Verdict> {
  return { anyRefusal: verdictOf(answer, anyRefusal), s3Grid: verdictOf(answer, s3Grid), restGrid: verdictOf(answer, restGrid) };
}

describe('verdictOf', () => {
  it('allows success and denies 401/403 under every rule; 5xx and no answer are errors', () => {
    for (const status of [200, 201, 204, 299]) expect(verdicts({ status })).toEqual({ anyRefusal: 'allow', s3Grid: 'allow', restGrid: 'allow' });
    for (const status of [401, 403]) expect(verdicts({ status, code: 'AccessDenied' })).toEqual({ anyRefusal: 'deny', s3Grid: 'deny', restGrid: 'deny' });
    for (const status of [0, 100, 500, 501, 503]) expect(verdicts({ status })).toEqual({ anyRefusal: 'error', s3Grid: 'error', restGrid: 'error' });
  });

  it('counts 3xx as success except on the REST grid', () => {
    for (const status of [301, 304, 399]) expect(verdicts({ status })).toEqual({ anyRefusal: 'allow', s3Grid: 'allow', restGrid: 'error' });
  });

  it('takes each rule’s statuses as past authorization', () => {
    const table: [number, Verdict, Verdict, Verdict][] = [
      // status, anyRefusal, s3Grid, restGrid
      [400, 'allow', 'allow', 'error'],
      [404, 'allow', 'allow', 'allow'],
      [405, 'allow', 'error', 'error'],
      [409, 'allow', 'allow', 'allow'],
      [411, 'allow', 'allow', 'error'],
      [412, 'allow', 'allow', 'error'],
      [416, 'allow', 'allow', 'error'],
      [422, 'allow', 'error', 'allow'],
      [429, 'allow', 'error', 'error'],
    ];
    for (const [status, any, s3, rest] of table) expect(verdicts({ status }), `status ${status}`).toEqual({ anyRefusal: any, s3Grid: s3, restGrid: rest });
  });

  it('makes an authentication failure an error on the S3 grid only', () => {
    for (const code of s3AuthenticationCodes) {
      expect(verdicts({ status: 403, code })).toEqual({ anyRefusal: 'deny', s3Grid: 'error', restGrid: 'deny' });
      expect(verdicts({ status: 400, code })).toEqual({ anyRefusal: 'allow', s3Grid: 'error', restGrid: 'error' });
    }
    // Success stays success whatever code comes with it.
    expect(verdictOf({ status: 200, code: 'InvalidAccessKeyId' }, s3Grid)).toBe('allow');
  });

  it('judges the S3 grid’s answers: success and post-authorization errors allowed, 401/403 denied, the rest errors', () => {
    expect(verdictOf({ status: 200, code: null }, s3Grid)).toBe('allow');
    expect(verdictOf({ status: 409, code: 'BucketNotEmpty' }, s3Grid)).toBe('allow');
    expect(verdictOf({ status: 404, code: 'NoSuchUpload' }, s3Grid)).toBe('allow');
    expect(verdictOf({ status: 403, code: 'AccessDenied' }, s3Grid)).toBe('deny');
    expect(verdictOf({ status: 403, code: 'SignatureDoesNotMatch' }, s3Grid)).toBe('error');
    expect(verdictOf({ status: 500, code: 'InternalError' }, s3Grid)).toBe('error');
    expect(verdictOf({ status: 0, code: 'TypeError' }, s3Grid)).toBe('error');
  });
});

describe('a server error or no answer is never a refusal', () => {
  const serverError = fc.oneof(fc.integer({ min: 500, max: 599 }), fc.constant(0));
  const anyCode = fc.option(fc.oneof(fc.constantFrom('AccessDenied', 'InternalError', 'ServiceUnavailable', ...s3AuthenticationCodes), fc.string()), { nil: null });

  it('every rule makes a 5xx or a missing answer an error, whatever code it carries (property)', () => {
    fc.assert(
      fc.property(serverError, anyCode, fc.constantFrom(...Object.values(verdictRules)), (status, code, rule) => {
        expect(verdictOf({ status, code }, rule)).toBe('error');
      }),
    );
  });

  it('observations record allowed (2xx), refused (4xx) or error: a 5xx or no answer is never a refusal', () => {
    expect(observedOf({ status: 200 })).toBe('allowed');
    for (const status of [400, 401, 403, 404]) expect(observedOf({ status, code: 'AccessDenied' }), `status ${status}`).toBe('refused');
    for (const status of [0, 500, 502, 503, 301]) expect(observedOf({ status }), `status ${status}`).toBe('error');
    fc.assert(fc.property(serverError, anyCode, (status, code) => observedOf({ status, code }) === 'error'));
    expect(refusesInactiveToken({ status: 500, code: 'key_revoked' })).toBe(false);
  });
});

describe('refusesInactiveToken', () => {
  it('takes 401 whatever its code, and 403 only with an inactive-key code', () => {
    expect(refusesInactiveToken({ status: 401, code: 'invalid_token' })).toBe(true);
    expect(refusesInactiveToken({ status: 401 })).toBe(true);
    for (const code of restInactiveTokenCodes) expect(refusesInactiveToken({ status: 403, code })).toBe(true);
    expect(refusesInactiveToken({ status: 403, code: 'insufficient_scope' })).toBe(false);
    expect(refusesInactiveToken({ status: 403 })).toBe(false);
  });

  it('never takes an answer other than 401 or 403 (property)', () => {
    const status = fc.integer({ min: 0, max: 599 }).filter((s) => s !== 401 && s !== 403);
    const code = fc.option(fc.oneof(fc.constantFrom(...restInactiveTokenCodes), fc.string()), { nil: null });
    fc.assert(fc.property(status, code, (s, c) => !refusesInactiveToken({ status: s, code: c })));
  });
});
