/**
 * S3 request authentication: from the raw request to an identified caller and a verified, decoded body stream
 * (contract: types.ts).
 *
 * How a request authenticates is decided once, in authenticate.ts (mechanismOf): SigV4 in the Authorization header
 * or a presigned URL, and SigV2 (sigv2.ts) likewise when the mock runs with --allow-sigv2.
 *
 * For the router and controllers:
 * - `authenticate(req, ctx, { rawPath, rawQuery, host })` throws S3Error; call it before any bucket-scope or
 *   existence check. It checks token state (revoked/expired) but not scope or level: use authorize
 *   (authorization/authorize.ts) with `caller.presigned`.
 * - Nothing is read from the socket until `body.stream` (or `body.buffer`) is read, so a request refused after
 *   authentication leaves its body to Node, which discards it.
 * - A body that fails verification errors its stream and rejects `digests`; the rest of the upload is then drained.
 *   Answer such errors with `Connection: close`. Keep Node's `server.requestTimeout` so a client that promises
 *   more bytes than it sends and keeps the socket open cannot hold a request forever.
 * - `authenticatePostPolicy(req, ctx, bucket)` for browser POST uploads: `caller.presigned` is true (P11's level
 *   applies), `fields` have lower-cased names, `key` has `${filename}` substituted.
 */
export { authenticate, type AuthContext, type RequestTarget } from './authenticate.js';
export { authenticatePostPolicy, type PostPolicyUpload } from './post-policy.js';
export type { AuthenticatedRequest, BodyDigests, ChecksumAlgorithm, S3Caller, VerifiedBody } from './types.js';
