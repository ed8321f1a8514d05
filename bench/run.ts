import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { processCpuMs, runLoad, summarize, type LoadResult, type RawLoad } from './load.js';
import { checkVerification, memoryField, motoAvailable, packageRoot, sampleRss, startBareServer, startIbeeMock, startMoto, startS3rver, waitForLine, type RunningPeer } from './peers.js';
import { runSuiteAgainst, startRemoteTarget, type RemoteRun } from './remote.js';

/**
 * `npm run bench`: measures the mock against peers measured in the same run and prints ratios. Environment:
 * BENCH_SECTIONS (throughput,startup,large,suite), BENCH_SECONDS (measured seconds per peer, size and round;
 * default 2), BENCH_ROUNDS (interleaved rounds; default 6), BENCH_THREADS (client threads; default one per core),
 * BENCH_LARGE_MIB (large-object size; default 1024), BENCH_PEERS (throughput peers; default all), BENCH_SIZES_KIB
 * (throughput object sizes; default 4,1024). BENCH_SECTIONS=profile
 * (not in the default set) profiles the mock under the throughput load. BENCH_SECTIONS=remote (not in the default
 * set either) times full conformance runs against the mock behind proxies that delay every chunk
 * (BENCH_REMOTE_DELAY_MS each way, default 50) with a fixed seed (BENCH_REMOTE_SEED, default 42), one per
 * BENCH_REMOTE_CONCURRENCY entry (default `1,default`).
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
const threads = Number(process.env.BENCH_THREADS ?? availableParallelism());
const largeMiB = Number(process.env.BENCH_LARGE_MIB ?? 1024);
const sections = new Set((process.env.BENCH_SECTIONS ?? 'throughput,startup,large,suite').split(','));
/** BENCH_PEERS picks throughput peers: memory,data-dir,s3rver,bare,moto (default all). */
const peerNames = new Set((process.env.BENCH_PEERS ?? 'memory,data-dir,s3rver,bare,moto').split(','));
const wanted = (name: string) => peerNames.has(name);
const workers = 16;
/** BENCH_SIZES_KIB picks the object sizes of the throughput section (default 4,1024). */
const sizes = (process.env.BENCH_SIZES_KIB ?? '4,1024').split(',').map((kib) => Number(kib) * 1024);
const MiB = 1024 * 1024;

interface LargeResult {
  mode: string;
  mbPerSecond: number;
  /** Largest VmRSS sampled (every 20 ms) during this transfer. */
  maxSampledRssMiB: number | null;
  /** VmHWM after this transfer: the peak since the mock started. */
  peakRssSinceStartMiB: number | null;
}

interface Report {
  machine: { cpus: number; node: string; loadAverageAtStart: number[]; loadAverageAtEnd?: number[] };
  throughput?: {
    workers: number;
    clientThreads: number;
    secondsPerWindow: number;
    rounds: number;
    results: LoadResult[];
    /** Throughput of each row divided by each peer's at the same size. */
    ratios: Record<string, Record<string, number | null>>;
    /** Median over rounds of the same ratio taken within each round. */
    medianRoundRatios: Record<string, Record<string, number | null>>;
    notes: string[];
  };
  startup?: { samplesMs: number[]; medianMs: number; cpuToReadyMedianMs: number | null; nodeBaselineMedianMs: number; firstRestAnswerMedianMs: number };
  large?: { mib: number; idleRssMiB: number | null; results: LargeResult[] };
  suite?: { command: string; wallSeconds: number; exitCode: number | null; httpRequests: number | null; requestsByPort: Record<string, number>; summary: string };
  remote?: {
    delayMsEachWay: number;
    seed: number;
    runs: { command: string; concurrency: string; wallSeconds: number; exitCode: number | null; summary: string; slowest: RemoteRun['slowest'] }[];
    /** The first run's seconds divided by each run's. */
    speedups: number[];
    /** Requirements whose verdict differs between the runs (none expected). */
    verdictDifferences: string[];
  };
}

const report: Report = { machine: { cpus: availableParallelism(), node: process.version, loadAverageAtStart: loadavg() } };

function fmt(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

console.log(`bench: ${report.machine.cpus} cores, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

if (sections.has('throughput')) {
  const notes: string[] = [];
  const peers: RunningPeer[] = [];
  try {
    // All peers run for the whole section and take turns, round after round: a burst of load from the other
    // engineers on this machine then hits every peer alike instead of one.
    if (wanted('memory')) peers.push(await startIbeeMock({ name: 'ibee-mock (memory)' }));
    if (wanted('data-dir')) peers.push(await startIbeeMock({ name: 'ibee-mock (--data-dir)', dataDir: true }));
    for (const peer of peers) {
      const refused = await checkVerification(peer.endpoint);
      notes.push(`${peer.endpoint.name} verifies what it measures: a wrong secret got ${refused.badSignature}, a wrong CRC32 got ${refused.badChecksum}.`);
    }
    if (wanted('s3rver')) peers.push(await startS3rver());
    if (wanted('bare')) peers.push(await startBareServer());
    if (wanted('moto')) {
      if (motoAvailable()) peers.push(await startMoto());
      else notes.push('moto_server not found on PATH: column (e) skipped.');
    }

    const windows: RawLoad[] = [];
    const roundOf = new Map<RawLoad, number>();
    for (let round = 0; round < rounds; round++) {
      for (const objectBytes of sizes) {
        // Rotate the order each round so no peer always runs first or last.
        const order = peers.map((_, i) => peers[(i + round) % peers.length]!);
        for (const peer of order) {
          // A longer untimed warm-up in the first round: JIT and connection set-up of a fresh server are not measured.
          const warmupSeconds = round === 0 ? 3 : 1;
          const window = await runLoad(peer.endpoint, { objectBytes, workers, seconds, threads, warmupSeconds, serverPid: peer.process.pid! });
          windows.push(window);
          roundOf.set(window, round);
          process.stderr.write(`  round ${round + 1}/${rounds} ${peer.endpoint.name} ${objectBytes / 1024} KiB: ${(window.latencies.length / seconds).toFixed(1)} pairs/s\n`);
        }
      }
    }
    const results: LoadResult[] = [];
    for (const objectBytes of sizes) {
      for (const peer of peers) results.push(summarize(windows.filter((w) => w.endpoint === peer.endpoint.name && w.objectBytes === objectBytes)));
    }

    const bases = ['s3rver 3', 'bare node:http', 'moto_server'].filter((b) => results.some((r) => r.endpoint === b));
    const ratios: Record<string, Record<string, number | null>> = {};
    const roundRatios: Record<string, Record<string, number | null>> = {};
    /** Median over rounds of this row's throughput ÷ the base's in the same round: less exposed to load swings. */
    const medianRoundRatio = (result: LoadResult, base: string): number | null => {
      const perRound: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const pick = (name: string) => windows.find((w) => w.endpoint === name && w.objectBytes === result.objectBytes && roundOf.get(w) === round);
        const mine = pick(result.endpoint);
        const theirs = pick(base);
        if (mine && theirs && theirs.latencies.length > 0) perRound.push(mine.latencies.length / theirs.latencies.length);
      }
      return perRound.length > 0 ? median(perRound) : null;
    };
    const rows = results.map((result) => {
      const row: Record<string, number | null> = {};
      const byRound: Record<string, number | null> = {};
      for (const base of bases) {
        const b = results.find((r) => r.endpoint === base && r.objectBytes === result.objectBytes);
        row[base] = b && b.pairsPerSecond > 0 ? result.pairsPerSecond / b.pairsPerSecond : null;
        byRound[base] = medianRoundRatio(result, base);
      }
      ratios[`${result.endpoint} @ ${result.objectBytes / 1024} KiB`] = row;
      roundRatios[`${result.endpoint} @ ${result.objectBytes / 1024} KiB`] = byRound;
      return [
        result.endpoint,
        `${result.objectBytes / 1024} KiB`,
        fmt(result.pairsPerSecond),
        fmt(result.p50Ms),
        fmt(result.p99Ms),
        fmt(result.serverCpuMsPerPair, 2),
        fmt(result.clientCpuMsPerPair, 2),
        String(result.errors),
        ...bases.map((b) => `${fmt(row[b], 2)} (${fmt(byRound[b], 2)})`),
      ];
    });
    console.log(`\nS3 throughput: ${workers} workers over ${threads} client threads, PutObject+GetObject pairs, ${rounds} interleaved rounds of ${seconds} s\n`);
    console.log(table(['endpoint', 'size', 'pairs/s', 'p50 ms', 'p99 ms', 'srv cpu ms/pair', 'client cpu ms/pair', 'errors', ...bases.map((b) => `÷ ${b}`)], rows));
    console.log('(÷ columns: pooled throughput ratio, and in brackets the median over rounds of same-round ratios)');
    for (const r of results.filter((r) => r.firstError)) notes.push(`${r.endpoint} @ ${r.objectBytes / 1024} KiB: first error ${r.firstError}`);
    for (const note of notes) console.log(`note: ${note}`);
    report.throughput = { workers, clientThreads: threads, secondsPerWindow: seconds, rounds, results, ratios, medianRoundRatios: roundRatios, notes };
  } finally {
    for (const peer of peers) await peer.stop();
  }
}

if (sections.has('startup')) {
  const spawnToLine = async (args: string[], match: (line: string) => boolean) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const line = await waitForLine(child, match);
    return { ms: performance.now() - t0, child, line };
  };
  const samplesMs: number[] = [];
  const firstRestMs: number[] = [];
  const baselineMs: number[] = [];
  const cpuToReadyMs: number[] = [];
  for (let i = 0; i < 7; i++) {
    // Node itself, for scale: on a busy machine even this is slow.
    const baseline = await spawnToLine(['-e', 'console.log("ready")'], (line) => line === 'ready');
    baselineMs.push(baseline.ms);
    await new Promise((resolve) => (baseline.child.exitCode === null ? baseline.child.once('exit', resolve) : resolve(null)));

    const t0 = performance.now();
    const mock = await spawnToLine(
      [join(packageRoot, 'bin', 'ibee-mock.js'), '--api-port', '0', '--s3-port', '0', '--log-level', 'error', '--management-token', 'bench-management-token'],
      (line) => line.startsWith('{'),
    );
    const exited = new Promise((resolve) => mock.child.once('exit', resolve));
    try {
      samplesMs.push(mock.ms);
      // CPU time the mock used to get there: what start-up costs, whatever else is running on the machine.
      const cpu = await processCpuMs(mock.child.pid!);
      if (cpu !== null) cpuToReadyMs.push(cpu);
      // Ready is not the whole story: the first REST answer shows whether work was only moved past the ready line.
      const ready = JSON.parse(mock.line) as { api_url: string; project_id: string };
      const answer = await fetch(`${ready.api_url}/v1/projects/${ready.project_id}/api-tokens`, {
        method: 'POST',
        headers: { authorization: 'Bearer bench-management-token', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'startup', object_storage: { permission_type: 'admin_ro', bucket_scope: 'all' } }),
      });
      await answer.arrayBuffer();
      if (answer.status !== 201) throw new Error(`token creation after start-up failed: ${answer.status}`);
      firstRestMs.push(performance.now() - t0);
    } finally {
      mock.child.kill('SIGTERM');
      await exited;
    }
  }
  report.startup = {
    samplesMs,
    medianMs: median(samplesMs),
    cpuToReadyMedianMs: cpuToReadyMs.length > 0 ? median(cpuToReadyMs) : null,
    nodeBaselineMedianMs: median(baselineMs),
    firstRestAnswerMedianMs: median(firstRestMs),
  };
  console.log(
    `\nStart-up, median of 7: spawn → ready line ${fmt(report.startup.medianMs)} ms (CPU used by then ${fmt(report.startup.cpuToReadyMedianMs, 0)} ms); spawn → first token created ${fmt(report.startup.firstRestAnswerMedianMs)} ms; node -e for scale: ${fmt(report.startup.nodeBaselineMedianMs)} ms`,
  );
}

if (sections.has('large')) {
  const peer = await startIbeeMock({ name: 'ibee-mock (--data-dir)', dataDir: true });
  const pid = peer.process.pid;
  const bytes = largeMiB * MiB;
  const client = new S3Client({
    endpoint: peer.endpoint.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: peer.endpoint.accessKeyId, secretAccessKey: peer.endpoint.secretAccessKey },
    requestHandler: { httpAgent: new Agent({ keepAlive: true }) },
  });
  /** A stream of `bytes` bytes without holding them in memory. */
  const source = () =>
    Readable.from(
      (function* () {
        const block = Buffer.alloc(MiB, 7);
        for (let sent = 0; sent < bytes; sent += block.length) yield block.subarray(0, Math.min(block.length, bytes - sent));
      })(),
    );
  const results: LargeResult[] = [];
  const idleRss = await memoryField(pid, 'VmRSS');
  const timed = async (mode: string, action: () => Promise<unknown>) => {
    const sampler = sampleRss(pid);
    const t0 = performance.now();
    await action();
    const elapsed = (performance.now() - t0) / 1000;
    const { maxRssBytes } = await sampler.stop();
    const hwm = await memoryField(pid, 'VmHWM');
    results.push({
      mode,
      mbPerSecond: bytes / 1e6 / elapsed,
      maxSampledRssMiB: maxRssBytes === null ? null : maxRssBytes / MiB,
      peakRssSinceStartMiB: hwm === null ? null : hwm / MiB,
    });
  };
  try {
    await timed('multipart upload (lib-storage, 16 MiB parts, 4 at a time)', () =>
      new Upload({ client, params: { Bucket: 'bench', Key: 'large-multipart', Body: source() }, partSize: 16 * MiB, queueSize: 4 }).done(),
    );
    await timed('single streaming PUT (aws-chunked, CRC32 trailer)', () =>
      client.send(new PutObjectCommand({ Bucket: 'bench', Key: 'large-single', Body: source(), ContentLength: bytes })),
    );
    await timed('download (GetObject, streamed)', async () => {
      const got = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: 'large-single' }));
      let n = 0;
      for await (const chunk of got.Body as Readable) n += (chunk as Buffer).length;
      if (n !== bytes) throw new Error(`downloaded ${n} of ${bytes}`);
    });
  } finally {
    client.destroy();
    await peer.stop();
  }
  report.large = { mib: largeMiB, idleRssMiB: idleRss === null ? null : idleRss / MiB, results };
  console.log(`\nLarge objects (${largeMiB} MiB, --data-dir); mock RSS when idle ${fmt(report.large.idleRssMiB)} MiB:\n`);
  console.log(
    table(
      ['transfer', 'MB/s', 'max RSS sampled MiB', 'VmHWM since start MiB'],
      results.map((r) => [r.mode, fmt(r.mbPerSecond), fmt(r.maxSampledRssMiB), fmt(r.peakRssSinceStartMiB)]),
    ),
  );
}

if (sections.has('suite')) {
  // `npm run conformance` as a user runs it (embedded mock, default runs), with a preload that counts the requests
  // each node:http server in the process tree answers; the mock itself runs unmodified.
  const countDir = await mkdtemp(join(tmpdir(), 'ibee-bench-requests-'));
  const preload = pathToFileURL(join(packageRoot, 'dist', 'bench', 'count-requests.js')).href;
  const outDir = join(packageRoot, 'bench', 'out', 'suite-report');
  const command = `npm run conformance -- --out ${outDir}`;
  const t0 = performance.now();
  const child = spawn('npm', ['run', 'conformance', '--', '--out', outDir], {
    cwd: packageRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim(), BENCH_REQUEST_COUNT_DIR: countDir },
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wallSeconds = (performance.now() - t0) / 1000;
  await sleep(100);
  const requestsByPort: Record<string, number> = {};
  for (const file of await readdir(countDir)) {
    const counts = JSON.parse(await readFile(join(countDir, file), 'utf8')) as { byPort: Record<string, number> };
    for (const [port, n] of Object.entries(counts.byPort)) requestsByPort[port] = (requestsByPort[port] ?? 0) + n;
  }
  await rm(countDir, { recursive: true, force: true });
  const total = Object.values(requestsByPort).reduce((a, b) => a + b, 0);
  await writeFile(join(packageRoot, 'bench', 'out', 'suite-output.log'), output);
  const summary = output.trim().split('\n').slice(-6).join('\n');
  // The global setup prints the embedded mock's URLs; name the ports after them when it did.
  const target = /embedded mock http:\/\/[^:]+:(\d+) \(S3 http:\/\/[^:]+:(\d+)\)/.exec(output);
  if (target) {
    for (const [port, label] of [[target[1]!, 'api'], [target[2]!, 's3']] as const) {
      if (requestsByPort[port] !== undefined) {
        requestsByPort[`${label} (${port})`] = requestsByPort[port]!;
        delete requestsByPort[port];
      }
    }
  }
  report.suite = { command, wallSeconds, exitCode, httpRequests: total > 0 ? total : null, requestsByPort, summary };
  console.log(`\nConformance suite (${command}): ${fmt(wallSeconds)} s wall, exit ${exitCode}, ${total} HTTP requests answered (by port: ${JSON.stringify(requestsByPort)})`);
  console.log(summary);
}

if (sections.has('remote')) {
  // A far-away endpoint: every chunk both ways is passed on late, so each request and its answer take at least
  // 2 × the delay more (an endpoint about 100 ms away by default). The same default run, with the same seed, at each
  // concurrency; the verdicts must agree.
  const delayMs = Number(process.env.BENCH_REMOTE_DELAY_MS ?? 50);
  const seed = Number(process.env.BENCH_REMOTE_SEED ?? 42);
  const levels = (process.env.BENCH_REMOTE_CONCURRENCY ?? '1,default').split(',').map((level) => (level === 'default' ? null : Number(level)));
  const target = await startRemoteTarget(delayMs);
  const runs: RemoteRun[] = [];
  try {
    for (const concurrency of levels) {
      const run = await runSuiteAgainst(target, { seed, concurrency, outDir: join(packageRoot, 'bench', 'out', `remote-${concurrency ?? 'default'}`) });
      runs.push(run);
      process.stderr.write(`  concurrency ${concurrency ?? 'default'}: ${fmt(run.wallSeconds)} s, exit ${run.exitCode}\n`);
    }
  } finally {
    await target.stop();
  }
  const first = runs[0]!;
  const ids = [...new Set(runs.flatMap((run) => Object.keys(run.verdicts)))].sort();
  const verdictDifferences = ids.filter((id) => runs.some((run) => run.verdicts[id] !== first.verdicts[id])).map((id) => `${id}: ${runs.map((run) => run.verdicts[id] ?? 'none').join(' / ')}`);
  report.remote = {
    delayMsEachWay: delayMs,
    seed,
    runs: runs.map((run) => ({ command: run.command, concurrency: String(run.concurrency ?? 'default'), wallSeconds: run.wallSeconds, exitCode: run.exitCode, summary: run.summary, slowest: run.slowest })),
    speedups: runs.map((run) => first.wallSeconds / run.wallSeconds),
    verdictDifferences,
  };
  console.log(`\nConformance suite against the mock behind proxies delaying every chunk ${delayMs} ms each way (seed ${seed}, default runs):\n`);
  console.log(
    table(
      ['concurrency', 'wall s', `÷ concurrency ${first.concurrency ?? 'default'}`, 'exit', 'slowest checks (s)'],
      runs.map((run) => [
        String(run.concurrency ?? 'default'),
        fmt(run.wallSeconds),
        fmt(first.wallSeconds / run.wallSeconds, 2),
        String(run.exitCode),
        run.slowest.slice(0, 3).map((c) => `${c.check} ${fmt(c.seconds)}`).join(', '),
      ]),
    ),
  );
  for (const run of runs) console.log(run.command);
  console.log(verdictDifferences.length === 0 ? `The ${ids.length} requirements have the same verdict in every run.` : `Verdicts differ: ${verdictDifferences.join('; ')}`);
}

if (sections.has('profile')) {
  // Not in the default sections: `BENCH_SECTIONS=profile` runs the throughput load against one mock started with
  // `node --cpu-prof` and summarises where its CPU time went (BENCH_PROFILE_KIB, BENCH_PROFILE_DATA_DIR=1).
  const profileDir = join(packageRoot, 'bench', 'out', 'profiles');
  await rm(profileDir, { recursive: true, force: true });
  const objectBytes = Number(process.env.BENCH_PROFILE_KIB ?? 4) * 1024;
  const peer = await startIbeeMock({
    name: 'ibee-mock (profiled)',
    dataDir: process.env.BENCH_PROFILE_DATA_DIR === '1',
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir],
  });
  try {
    const window = await runLoad(peer.endpoint, { objectBytes, workers, seconds: seconds * rounds, threads, serverPid: peer.process.pid! });
    const result = summarize([window]);
    console.log(`\nprofiled ${result.endpoint} @ ${objectBytes / 1024} KiB: ${fmt(result.pairsPerSecond)} pairs/s, server ${fmt(result.serverCpuMsPerPair, 2)} ms CPU per pair`);
  } finally {
    await peer.stop();
  }
  const { summarizeProfile } = await import('./profile-summary.js');
  for (const file of await readdir(profileDir)) console.log(summarizeProfile(join(profileDir, file), 30));
}

report.machine.loadAverageAtEnd = loadavg();
const outDir = join(packageRoot, 'bench', 'out');
await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nload average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}\nJSON: ${join(outDir, 'results.json')}`);
