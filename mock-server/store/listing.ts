import { toObject, toUpload, type ObjectRow, type UploadRow } from './schema.js';
import type { ListOptions, MultipartUpload, ObjectListing, StoredObject, UploadListing, UploadListOptions } from './types.js';

/*
 * Listings of a bucket's objects (ListObjects, ListObjectsV2) and of its multipart uploads: the prefix, the
 * delimiter's common prefixes, the markers to start after, and where a page ends.
 */

/**
 * Reads up to `limit` object rows of the bucket being listed, in key order and none before the listing's prefix:
 * from `cursor` on when `inclusive`, else strictly after it.
 */
export type ObjectPageReader = (cursor: string, inclusive: boolean, limit: number) => readonly ObjectRow[];

/** The first string, in UTF-8 byte order, greater than every string that starts with `prefix`; null if none is simple. */
function prefixSuccessor(prefix: string): string | null {
  const codePoints = [...prefix];
  const last = codePoints.pop();
  if (last === undefined) return null;
  let next = (last.codePointAt(0) ?? 0) + 1;
  if (next === 0xd800) next = 0xe000;
  if (next > 0x10ffff) return null;
  return codePoints.join('') + String.fromCodePoint(next);
}

/** One page of objects and common prefixes, reading rows through `readPage` a batch at a time. */
export function objectListing(readPage: ObjectPageReader, { prefix, delimiter, after, maxKeys }: ListOptions): ObjectListing {
  // max-keys=0 asks for nothing: not a truncated page (a paginator would have no token to continue from).
  if (maxKeys <= 0) return { objects: [], commonPrefixes: [], isTruncated: false, last: null };
  const objects: StoredObject[] = [];
  const commonPrefixes: string[] = [];
  let last: string | null = null;
  let lastCommonPrefix: string | null = after === '' ? null : after;
  let isTruncated = false;
  let cursor = after;
  let inclusive = false;
  const pageSize = Math.min(Math.max(maxKeys + 1, 16), 1000);
  scan: for (;;) {
    const rows = readPage(cursor, inclusive, pageSize);
    if (rows.length === 0) break;
    inclusive = false;
    for (const row of rows) {
      cursor = row.key;
      if (!row.key.startsWith(prefix)) break scan;
      const cut = delimiter === '' ? -1 : row.key.indexOf(delimiter, prefix.length);
      if (cut >= 0) {
        const commonPrefix = row.key.slice(0, cut + delimiter.length);
        if (commonPrefix !== lastCommonPrefix) {
          if (objects.length + commonPrefixes.length >= maxKeys) {
            isTruncated = true;
            break scan;
          }
          commonPrefixes.push(commonPrefix);
          lastCommonPrefix = commonPrefix;
          last = commonPrefix;
        }
        // Jump over the rest of this common prefix instead of reading every key under it.
        const successor = prefixSuccessor(commonPrefix);
        if (successor) {
          cursor = successor;
          inclusive = true;
          continue scan;
        }
        continue;
      }
      if (objects.length + commonPrefixes.length >= maxKeys) {
        isTruncated = true;
        break scan;
      }
      objects.push(toObject(row));
      last = row.key;
    }
    if (rows.length < pageSize) break;
  }
  return { objects, commonPrefixes, isTruncated, last };
}

/**
 * One page of uploads and common prefixes, from `rows`: the bucket's uploads whose key is not before `keyMarker`,
 * ordered by key, then initiation time, then upload id.
 */
export function uploadListing(rows: Iterable<UploadRow>, { prefix, delimiter, keyMarker, uploadIdMarker, maxUploads }: UploadListOptions): UploadListing {
  const uploads: MultipartUpload[] = [];
  const commonPrefixes: string[] = [];
  let isTruncated = false;
  let nextKeyMarker: string | null = null;
  let nextUploadIdMarker: string | null = null;
  let lastCommonPrefix: string | null = null;
  let passedMarker = uploadIdMarker === '';
  for (const row of rows) {
    if (!row.key.startsWith(prefix)) continue;
    if (row.key === keyMarker) {
      // With an upload-id marker, uploads of the marker key after that upload are listed; without, none.
      if (!passedMarker) {
        if (row.upload_id === uploadIdMarker) passedMarker = true;
        continue;
      }
      if (uploadIdMarker === '') continue;
    }
    const cut = delimiter === '' ? -1 : row.key.indexOf(delimiter, prefix.length);
    const commonPrefix = cut >= 0 ? row.key.slice(0, cut + delimiter.length) : null;
    if (commonPrefix !== null && (commonPrefix === lastCommonPrefix || commonPrefix === keyMarker)) continue;
    if (uploads.length + commonPrefixes.length >= maxUploads) {
      isTruncated = true;
      break;
    }
    if (commonPrefix !== null) {
      commonPrefixes.push(commonPrefix);
      lastCommonPrefix = commonPrefix;
      nextKeyMarker = commonPrefix;
      nextUploadIdMarker = null;
    } else {
      uploads.push(toUpload(row));
      nextKeyMarker = row.key;
      nextUploadIdMarker = row.upload_id;
    }
  }
  return { uploads, commonPrefixes, isTruncated, nextKeyMarker, nextUploadIdMarker };
}
