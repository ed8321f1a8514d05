import { workspaceIdFormat } from '../../spec/index.js';
import { defineFault } from './proxy/fault.js';
import { isPublicApiUrl, withWorkspaceIds, workspaceIdsOf } from './proxy/requests.js';

/**
 * A well-formed workspace_id that is not the token's is ignored: the call is served in the token's own workspace
 * (the only one the endpoint serves) instead of refused with 403 workspace_not_allowed.
 */
export const workspaceIdIgnored = defineFault({
  name: 'workspace-id-ignored',
  requirementId: 'WORKSPACE-ISOLATION',
  start: ({ upstream }) => ({
    request: (request) => {
      if (request.kind !== 'api' || !isPublicApiUrl(request.url)) return null;
      const ids = workspaceIdsOf(request.url);
      if (ids.length !== 1 || ids[0] === upstream.projectId || !workspaceIdFormat.value.pattern.test(ids[0]!)) return null;
      return { forward: { ...request, path: withWorkspaceIds(request.path, [upstream.projectId]) } };
    },
  }),
});
