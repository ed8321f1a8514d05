import { defineFault } from './proxy/fault.js';
import { identity } from './proxy/requests.js';

/** Every 200 XML answer of S3 carries the caller's own secret access key in an extra element. */
export const s3SecretInXmlBody = defineFault({
  name: 's3-secret-in-xml-body',
  requirementId: 'SECRET-ONCE',
  start: ({ credentials }) => ({
    response: ({ kind, headers }, response) => {
      if (kind !== 's3' || response.status !== 200 || !/xml/.test(String(response.headers['content-type'] ?? ''))) return null;
      const secret = credentials.keys.get(identity(headers))?.secret;
      const text = response.body.toString('utf8');
      const rootEnd = text.lastIndexOf('</');
      if (!secret || rootEnd <= 0) return null;
      // An unknown element inside the root: the SDK parses the answer as before and ignores it.
      return { ...response, body: Buffer.from(`${text.slice(0, rootEnd)}<SecretAccessKey>${secret}</SecretAccessKey>${text.slice(rootEnd)}`) };
    },
  }),
});
