import { defineFault } from './proxy/fault.js';
import { parseJson } from './proxy/requests.js';

/** GET of a token returns its secret access key again. */
export const secretLeakOnGet = defineFault({
  name: 'secret-leak-on-get',
  requirementId: 'SECRET-ONCE',
  start: ({ credentials }) => ({
    response: ({ kind, method, url }, response) => {
      if (kind !== 'api' || method !== 'GET' || response.status !== 200) return null;
      const id = /^\/v1\/projects\/[^/]+\/api-tokens\/([^/?]+)/.exec(url)?.[1];
      const secret = id ? credentials.secretsByTokenId.get(decodeURIComponent(id)) : undefined;
      const json = parseJson(response.body);
      if (!secret || !json) return null;
      return { ...response, body: Buffer.from(JSON.stringify({ ...json, secret_access_key: secret })) };
    },
  }),
});
