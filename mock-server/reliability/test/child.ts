import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The mock as its users run it: `node bin/ibee-mock.js …` in a child process, which tests can kill -9. The
 * executable runs compiled JavaScript (dist/, built by `npm run build`, as CI does through `npm ci`). When dist/ is
 * older than the sources (a working tree mid-edit), both executables (ibee-mock, ibee-conformance) are compiled
 * privately into .tmp/reliability-build/ (the two CLIs and what they import; type errors do not stop emission)
 * and started from there, so that tests never run stale code and never race other builds of dist/.
 */

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const privateRoot = join(repoRoot, '.tmp/reliability-build');
const lockDir = `${privateRoot}.lock`;

/** Every compiled source of the two executables (the mock's and the conformance CLI's). */
function mockSources(): string[] {
  const sources: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'test' && entry.name !== 'node_modules') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
        sources.push(path);
      }
    }
  };
  for (const dir of ['mock-server', 'spec', 'suites', 'reports']) walk(join(repoRoot, dir));
  return sources;
}

function newestSourceMs(sources: readonly string[]): number {
  return Math.max(...sources.map((path) => statSync(path).mtimeMs), statSync(join(repoRoot, 'spec/openapi.yaml')).mtimeMs);
}

function distIsFresh(sources: readonly string[]): boolean {
  const bundle = join(repoRoot, 'dist', 'bundle', 'ibee-mock.js');
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < newestSourceMs(sources)) return false;
  return sources.every((source) => {
    const built = join(repoRoot, 'dist', relative(repoRoot, source)).replace(/\.ts$/, '.js');
    return existsSync(built) && statSync(built).mtimeMs >= statSync(source).mtimeMs;
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockDir), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      // Another test file is building; a lock older than three minutes is a leftover.
      if (existsSync(lockDir) && Date.now() - statSync(lockDir).mtimeMs > 180_000) rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}`);
      await sleep(250);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

let binDir: Promise<string> | undefined;

/** The directory holding the executables to run: bin/ when dist/ is fresh, else a private build's bin/. */
function executables(): Promise<string> {
  binDir ??= (async () => {
    const sources = mockSources();
    if (distIsFresh(sources)) return join(repoRoot, 'bin');
    return withLock(async () => {
      const stamp = join(privateRoot, 'stamp');
      const wanted = String(newestSourceMs(sources));
      const bin = join(privateRoot, 'bin');
      if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted && existsSync(join(bin, 'ibee-conformance.js'))) return bin;
      rmSync(privateRoot, { recursive: true, force: true });
      const outDir = join(privateRoot, 'dist');
      const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
      const options = ['--outDir', outDir, '--rootDir', repoRoot, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022'];
      const more = ['--lib', 'ES2024', '--types', 'node', '--skipLibCheck', '--resolveJsonModule', '--esModuleInterop', '--verbatimModuleSyntax', '--strict', 'false'];
      // Type errors (in files mid-edit) still emit JavaScript; only a missing output is fatal.
      const entries = [join(repoRoot, 'mock-server/cli.ts'), join(repoRoot, 'suites/cli.ts')];
      await promisify(execFile)(process.execPath, [tsc, ...options, ...more, ...entries], { cwd: repoRoot }).catch(() => undefined);
      for (const built of ['mock-server/cli.js', 'suites/cli.js']) {
        if (!existsSync(join(outDir, built))) throw new Error(`private build produced no ${built}`);
      }
      copyFileSync(join(repoRoot, 'spec/openapi.yaml'), join(outDir, 'spec/openapi.yaml'));
      // bin/ibee-mock.js runs the bundled CLI, made from this build by the same step as `npm run build`.
      await promisify(execFile)(process.execPath, [join(repoRoot, 'scripts/bundle-mock.mjs'), outDir], { cwd: repoRoot });
      mkdirSync(bin, { recursive: true });
      // The same launchers as bin/, next to the private dist/.
      for (const name of ['ibee-mock.js', 'ibee-conformance.js']) copyFileSync(join(repoRoot, 'bin', name), join(bin, name));
      writeFileSync(stamp, wanted);
      return bin;
    });
  })();
  return binDir;
}

/** Path of the ibee-mock executable. */
export async function mockExecutable(): Promise<string> {
  return join(await executables(), 'ibee-mock.js');
}

/** Path of the ibee-conformance executable. */
export async function conformanceExecutable(): Promise<string> {
  return join(await executables(), 'ibee-conformance.js');
}

export interface ReadyLine {
  readonly event: 'ready';
  readonly api_url: string;
  readonly s3_endpoint: string;
  readonly project_id: string;
  readonly project_ids?: readonly string[];
}

export interface ChildMock {
  readonly ready: ReadyLine;
  readonly process: ChildProcess;
  /** Every stderr line so far (pino JSON logs and CLI messages). */
  readonly stderr: string[];
  /** Every stdout line so far (the ready line, nothing else). */
  readonly stdout: string[];
  /** Resolves with the exit code (or the signal's name) once the process has gone. */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Starts `ibee-mock` with `args` and waits for its ready line. */
export async function spawnMock(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ChildMock> {
  const executable = await mockExecutable();
  const child = spawn(process.execPath, [executable, '--api-port', '0', '--s3-port', '0', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  const stdout: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ibee-mock did not get ready: ${stderr.slice(-5).join('\n')}`)), options.timeoutMs ?? 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line);
      if (stdout.length === 1) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as ReadyLine);
        } catch (error) {
          reject(new Error(`first stdout line is not the ready JSON: ${line} (${String(error)})`));
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`ibee-mock exited (${code}) before it was ready: ${stderr.slice(-5).join('\n')}`));
    });
  });
  return {
    ready,
    process: child,
    stderr,
    stdout,
    exited,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
