import { describe, expect, it } from 'vitest';
import { s3Operations } from '../../spec/index.js';
import { exercisers } from './exercisers.js';

describe('exercisers', () => {
  it('cover every S3 operation of the permission matrix', () => {
    const missing = s3Operations.map((rule) => rule.operation).filter((operation) => !(operation in exercisers));
    expect(missing).toEqual([]);
  });
});
