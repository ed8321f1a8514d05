import { describe, expect, it } from 'vitest';
import { s3OperationNames, type S3OperationName } from '../../spec/index.js';
import { s3OperationTable, type OperationRow } from './operations.js';

describe('the operation table', () => {
  it('has one row for every operation spec names, and nothing else', () => {
    expect(Object.keys(s3OperationTable).sort()).toEqual([...s3OperationNames].sort());
  });

  it('does not compile when an operation is missing (a type test)', () => {
    const { ListBuckets } = s3OperationTable;
    // @ts-expect-error every S3OperationName needs its row: a table of one row is not a table of all.
    const incomplete: Record<S3OperationName, OperationRow> = { ListBuckets };
    // @ts-expect-error a name that is not an operation is not one.
    const unknown: S3OperationName = 'GetObjectTorrent';
    expect(Object.keys(incomplete)).toEqual(['ListBuckets']);
    expect(unknown).toBe('GetObjectTorrent');
  });
});
