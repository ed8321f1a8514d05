import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Agent } from 'node:http';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { runLoad, type LoadResult } from './load.js';
import { motoAvailable, packageRoot, startBareServer, startIbeeMock, startMoto, startS3rver, waitForLine, type RunningPeer } from './peers.js';

/**
 * `npm run bench`: measures the mock against peers measured in the same run and prints ratios, never absolute
 * pass/fail thresholds. Sections can be picked with BENCH_SECTIONS=throughput,startup,large,suite.
 * BENCH_SECONDS sets the duration of each throughput measurement (default 8), BENCH_LARGE_MIB the large-object
 * size (default 1024).
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const largeMiB = Number(process.env.BENCH_LARGE_MIB ?? 1024);
const sections = new Set((process.env.BENCH_SECTIONS ?? 'throughput,startup,large,suite').split(','));
const workers = 16;
const sizes = [4 * 1024, 1024 * 1024];

interface Report {
  machine: { cpus: number; node: string };
  throughput?: { results: LoadResult[]; ratios: Record<string, Record<string, number | null>>; notes: string[] };
  startup?: { samplesMs: number[]; medianMs: number };
  large?: { mib: number; results: { mode: string; mbPerSecond: number; peakRssMiB: number | null }[] };
  suite?: { wallSeconds: number; exitCode: number | null };
}

const report: Report = { machine: { cpus: (await import('node:os')).availableParallelism(), node: process.version } };

function fmt(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits);
}

async function measure(start: () => Promise<RunningPeer>): Promise<LoadResult[]> {
  const peer = await start();
  try {
    const results: LoadResult[] = [];
    for (const objectBytes of sizes) results.push(await runLoad(peer.endpoint, { objectBytes, workers, seconds }));
    return results;
  } finally {
    await peer.stop();
  }
}

if (sections.has('throughput')) {
  const notes: string[] = [];
  const results: LoadResult[] = [];
  results.push(...(await measure(() => startIbeeMock({ name: 'ibee-mock (memory)' }))));
  results.push(...(await measure(() => startIbeeMock({ name: 'ibee-mock (--data-dir)', dataDir: true }))));
  results.push(...(await measure(startS3rver)));
  results.push(...(await measure(startBareServer)));
  if (motoAvailable()) results.push(...(await measure(startMoto)));
  else notes.push('moto_server not found on PATH: column (e) skipped.');

  const peers = ['s3rver 3', 'bare node:http', 'moto_server'];
  const ratios: Record<string, Record<string, number | null>> = {};
  console.log(`\nS3 throughput: ${workers} workers, PutObject+GetObject pairs, ${seconds} s each\n`);
  console.log(['endpoint', 'size', 'pairs/s', 'p50 ms', 'p99 ms', 'errors', ...peers.map((p) => `÷ ${p}`)].join('\t'));
  for (const result of results) {
    const row: Record<string, number | null> = {};
    for (const peer of peers) {
      const base = results.find((r) => r.endpoint === peer && r.objectBytes === result.objectBytes);
      row[peer] = base && base.pairsPerSecond > 0 ? result.pairsPerSecond / base.pairsPerSecond : null;
    }
    ratios[`${result.endpoint} @ ${result.objectBytes}`] = row;
    console.log(
      [result.endpoint, `${result.objectBytes / 1024} KiB`, fmt(result.pairsPerSecond), fmt(result.p50Ms), fmt(result.p99Ms), `${result.errors}${result.firstError ? ` (${result.firstError})` : ''}`, ...peers.map((p) => fmt(row[p], 2))].join('\t'),
    );
  }
  report.throughput = { results, ratios, notes };
  for (const note of notes) console.log(`note: ${note}`);
}

if (sections.has('startup')) {
  const samplesMs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(packageRoot, 'bin', 'ibee-mock.js'), '--api-port', '0', '--s3-port', '0', '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'ignore'] });
    await waitForLine(child, (line) => line.startsWith('{'));
    samplesMs.push(performance.now() - t0);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  const sorted = [...samplesMs].sort((a, b) => a - b);
  report.startup = { samplesMs, medianMs: sorted[Math.floor(sorted.length / 2)]! };
  console.log(`\nStart-up (spawn to ready line), median of 7: ${fmt(report.startup.medianMs)} ms`);
}

if (sections.has('large')) {
  const peer = await startIbeeMock({ name: 'ibee-mock (--data-dir)', dataDir: true });
  const bytes = largeMiB * 1024 * 1024;
  const client = new S3Client({
    endpoint: peer.endpoint.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: peer.endpoint.accessKeyId, secretAccessKey: peer.endpoint.secretAccessKey },
    requestHandler: { httpAgent: new Agent({ keepAlive: true }) },
  });
  /** A stream of `bytes` pseudo-random bytes without holding them in memory. */
  const source = () =>
    Readable.from(
      (function* () {
        const block = Buffer.alloc(1024 * 1024, 7);
        for (let sent = 0; sent < bytes; sent += block.length) yield block.subarray(0, Math.min(block.length, bytes - sent));
      })(),
    );
  const results: { mode: string; mbPerSecond: number; peakRssMiB: number | null }[] = [];
  const timed = async (mode: string, action: () => Promise<unknown>) => {
    const t0 = performance.now();
    await action();
    const mbPerSecond = bytes / 1e6 / ((performance.now() - t0) / 1000);
    const rss = await peer.peakRssBytes();
    results.push({ mode, mbPerSecond, peakRssMiB: rss === null ? null : rss / 1024 / 1024 });
  };
  try {
    await timed('multipart upload (lib-storage, 16 MiB parts)', () =>
      new Upload({ client, params: { Bucket: 'bench', Key: 'large-multipart', Body: source() }, partSize: 16 * 1024 * 1024, queueSize: 4 }).done(),
    );
    await timed('single streaming PUT (aws-chunked + CRC32 trailer)', () =>
      client.send(new PutObjectCommand({ Bucket: 'bench', Key: 'large-single', Body: source(), ContentLength: bytes })),
    );
    await timed('download', async () => {
      const got = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: 'large-single' }));
      let n = 0;
      for await (const chunk of got.Body as Readable) n += (chunk as Buffer).length;
      if (n !== bytes) throw new Error(`downloaded ${n} of ${bytes}`);
    });
  } finally {
    client.destroy();
    await peer.stop();
  }
  report.large = { mib: largeMiB, results };
  console.log(`\nLarge objects (${largeMiB} MiB, --data-dir):`);
  for (const r of results) console.log(`${r.mode}\t${fmt(r.mbPerSecond)} MB/s\tpeak RSS so far ${fmt(r.peakRssMiB)} MiB`);
}

if (sections.has('suite')) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'ibee-conformance.js'), 'run', '--out', join(packageRoot, 'bench', 'out', 'suite-report')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  report.suite = { wallSeconds: (performance.now() - t0) / 1000, exitCode };
  console.log(`\nConformance suite against the embedded mock: ${fmt(report.suite.wallSeconds)} s (exit ${exitCode})`);
}

const outDir = join(packageRoot, 'bench', 'out');
await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, 'results.json'), JSON.stringify(report, null, 2));
console.log(`\nJSON: ${join(outDir, 'results.json')}`);
