import { Router, type Request } from 'express';
import type { MockContext } from '../../context.js';
import { requireManagement, type ManagementCredential } from '../auth.js';
import { RestError } from '../errors.js';
import { jsonBody, methodNotAllowed } from '../http.js';
import { validateBody } from '../schemas.js';
import { tokenJson } from '../../tokens/serialize.js';
import type { ManagedTokenStore } from '../../tokens/token-store.js';
import { parseCreateTokenRequest } from '../../tokens/validation.js';

/**
 * Token management, for the management token only: create, list, get, revoke. The creation response is the only
 * one that ever carries a token's credentials.
 */

function param(req: Request, name: string): string {
  const value = (req.params as Record<string, string | undefined>)[name];
  if (value === undefined) throw new Error(`route has no :${name}`);
  return value;
}

export function tokenRouter(ctx: MockContext, tokens: ManagedTokenStore, management: ManagementCredential): Router {
  const router = Router();
  const managementOnly = requireManagement(ctx, management);

  const project = (req: Request): string => {
    const projectId = param(req, 'project_id');
    if (!ctx.projectIds.includes(projectId)) {
      throw new RestError(404, 'project_not_found', 'This server does not serve that project.');
    }
    return projectId;
  };

  const collection = '/v1/projects/:project_id/api-tokens';
  router
    .route(collection)
    .get(managementOnly, (req, res) => {
      const projectId = project(req);
      const now = ctx.clock.nowMs();
      res.json({ tokens: tokens.list(projectId).map((t) => tokenJson(t, now)) });
    })
    .post(managementOnly, jsonBody, (req, res) => {
      const projectId = project(req);
      const input = parseCreateTokenRequest(req.body);
      const issued = tokens.create({ projectId, ...input });
      res.status(201).json({
        ...tokenJson(issued.token, ctx.clock.nowMs()),
        bearer_token: issued.bearerToken,
        ...(issued.secretAccessKey === null ? {} : { secret_access_key: issued.secretAccessKey }),
        s3_endpoint: ctx.s3EndpointFor(projectId),
      });
    })
    .all(managementOnly, methodNotAllowed(['GET', 'POST']));

  router
    .route(`${collection}/:token_id`)
    .get(managementOnly, (req, res) => {
      const token = tokens.get(project(req), param(req, 'token_id'));
      if (!token) throw new RestError(404, 'token_not_found', 'No such API token in this project.');
      res.json(tokenJson(token, ctx.clock.nowMs()));
    })
    .all(managementOnly, methodNotAllowed(['GET']));

  router
    .route(`${collection}/:token_id/revoke`)
    .post(managementOnly, jsonBody, (req, res) => {
      const projectId = project(req);
      if (req.body !== undefined) validateBody('EmptyRequest', req.body);
      const token = tokens.revoke(projectId, param(req, 'token_id'));
      if (!token) throw new RestError(404, 'token_not_found', 'No such API token in this project.');
      ctx.logger.info({ tokenId: token.id, projectId }, 'token revoked');
      res.json(tokenJson(token, ctx.clock.nowMs()));
    })
    .all(managementOnly, methodNotAllowed(['POST']));

  return router;
}
