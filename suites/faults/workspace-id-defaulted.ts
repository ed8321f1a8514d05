import { defineFault } from './proxy/fault.js';
import { isPublicApiUrl, withWorkspaceIds, workspaceIdsOf } from './proxy/requests.js';

/** A public API call without workspace_id is served in the token's workspace instead of refused with 400. */
export const workspaceIdDefaulted = defineFault({
  name: 'workspace-id-defaulted',
  requirementId: 'WORKSPACE-REQUIRED',
  start: ({ upstream }) => ({
    request: (request) => {
      if (request.kind !== 'api' || !isPublicApiUrl(request.url) || workspaceIdsOf(request.url).length > 0) return null;
      return { forward: { ...request, path: withWorkspaceIds(request.path, [upstream.projectId]) } };
    },
  }),
});
