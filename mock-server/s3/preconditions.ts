import type { ByteRange } from '../store/blobs.js';
import type { StoredObject } from '../store/types.js';
import { S3Error } from './errors.js';

/** HTTP conditional requests and byte ranges, as S3 evaluates them (RFC 7232 precedence, one range only). */

export interface Preconditions {
  readonly ifMatch?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
  readonly ifUnmodifiedSince?: string | undefined;
}

export type ConditionOutcome = 'proceed' | 'not-modified' | 'failed';

function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((candidate) => {
    const trimmed = candidate.trim().replace(/^W\//, '');
    return trimmed === '*' || trimmed.replace(/^"|"$/g, '') === etag;
  });
}

function parseHttpDate(value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * If-Match wins over If-Unmodified-Since, and If-None-Match over If-Modified-Since, as in RFC 7232 and on S3.
 * Last-Modified has one-second resolution on the wire, so comparisons are made at whole seconds.
 */
export function evaluatePreconditions(object: StoredObject, conditions: Preconditions): ConditionOutcome {
  const lastModified = Math.floor(object.lastModified.getTime() / 1000) * 1000;
  if (conditions.ifMatch !== undefined) {
    if (!etagMatches(conditions.ifMatch, object.etag)) return 'failed';
  } else {
    const unmodifiedSince = parseHttpDate(conditions.ifUnmodifiedSince);
    if (unmodifiedSince !== null && lastModified > unmodifiedSince) return 'failed';
  }
  if (conditions.ifNoneMatch !== undefined) {
    if (etagMatches(conditions.ifNoneMatch, object.etag)) return 'not-modified';
  } else {
    const modifiedSince = parseHttpDate(conditions.ifModifiedSince);
    if (modifiedSince !== null && lastModified <= modifiedSince) return 'not-modified';
  }
  return 'proceed';
}

export function preconditionFailed(condition: string): S3Error {
  return new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: condition });
}

export function notModified(): S3Error {
  return new S3Error('NotModified', 'Not Modified');
}

/**
 * A single `bytes=` range against an object of `size` bytes: the range, null to serve the whole object (no header,
 * or one S3 ignores), or InvalidRange when it cannot be satisfied.
 */
export function parseRange(value: string | undefined, size: number): ByteRange | null {
  if (value === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match) return null;
  const [, first = '', last = ''] = match;
  const unsatisfiable = () =>
    new S3Error('InvalidRange', 'The requested range is not satisfiable', { RangeRequested: value, ActualObjectSize: String(size) });
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}
