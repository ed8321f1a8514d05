import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Crc32 } from '@aws-crypto/crc32';
import { defineFault } from './proxy/fault.js';

/** Whether a non-streaming request body contradicts a checksum its headers declare. */
function contradictsDeclaredChecksum(headers: IncomingHttpHeaders, body: Buffer): boolean {
  const payloadHash = String(headers['x-amz-content-sha256'] ?? '');
  if (payloadHash.startsWith('STREAMING-') || String(headers['content-encoding'] ?? '').includes('aws-chunked')) return false;
  const declared = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string).trim() : null);
  const md5 = declared('content-md5');
  if (md5 !== null && md5 !== createHash('md5').update(body).digest('base64')) return true;
  const crc32 = declared('x-amz-checksum-crc32');
  if (crc32 !== null) {
    const computed = Buffer.alloc(4);
    computed.writeUInt32BE(new Crc32().update(body).digest() >>> 0);
    if (crc32 !== computed.toString('base64')) return true;
  }
  const sha256 = declared('x-amz-checksum-sha256');
  if (sha256 !== null && sha256 !== createHash('sha256').update(body).digest('base64')) return true;
  return /^[0-9a-f]{64}$/.test(payloadHash) && payloadHash !== createHash('sha256').update(body).digest('hex');
}

/** An S3 PUT whose declared checksum does not match its body is answered 200, as by a target that ignores checksums. */
export const checksumIgnored = defineFault({
  name: 'checksum-ignored',
  requirementId: 'DATA-INTEGRITY',
  start: () => ({
    request: ({ kind, method, headers, body }) => {
      if (kind !== 's3' || method !== 'PUT' || !contradictsDeclaredChecksum(headers, body)) return null;
      return { answer: { status: 200, headers: { etag: `"${createHash('md5').update(body).digest('hex')}"` }, body: Buffer.alloc(0) } };
    },
  }),
});
