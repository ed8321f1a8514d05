import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import type { Storage } from '../store/types.js';
import { S3Error } from './errors.js';
import { sendable } from './header-values.js';
import type { Route } from './router.js';
import { corsRules, type CorsRule } from './models/bucket-config.js';
import { header, sendEmpty } from './controllers/common.js';

/**
 * CORS as S3 applies a bucket's configuration: preflight OPTIONS answered without authentication, and the
 * Access-Control-* headers added to actual requests from an allowed origin. Browsers need both for POST-policy
 * uploads and presigned URLs.
 */

function wildcardMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const [p, v] = caseInsensitive ? [pattern.toLowerCase(), value.toLowerCase()] : [pattern, value];
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

function matchingRule(rules: readonly CorsRule[], origin: string, method: string, requestHeaders: readonly string[]): CorsRule | undefined {
  return rules.find(
    (rule) =>
      rule.AllowedOrigin.some((allowed) => wildcardMatch(allowed, origin, false)) &&
      rule.AllowedMethod.includes(method) &&
      requestHeaders.every((name) => rule.AllowedHeader.some((allowed) => wildcardMatch(allowed, name, true))),
  );
}

function setAllowHeaders(res: Response, rule: CorsRule, origin: string): void {
  const anyOrigin = rule.AllowedOrigin.includes('*');
  res.setHeader('Access-Control-Allow-Origin', anyOrigin ? '*' : origin);
  if (!anyOrigin) res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Access-Control-Allow-Methods', rule.AllowedMethod.join(', '));
  if (rule.ExposeHeader.length > 0) res.setHeader('Access-Control-Expose-Headers', sendable(rule.ExposeHeader.join(', ')));
  if (rule.MaxAgeSeconds !== undefined) res.setHeader('Access-Control-Max-Age', String(rule.MaxAgeSeconds));
  res.setHeader('Vary', 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
}

function forbidden(): S3Error {
  return new S3Error(
    'AccessForbidden',
    'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.',
  );
}

export function answerPreflight(storage: Storage, route: Route, req: Request, res: Response): void {
  const origin = header(req, 'origin');
  const method = header(req, 'access-control-request-method');
  if (origin === undefined || method === undefined) {
    throw new S3Error('InvalidRequest', 'Insufficient information. Origin request header needed.');
  }
  const bucket = route.bucket === null ? undefined : storage.getBucket(route.bucket);
  if (!bucket?.cors) throw forbidden();
  const requested = (header(req, 'access-control-request-headers') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const rule = matchingRule(corsRules(bucket.cors), origin, method, requested);
  if (!rule) throw forbidden();
  setAllowHeaders(res, rule, origin);
  if (requested.length > 0) res.setHeader('Access-Control-Allow-Headers', requested.join(', '));
  sendEmpty(res, 200);
}

export function applyCorsHeaders(storage: Storage, bucketName: string, req: Request, res: Response): void {
  const origin = header(req, 'origin');
  if (origin === undefined) return;
  const cors = storage.getBucket(bucketName)?.cors;
  if (!cors) return;
  const rule = matchingRule(corsRules(cors), origin, (req.method ?? 'GET').toUpperCase(), []);
  if (rule) setAllowHeaders(res, rule, origin);
}
