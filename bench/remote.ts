import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startDelayProxy, type DelayProxy } from './delay-proxy.js';
import { packageRoot, waitForLine } from './peers.js';

/**
 * The conformance suite against a far-away endpoint: `ibee-mock` (bin/ibee-mock.js, in memory) behind two delay
 * proxies, one in front of its REST API and one in front of its S3 endpoint, each passing every chunk on `delayMs`
 * late in either direction; `ibee-conformance run` is pointed at the proxies with the rest driver, as a user points
 * it at a remote target.
 */

const managementToken = 'bench-management-token-remote';

export interface RemoteTarget {
  readonly apiUrl: string;
  readonly s3Endpoint: string;
  readonly projectId: string;
  readonly managementToken: string;
  stop(): Promise<void>;
}

/** Starts the mock and its two proxies. */
export async function startRemoteTarget(delayMs: number): Promise<RemoteTarget> {
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'ibee-mock.js'), '--api-port', '0', '--s3-port', '0', '--management-token', managementToken, '--log-level', 'error'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const proxies: DelayProxy[] = [];
  const stop = async (): Promise<void> => {
    for (const proxy of proxies) await proxy.close();
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    const ready = JSON.parse(await waitForLine(child, (line) => line.startsWith('{'))) as { api_url: string; s3_endpoint: string; project_id: string };
    const api = await startDelayProxy(ready.api_url, delayMs);
    proxies.push(api);
    const s3 = await startDelayProxy(ready.s3_endpoint, delayMs);
    proxies.push(s3);
    return { apiUrl: api.url, s3Endpoint: s3.url, projectId: ready.project_id, managementToken, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface RemoteRun {
  readonly command: string;
  readonly concurrency: number | null;
  readonly wallSeconds: number;
  readonly exitCode: number | null;
  /** The verdict of every requirement in results.json. */
  readonly verdicts: Record<string, string>;
  readonly summary: string;
  /** The slowest checks, by the longest duration one of their records gives. */
  readonly slowest: readonly { check: string; seconds: number }[];
}

interface ResultsFile {
  readonly requirements?: readonly { readonly id: string; readonly status: string; readonly checks?: readonly { readonly check: string; readonly durationMs?: number }[] }[];
}

/**
 * One default run (`ibee-conformance run`, default runs) with `seed`, against `target`, with `--concurrency N`
 * when `concurrency` is not null (the default otherwise). Reports go to `outDir`.
 */
export async function runSuiteAgainst(target: RemoteTarget, options: { seed: number; concurrency: number | null; outDir: string }): Promise<RemoteRun> {
  await rm(options.outDir, { recursive: true, force: true });
  await mkdir(options.outDir, { recursive: true });
  const args = ['run', '--api-url', target.apiUrl, '--s3-endpoint', target.s3Endpoint, '--project-id', target.projectId, '--seed', String(options.seed), '--out', options.outDir];
  if (options.concurrency !== null) args.push('--concurrency', String(options.concurrency));
  const shown = ['node', 'bin/ibee-conformance.js', ...args.map((a) => (a === options.outDir ? '<out>' : a))].join(' ');
  const command = `IBEE_MANAGEMENT_TOKEN=… ${shown}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('IBEE_') && key !== 'VITEST' && !key.startsWith('VITEST_')));
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'ibee-conformance.js'), ...args], {
    cwd: packageRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, IBEE_MANAGEMENT_TOKEN: target.managementToken },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  // Every progress line with the seconds since the start: where the time of a run goes.
  createInterface({ input: child.stderr }).on('line', (line) => (stderr += `[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`));
  // 'close': after the output has been read to its end.
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const wallSeconds = (performance.now() - t0) / 1000;
  await writeFile(join(options.outDir, 'output.log'), `${stderr}\n${stdout}`);
  const results = JSON.parse(await readFile(join(options.outDir, 'results.json'), 'utf8')) as ResultsFile;
  const verdicts = Object.fromEntries((results.requirements ?? []).map((r) => [r.id, r.status]));
  const byCheck = new Map<string, number>();
  // A check's summary record carries the duration of its whole run (records are listed under each requirement).
  for (const requirement of results.requirements ?? []) {
    for (const check of requirement.checks ?? []) byCheck.set(check.check, Math.max(byCheck.get(check.check) ?? 0, check.durationMs ?? 0));
  }
  const slowest = [...byCheck.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([check, ms]) => ({ check, seconds: ms / 1000 }));
  return { command, concurrency: options.concurrency, wallSeconds, exitCode, verdicts, summary: stdout.trim().split('\n').slice(-4).join('\n'), slowest };
}
