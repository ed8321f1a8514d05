import type { IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * The headers of a SigV4 header-signed request signed again as another key, for the same headers, date, region and
 * service: how a faulty server would let one key's request through as another's. Unsigned requests are left alone.
 */
export async function resign(method: string, rawUrl: string, headers: IncomingHttpHeaders, body: Buffer, as: { accessKeyId: string; secret: string }): Promise<IncomingHttpHeaders> {
  const authorization = headers['authorization'] ?? '';
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const scope = /Credential=[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\//.exec(authorization);
  const amzDate = String(headers['x-amz-date'] ?? '');
  if (!scope || !amzDate) return headers;
  const [path = '/', rawQuery = ''] = rawUrl.split(/\?(.*)/s);
  const query: Record<string, string> = {};
  for (const pair of rawQuery.split('&').filter((p) => p.length > 0)) {
    const [key = '', value = ''] = pair.split(/=(.*)/s);
    query[decodeURIComponent(key)] = decodeURIComponent(value);
  }
  const signable: Record<string, string> = {};
  for (const name of signedHeaders) signable[name] = String(headers[name] ?? '');
  const host = String(headers['host'] ?? '');
  const request = new HttpRequest({ method, protocol: 'http:', hostname: host.split(':')[0] ?? '', path, query, headers: signable, body });
  const signer = new SignatureV4({
    credentials: { accessKeyId: as.accessKeyId, secretAccessKey: as.secret },
    region: scope[2]!,
    service: scope[3]!,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const signed = await signer.sign(request, { signingDate, signableHeaders: new Set(signedHeaders) });
  return { ...headers, authorization: signed.headers['authorization'] };
}
