import { createHmac } from 'node:crypto';
import { Crc32 } from '@aws-crypto/crc32';
import { sha256Hex, signHeaders, type Credentials } from './http.js';

/**
 * aws-chunked request bodies built by hand, so that tests can lie in them: unsigned chunks with a checksum
 * trailer (what the AWS SDK sends by default) and signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
 */

export interface ChunkedUpload {
  /** Headers to send, Authorization included; Content-Length is left to the sender (it is not signed). */
  readonly headers: Record<string, string>;
  /** The framed body. */
  readonly body: Buffer;
}

export function crc32Base64(data: Buffer): string {
  const digest = Buffer.alloc(4);
  digest.writeUInt32BE(new Crc32().update(data).digest() >>> 0);
  return digest.toString('base64');
}

function split(data: Buffer, chunkSize: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += chunkSize) chunks.push(data.subarray(offset, offset + chunkSize));
  return chunks;
}

/** STREAMING-UNSIGNED-PAYLOAD-TRAILER with an x-amz-checksum-crc32 trailer. */
export async function unsignedTrailerUpload(options: {
  credentials: Credentials;
  host: string;
  rawPath: string;
  data: Buffer;
  chunkSize: number;
  /** x-amz-decoded-content-length to declare (and sign), if not the true length. */
  declaredLength?: number;
  date?: Date;
}): Promise<ChunkedUpload> {
  const framed = Buffer.concat([
    ...split(options.data, options.chunkSize).map((chunk) => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])),
    Buffer.from(`0\r\nx-amz-checksum-crc32:${crc32Base64(options.data)}\r\n\r\n`),
  ]);
  const headers = await signHeaders({
    credentials: options.credentials,
    host: options.host,
    method: 'PUT',
    rawPath: options.rawPath,
    payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    headers: {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(options.declaredLength ?? options.data.length),
      'x-amz-trailer': 'x-amz-checksum-crc32',
    },
    ...(options.date ? { date: options.date } : {}),
  });
  return { headers, body: framed };
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk signed, chained from the header signature. */
export async function signedChunkUpload(options: {
  credentials: Credentials;
  host: string;
  rawPath: string;
  data: Buffer;
  chunkSize: number;
  declaredLength?: number;
  date?: Date;
  region?: string;
}): Promise<ChunkedUpload> {
  const date = options.date ?? new Date();
  const region = options.region ?? 'auto';
  const chunks = [...split(options.data, options.chunkSize), Buffer.alloc(0)];
  const signatureLength = 64;
  const framedLength = chunks.reduce((sum, chunk) => sum + `${chunk.length.toString(16)};chunk-signature=`.length + signatureLength + 2 + chunk.length + 2, 0);
  const headers = await signHeaders({
    credentials: options.credentials,
    host: options.host,
    method: 'PUT',
    rawPath: options.rawPath,
    payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    headers: {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(options.declaredLength ?? options.data.length),
    },
    date,
    region,
  });
  const amzDate = headers['x-amz-date']!;
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/s3/aws4_request`;
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${options.credentials.secretAccessKey}`, day), region), 's3'), 'aws4_request');
  let previous = /Signature=([0-9a-f]{64})/.exec(headers.authorization ?? headers.Authorization ?? '')?.[1] ?? '';
  const parts: Buffer[] = [];
  for (const chunk of chunks) {
    const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, previous, sha256Hex(''), sha256Hex(chunk)].join('\n');
    const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`), chunk, Buffer.from('\r\n'));
    previous = signature;
  }
  const body = Buffer.concat(parts);
  if (body.length !== framedLength) throw new Error(`framing arithmetic is off: ${body.length} vs ${framedLength}`);
  return { headers, body };
}
