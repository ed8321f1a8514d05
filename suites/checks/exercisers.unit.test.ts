import { describe, expect, it } from 'vitest';
import { s3Operations } from '../../spec/index.js';
import { classify, exercisers } from './exercisers.js';

describe('exercisers', () => {
  it('cover every S3 operation of the permission matrix', () => {
    const missing = s3Operations.map((rule) => rule.operation).filter((operation) => !(operation in exercisers));
    expect(missing).toEqual([]);
  });

  it('classify success and post-authorization errors as allowed, 401/403 as denied, the rest as errors', () => {
    expect(classify({ status: 200, code: null, message: null })).toBe('allow');
    expect(classify({ status: 409, code: 'BucketNotEmpty', message: null })).toBe('allow');
    expect(classify({ status: 404, code: 'NoSuchUpload', message: null })).toBe('allow');
    expect(classify({ status: 403, code: 'AccessDenied', message: null })).toBe('deny');
    expect(classify({ status: 403, code: 'SignatureDoesNotMatch', message: null })).toBe('error');
    expect(classify({ status: 500, code: 'InternalError', message: null })).toBe('error');
    expect(classify({ status: 0, code: 'TypeError', message: null })).toBe('error');
  });
});
