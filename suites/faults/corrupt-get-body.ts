import { defineFault } from './proxy/fault.js';

/** Whether an S3 GET reads an object's content (a key, and no sub-resource such as a part listing). */
function isObjectRead(url: string): boolean {
  const [path = ''] = url.split('?');
  return /^\/[^/]+\/.+/.test(path) && !/[?&](uploadId|uploads|tagging|acl|attributes|versions|list-type)(=|&|$)/.test(url);
}

/** One byte of every object body an S3 GET returns is flipped, and the answer's checksum headers dropped. */
export const corruptGetBody = defineFault({
  name: 'corrupt-get-body',
  requirementId: 'OBJECT-ROUNDTRIP',
  start: () => ({
    response: ({ kind, method, url }, response) => {
      if (kind !== 's3' || method !== 'GET' || response.status !== 200 || response.body.length === 0 || !isObjectRead(url)) return null;
      const corrupted = Buffer.from(response.body);
      const middle = Math.floor(corrupted.length / 2);
      corrupted[middle] = (corrupted[middle] ?? 0) ^ 0x01;
      const headers = Object.fromEntries(Object.entries(response.headers).filter(([name]) => !name.startsWith('x-amz-checksum-')));
      return { ...response, headers, body: corrupted };
    },
  }),
});
