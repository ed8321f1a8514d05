import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { XMLParser } from 'fast-xml-parser';
import type { Credentials } from './http.js';

/**
 * moto's server (`moto_server`, from the Python package moto) as an independent S3 service with IAM: its IAM API
 * makes users, policies and access keys, and once `enforceIam()` has been called every S3 request must be signed by
 * a known access key whose policies allow the action (moto's `/moto-api/reset-auth` sets the number of requests
 * served before authorization starts; 0 starts it at once).
 */

/** The path of `moto_server`, or null where it is not installed. */
export function motoServerPath(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  return path === '' ? null : path;
}

export const motoRegion = 'us-east-1';

export interface IamAccessKey extends Credentials {
  readonly userName: string;
}

export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  /** Everything moto printed (its access log included). */
  readonly output: () => string;
  /** One IAM Query API call, signed by `credentials` (before `enforceIam` any will do: moto checks nothing yet); its XML answer, parsed. */
  iam(action: string, params?: Record<string, string>, credentials?: Credentials): Promise<Record<string, unknown>>;
  /** An IAM user with `policy` as its only (inline) policy, and an access key of it (`as`: the caller once IAM is enforced). */
  iamUser(userName: string, policy: unknown, as?: Credentials): Promise<IamAccessKey>;
  /** From now on every request is authenticated and authorized against IAM. */
  enforceIam(): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false });

/** Polls until moto answers HTTP (its readiness), or its process ends. */
async function waitUntilServing(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`moto_server ended (${child.exitCode ?? child.signalCode}) before serving:\n${output()}`);
    const answered = await fetch(`${endpoint}/moto-api/reset-auth`).then(
      (res) => res.arrayBuffer().then(() => true),
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startOnce(path: string): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // No INITIAL_NO_AUTH_ACTION_COUNT: moto checks nothing until enforceIam(), so the set-up needs no credentials.
  const env = { ...process.env };
  delete env['INITIAL_NO_AUTH_ACTION_COUNT'];
  const child = spawn(path, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output = () => log;
  try {
    await waitUntilServing(endpoint, child, output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  const signer = (credentials: Credentials) =>
    new SignatureV4({ credentials, region: motoRegion, service: 'iam', sha256: Hash.bind(null, 'sha256'), uriEscapePath: true, applyChecksum: true });

  async function iam(action: string, params: Record<string, string> = {}, credentials: Credentials = { accessKeyId: 'AKIAMOTOSETUP0000000', secretAccessKey: 'moto-setup' }): Promise<Record<string, unknown>> {
    const body = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }).toString();
    const request = new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path: '/',
      headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });
    // The signature's credential scope names the service: that is how moto's server routes a request to IAM.
    const signed = await signer(credentials).sign(request);
    const res = await fetch(`${endpoint}/`, { method: 'POST', headers: signed.headers, body });
    const text = await res.text();
    if (!res.ok) throw new Error(`IAM ${action}: ${res.status} ${text}`);
    return xml.parse(text) as Record<string, unknown>;
  }

  return {
    endpoint,
    port,
    output,
    iam,
    async iamUser(userName, policy, as) {
      await iam('CreateUser', { UserName: userName }, as);
      await iam('PutUserPolicy', { UserName: userName, PolicyName: `${userName}-policy`, PolicyDocument: JSON.stringify(policy) }, as);
      const created = await iam('CreateAccessKey', { UserName: userName }, as);
      const key = (created['CreateAccessKeyResponse'] as { CreateAccessKeyResult: { AccessKey: { AccessKeyId: string; SecretAccessKey: string } } }).CreateAccessKeyResult.AccessKey;
      return { userName, accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
    },
    async enforceIam() {
      const res = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
      if (!res.ok) throw new Error(`moto reset-auth: ${res.status} ${await res.text()}`);
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Starts `moto_server` on a free port and waits until it serves (another process may take the port first: retried). */
export async function startMoto(path: string): Promise<MotoServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(path);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
