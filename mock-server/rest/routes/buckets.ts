import { bucketListLimit, defaultRetentionBounds, restBucketRegions } from '../../../spec/index.js';
import { bucketInScope } from '../../authorization/authorize.js';
import type { Request } from 'express';
import type { MockContext } from '../../context.js';
import type { BucketInfo, DefaultRetention } from '../../store/types.js';
import { RestError, unprocessable } from '../errors.js';
import { queryValues } from '../http.js';
import { invalidQuery, type PublicHandlers } from '../public-api.js';
import { validateBody } from '../schemas.js';

/**
 * Buckets over IBEE's public API. One bucket, two views: a bucket made here is an S3 bucket and the other way
 * round; its region is what S3's GetBucketLocation answers, `is_public` opens anonymous S3 reads, and Object Lock
 * is what S3's GetObjectLockConfiguration reports.
 */

interface CreateBucketRequest {
  readonly name: string;
  readonly region: string;
  readonly is_public?: boolean;
  readonly object_lock_enabled?: boolean;
  readonly default_retention?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly days?: number; readonly years?: number } | null;
  readonly tags?: readonly string[];
}

function bucketJson(bucket: BucketInfo, stats?: { readonly objectCount: number; readonly totalSize: number }) {
  return {
    name: bucket.name,
    region: bucket.region,
    is_public: bucket.isPublic,
    bucket_lock_enabled: bucket.objectLock !== null,
    default_retention: bucket.objectLock?.defaultRetention ?? null,
    status: 'active',
    ...(stats ? { object_count: stats.objectCount, total_size: stats.totalSize } : {}),
    created_at: bucket.createdAt.toISOString(),
    updated_at: bucket.updatedAt.toISOString(),
  };
}

function withStats(ctx: MockContext, bucket: BucketInfo) {
  return bucketJson(bucket, ctx.storage.bucketStats(bucket.projectId, bucket.name));
}

/** One query parameter, given at most once. */
function queryValue(req: Request, name: string): string | undefined {
  const values = queryValues(req, name);
  if (values.length > 1) throw invalidQuery(`Send ${name} at most once.`);
  return values[0];
}

function pageLimit(req: Request): number {
  const { min, max, default: fallback } = bucketListLimit.value;
  const raw = queryValue(req, 'limit');
  if (raw === undefined) return fallback;
  const limit = /^[0-9]{1,7}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= min && limit <= max)) throw invalidQuery(`limit must be a whole number from ${min} to ${max}.`);
  return limit;
}

/** Continuation tokens are opaque to clients: the last name of the page before, base64url-encoded. */
const continuationToken = {
  encode: (lastName: string): string => Buffer.from(`after:${lastName}`, 'utf8').toString('base64url'),
  decode(token: string): string {
    const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
    if (!text.startsWith('after:') || text.length === 'after:'.length) {
      throw new RestError(400, 'invalid_continuation_token', 'continuation_token is not one this API handed out.');
    }
    return text.slice('after:'.length);
  },
};

function checkRetention(request: CreateBucketRequest): DefaultRetention | null {
  const retention = request.default_retention ?? null;
  if (retention === null) return null;
  if (request.object_lock_enabled === false) {
    throw unprocessable('invalid_default_retention', 'default_retention needs object_lock_enabled.');
  }
  const { days, years } = defaultRetentionBounds.value;
  const hasDays = retention.days !== undefined;
  if (hasDays === (retention.years !== undefined)) {
    throw unprocessable('invalid_default_retention', 'default_retention takes exactly one of days and years.');
  }
  const [value, bounds, unit] = hasDays ? [retention.days!, days, 'days'] : [retention.years!, years, 'years'];
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw unprocessable('invalid_default_retention', `default_retention.${unit} must be a whole number from ${bounds.min} to ${bounds.max}.`);
  }
  return hasDays ? { mode: retention.mode, days: value } : { mode: retention.mode, years: value };
}

export const bucketRoutes: PublicHandlers = {
  'GET /v1/object-storage/buckets': ({ ctx, req, res, admit }) => {
    const limit = pageLimit(req);
    const raw = queryValue(req, 'continuation_token');
    if (raw !== undefined && raw.trim() === '') throw new RestError(400, 'invalid_continuation_token', 'continuation_token must not be blank.');
    const after = raw === undefined ? null : continuationToken.decode(raw);
    const token = admit();
    const visible = ctx.storage.listBuckets(token.projectId).filter((b) => bucketInScope(token, b.name) && (after === null || b.name > after));
    const page = visible.slice(0, limit);
    const truncated = visible.length > limit;
    // The token only on a truncated page: absent, not null, on the last one (the TypeScript SDK types it string).
    res.json({
      buckets: page.map((bucket) => withStats(ctx, bucket)),
      is_truncated: truncated,
      ...(truncated ? { next_continuation_token: continuationToken.encode(page.at(-1)!.name) } : {}),
    });
  },

  'POST /v1/object-storage/buckets': ({ ctx, req, res, admit }) => {
    if (req.body === undefined) throw new RestError(422, 'validation_error', 'A JSON body is required.');
    const request = validateBody<CreateBucketRequest>('CreateBucketRequest', req.body, {
      '/name': 'invalid_bucket_name',
      '/region': 'invalid_region',
      '/default_retention': 'invalid_default_retention',
      '/default_retention/mode': 'invalid_default_retention',
      '/default_retention/days': 'invalid_default_retention',
      '/default_retention/years': 'invalid_default_retention',
    });
    if (!restBucketRegions.value.regions.includes(request.region)) {
      throw unprocessable('invalid_region', `region must be one of: ${restBucketRegions.value.regions.join(', ')}.`);
    }
    const defaultRetention = checkRetention(request);
    const token = admit([request.name]);
    const bucket = ctx.storage.createBucket(token.projectId, request.name, request.region, {
      isPublic: request.is_public ?? false,
      objectLock: request.object_lock_enabled || defaultRetention ? { defaultRetention } : null,
      tags: [...new Set(request.tags ?? [])],
    });
    res.status(201).json(withStats(ctx, bucket));
  },

  'GET /v1/object-storage/buckets/{bucket_name}': ({ ctx, res, admit, param }) => {
    const token = admit();
    // Another workspace's bucket is, to this token, not there: the store says NoSuchBucket or another project's.
    res.json(withStats(ctx, ctx.storage.requireBucket(token.projectId, param('bucket_name'))));
  },

  'PATCH /v1/object-storage/buckets/{bucket_name}': ({ ctx, req, res, admit, param }) => {
    if (req.body === undefined) throw new RestError(422, 'validation_error', 'A JSON body is required.');
    const { is_public } = validateBody<{ is_public: boolean }>('UpdateBucketRequest', req.body);
    const token = admit();
    const bucket = ctx.storage.requireBucket(token.projectId, param('bucket_name'));
    res.json(withStats(ctx, ctx.storage.updateBucket(bucket, { isPublic: is_public })));
  },

  'DELETE /v1/object-storage/buckets/{bucket_name}': async ({ ctx, res, admit, param }) => {
    const token = admit();
    const name = param('bucket_name');
    await ctx.storage.deleteBucket(token.projectId, name);
    res.json({ detail: 'Bucket deleted', deleted: true, id: name });
  },
};
