import { presignRaw } from '../target/s3.js';
import { defineFault, type ProxyState } from './proxy/fault.js';
import { forward } from './proxy/forwarding.js';
import { identity, parseJson } from './proxy/requests.js';
import { resign } from './proxy/resign.js';

const graceMs = 3_600_000;

/** The endpoint's own clock (the mock's, which tests move), read as a faulty server would read its own. */
async function upstreamNow({ upstream, credentials }: ProxyState): Promise<number> {
  const response = await forward(new URL(upstream.apiUrl), 'GET', '/_mock/clock', { authorization: credentials.managementAuth ?? '' }, Buffer.alloc(0));
  const now = parseJson(response.body)?.['now'];
  return typeof now === 'string' ? Date.parse(now) : Date.now();
}

/**
 * Expired tokens keep working for an hour of grace: their requests are let through as an admin's (Bearer requests
 * with the admin's token, header-signed and presigned S3 requests signed again with the admin's key).
 */
export const expiryGrace = defineFault({
  name: 'expiry-grace',
  requirementId: 'TOKEN-EXPIRY-ENFORCED',
  start: (proxy) => {
    const { credentials, upstream } = proxy;
    async function inGrace(credential: string | null): Promise<boolean> {
      const expiresAt = credential ? credentials.expiries.get(credential) : undefined;
      if (expiresAt === undefined) return false;
      const now = await upstreamNow(proxy);
      return now >= expiresAt && now < expiresAt + graceMs;
    }
    return {
      request: async (request) => {
        const { kind, method, url, headers, body } = request;
        const admin = credentials.adminKey();
        const bearer = /^Bearer (.+)$/.exec(String(headers['authorization'] ?? ''))?.[1] ?? null;
        const presignedKey = /[?&]X-Amz-Credential=([^%&/]+)/.exec(url)?.[1] ?? null;
        if (kind === 'api' && bearer && credentials.adminBearer && (await inGrace(bearer))) {
          return { forward: { ...request, headers: { ...headers, authorization: `Bearer ${credentials.adminBearer}` } } };
        }
        if (kind === 's3' && admin && (await inGrace(identity(headers)))) {
          return { forward: { ...request, headers: await resign(method, url, headers, body, { accessKeyId: admin[0], secret: admin[1].secret }) } };
        }
        if (kind === 's3' && admin && method === 'GET' && presignedKey && (await inGrace(presignedKey))) {
          const host = String(headers['host'] ?? '');
          const resigned = presignRaw(`http://${host}${url.split('?')[0]}`, { accessKeyId: admin[0], secretAccessKey: admin[1].secret }, upstream.region, new Date(await upstreamNow(proxy)), 3600);
          return { forward: { ...request, path: resigned.slice(`http://${host}`.length) } };
        }
        return null;
      },
    };
  },
});
