import {
  credentialListLimit,
  credentialNameLength,
  isValidBucketName,
  levelIncludes,
  type BucketScope,
  type PermissionType,
} from '../../../spec/index.js';
import type { MockContext, ObjectStorageScope, TokenRecord } from '../../context.js';
import type { S3Credential } from '../../tokens/credential-store.js';
import type { ManagedTokenStore } from '../../tokens/token-store.js';
import { RestError, unprocessable } from '../errors.js';
import type { PublicHandlers } from '../public-api.js';
import { validateBody } from '../schemas.js';

/**
 * S3 credentials over IBEE's public API: key pairs bound to the workspace, at one of the four levels and a bucket
 * scope, never wider than the token that makes them. The secret is in the creation response only. Revoke keeps
 * the row (`revoked`); delete removes it.
 */

interface CreateCredentialRequest {
  readonly name?: string;
  readonly permission_type: PermissionType;
  readonly bucket_scope?: BucketScope;
  readonly allowed_buckets?: readonly string[];
}

const adminLevels: readonly PermissionType[] = ['admin_rw', 'admin_ro'];
const defaultName = 'Default Key';

function credentialJson(ctx: MockContext, credential: S3Credential) {
  return {
    access_key_id: credential.accessKeyId,
    name: credential.name,
    status: credential.revokedAt === null ? 'active' : 'revoked',
    created_at: credential.createdAt.toISOString(),
    last_used_at: credential.lastUsedAt?.toISOString() ?? null,
    revoked_at: credential.revokedAt?.toISOString() ?? null,
    organization_id: ctx.organizationId,
    workspace_id: credential.projectId,
    permission_type: credential.objectStorage.permissionType,
    bucket_scope: credential.objectStorage.bucketScope,
    allowed_buckets: [...credential.objectStorage.allowedBuckets],
  };
}

function parseName(name: string | undefined): string {
  const trimmed = (name ?? defaultName).trim();
  const { min, max } = credentialNameLength.value;
  const length = Array.from(trimmed).length;
  if (length < min || length > max) throw unprocessable('invalid_name', `name must be ${min} to ${max} characters long once trimmed.`);
  if (!trimmed.isWellFormed()) throw unprocessable('invalid_name', 'name must be well-formed Unicode (no lone surrogates).');
  return trimmed;
}

function parseScope(request: CreateCredentialRequest): ObjectStorageScope {
  const bucketScope = request.bucket_scope ?? 'all';
  const buckets = [...new Set((request.allowed_buckets ?? []).map((b) => b.trim()))];
  if (adminLevels.includes(request.permission_type) && bucketScope !== 'all') {
    throw unprocessable('invalid_bucket_scope', `${request.permission_type} credentials cover all buckets: bucket_scope must be "all".`);
  }
  if (bucketScope === 'specific' && buckets.length === 0) {
    throw unprocessable('invalid_allowed_buckets', 'bucket_scope "specific" needs at least one bucket in allowed_buckets.');
  }
  if (bucketScope === 'all' && buckets.length > 0) throw unprocessable('invalid_allowed_buckets', 'bucket_scope "all" takes no allowed_buckets.');
  buckets.forEach((bucket, index) => {
    if (!isValidBucketName(bucket)) throw unprocessable('invalid_allowed_buckets', `allowed_buckets[${index}] is not a valid bucket name.`);
  });
  return { permissionType: request.permission_type, bucketScope, allowedBuckets: buckets };
}

/** A credential never has more than the token that makes it: no higher level, no bucket outside its scope. */
function requireWithin(token: TokenRecord, scope: ObjectStorageScope): void {
  const own = token.objectStorage;
  if (!own) throw new RestError(403, 'credential_exceeds_token', 'This token has no Object Storage scope to hand on.');
  if (!levelIncludes(own.permissionType, scope.permissionType)) {
    throw new RestError(403, 'credential_exceeds_token', `A ${own.permissionType} token cannot make a ${scope.permissionType} credential.`);
  }
  if (own.bucketScope === 'specific' && (scope.bucketScope === 'all' || scope.allowedBuckets.some((b) => !own.allowedBuckets.includes(b)))) {
    throw new RestError(403, 'credential_exceeds_token', 'The credential would reach buckets outside this token\'s bucket scope.');
  }
}

function workspaceCredential(tokens: ManagedTokenStore, workspaceId: string, accessKeyId: string): S3Credential {
  const credential = tokens.credentials.get(workspaceId, accessKeyId);
  if (!credential) throw new RestError(404, 'credential_not_found', 'No such S3 credential in this workspace.');
  return credential;
}

export const credentialRoutes: PublicHandlers = {
  'GET /v1/object-storage/credentials': ({ ctx, tokens, res, admit, workspaceId }) => {
    admit();
    res.json({ credentials: tokens.credentials.list(workspaceId, credentialListLimit.value.max).map((c) => credentialJson(ctx, c)) });
  },

  'POST /v1/object-storage/credentials': ({ ctx, tokens, req, res, admit, workspaceId }) => {
    if (req.body === undefined) throw new RestError(422, 'validation_error', 'A JSON body is required.');
    const request = validateBody<CreateCredentialRequest>('CreateCredentialRequest', req.body, {
      '/name': 'invalid_name',
      '/bucket_scope': 'invalid_bucket_scope',
      '/allowed_buckets': 'invalid_allowed_buckets',
      '/allowed_buckets/*': 'invalid_allowed_buckets',
    });
    const name = parseName(request.name);
    const objectStorage = parseScope(request);
    const token = admit([], (current) => requireWithin(current, objectStorage));
    const { credential, secretAccessKey } = tokens.createCredential({ projectId: workspaceId, name, objectStorage, createdByTokenId: token.id });
    ctx.logger.info({ accessKeyId: credential.accessKeyId, workspaceId }, 's3 credential created');
    res.status(201).json({ ...credentialJson(ctx, credential), secret_access_key: secretAccessKey, s3_endpoint: ctx.s3EndpointFor(workspaceId) });
  },

  'GET /v1/object-storage/credentials/{access_key_id}': ({ ctx, tokens, res, admit, param, workspaceId }) => {
    admit();
    res.json(credentialJson(ctx, workspaceCredential(tokens, workspaceId, param('access_key_id'))));
  },

  'DELETE /v1/object-storage/credentials/{access_key_id}': ({ ctx, tokens, res, admit, param, workspaceId }) => {
    admit();
    const accessKeyId = param('access_key_id');
    workspaceCredential(tokens, workspaceId, accessKeyId);
    tokens.credentials.delete(workspaceId, accessKeyId);
    ctx.logger.info({ accessKeyId, workspaceId }, 's3 credential deleted');
    res.json({ success: true, message: 'deleted' });
  },

  'POST /v1/object-storage/credentials/{access_key_id}/revoke': ({ ctx, tokens, req, res, admit, param, workspaceId }) => {
    if (req.body !== undefined) validateBody('EmptyRequest', req.body);
    admit();
    const accessKeyId = param('access_key_id');
    workspaceCredential(tokens, workspaceId, accessKeyId);
    const revoked = tokens.credentials.revoke(workspaceId, accessKeyId)!;
    ctx.logger.info({ accessKeyId, workspaceId }, 's3 credential revoked');
    res.json({ success: true, message: 'revoked', credential: credentialJson(ctx, revoked) });
  },
};
