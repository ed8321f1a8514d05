import type { Request } from 'express';
import { workspaceIdFormat } from '../../spec/index.js';
import type { MockContext, TokenRecord } from '../context.js';
import { RestError } from './errors.js';
import { queryValues } from './http.js';

/**
 * The workspace rule of every public route (spec's FORMAT-WORKSPACE-ID): exactly one `workspace_id` query
 * parameter, a positive decimal integer or a project this server serves, and the token's own project.
 */
export function requireWorkspace(ctx: MockContext, req: Request, token: TokenRecord): string {
  const { parameter, pattern } = workspaceIdFormat.value;
  const values = queryValues(req, parameter);
  if (values.length === 0) {
    throw new RestError(400, 'workspace_id_required', `Every call names its workspace: add ?${parameter}=<workspace id>.`);
  }
  if (values.length > 1) throw new RestError(400, 'invalid_workspace_id', `Send ${parameter} once.`);
  const workspaceId = values[0]!;
  if (!pattern.test(workspaceId) && !ctx.projectIds.includes(workspaceId)) {
    throw new RestError(400, 'invalid_workspace_id', `${parameter} must be a positive whole number.`);
  }
  if (workspaceId !== token.projectId) {
    throw new RestError(403, 'workspace_not_allowed', 'Workspace does not match API token context.');
  }
  return workspaceId;
}
