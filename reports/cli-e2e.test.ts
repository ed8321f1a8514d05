import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerTokenFormat, iamPolicyFor, requirement, requirements } from '../spec/index.js';
import { startEmbeddedMock, type EmbeddedMock } from '../suites/target/embedded-mock.js';
import { credentialsFileHelp } from '../suites/target/manual-driver.js';
import { aggregate } from './aggregate.js';
import type { Results } from './results-format.js';
import { fixtureRun } from './test/fixtures.js';
import { writeReports } from './write.js';

/**
 * The CLI end to end, as users run it: built by `npm run build`'s tsc into dist/, started through
 * bin/ibee-conformance.js, running the real conformance suites against the embedded mock.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'ibee-conformance.js');
/** A requirement whose checks are quick against the mock. */
const onlyId = 'BILLING-SCOPE';

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with no IBEE_* variables from this environment (so it targets the embedded mock) plus `extraEnv`. */
function cli(args: readonly string[], extraEnv: Record<string, string> = {}, timeoutMs = 150_000): Promise<CliRun> {
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IBEE_') && k !== 'VITEST' && !k.startsWith('VITEST_'))),
    ...extraEnv,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ibee-conformance ${args.join(' ')} timed out\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every string value under a secret-looking key of a JSON document (the credentials a creation response issues). */
function secretValues(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => secretValues(v, into));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && /secret|bearer/i.test(key) && v.length >= 16) into.add(v);
      else secretValues(v, into);
    }
  }
}

/**
 * A faulty endpoint: a proxy in front of the mock's REST API that grants every token the billing routes (a 403
 * there becomes 200), and that keeps every credential the mock issues through it, so outputs can be scanned.
 */
async function billingFaultProxy(upstream: string, issued: Set<string>): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host'));
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const answer = await fetch(`${upstream}${req.url ?? '/'}`, { method: req.method, headers, ...(body && req.method !== 'GET' && req.method !== 'HEAD' ? { body } : {}) });
        const text = await answer.text();
        try {
          secretValues(JSON.parse(text), issued);
        } catch {
          // not JSON
        }
        if (req.method === 'GET' && req.url?.startsWith('/v1/billing/') && answer.status === 403) {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
          return;
        }
        const type = answer.headers.get('content-type');
        res.writeHead(answer.status, type ? { 'content-type': type } : {}).end(text);
      })().catch((error: Error) => res.writeHead(502).end(error.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'ibee-cli-e2e-'));
  // The package's own build; other files' type errors do not stop tsc from emitting.
  await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root }).catch(() => undefined);
  if (!existsSync(join(root, 'dist', 'suites', 'cli.js'))) throw new Error('npm run build did not produce dist/suites/cli.js');
}, 120_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('ibee-conformance CLI', () => {
  it('requirements lists the catalogue, as a table and as JSON', async () => {
    const table = await cli(['requirements']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+LEVEL\s+BASIS\s+AREA\s+TITLE$/);
    for (const r of requirements) expect(table.stdout).toMatch(new RegExp(`^${r.id}\\s+${r.level}\\s+${r.basis}\\s+${r.area}\\s+`, 'm'));
    const json = await cli(['requirements', '--json']);
    const list = JSON.parse(json.stdout) as { id: string; level: string; sources: { url: string }[] }[];
    expect(list.map((r) => r.id)).toEqual(requirements.map((r) => r.id));
    expect(list[0]!.sources[0]!.url).toMatch(/^https:\/\//);
  });

  it('requirements --iam-policy prints a level as an IAM policy, and its notes apart', async () => {
    const rendered = await cli(['requirements', '--iam-policy', 'object_ro', '--bucket', 'my-bucket']);
    expect(rendered.code).toBe(0);
    expect(JSON.parse(rendered.stdout)).toEqual(iamPolicyFor('object_ro', 'my-bucket').policy);
    expect(rendered.stderr).toContain('note: ');
    const unknown = await cli(['requirements', '--iam-policy', 'superuser']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('expected one of admin_rw, admin_ro, object_rw, object_ro');
    const badBucket = await cli(['requirements', '--iam-policy', 'admin_rw', '--bucket', 'Not_A_Bucket']);
    expect(badBucket.code).toBe(2);
  });

  it('run --help shows the credentials file format of the manual driver', async () => {
    const help = await cli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(credentialsFileHelp);
  });

  it('rejects bad usage with exit code 2 and a clear message', async () => {
    const shard = await cli(['run', '--shard', '3/2']);
    expect(shard.code).toBe(2);
    expect(shard.stderr).toContain('expected i/n with 1 <= i <= n');
    const only = await cli(['run', '--only', 'REVOKE-SOMETIMES']);
    expect(only.code).toBe(2);
    expect(only.stderr).toContain('unknown requirement id(s) REVOKE-SOMETIMES');
    const expectations = join(workDir, 'bad-expectations.json');
    await writeFile(expectations, '{ "REVOKE-SOMETIMES": "failed" }');
    const bad = await cli(['run', '--expectations', expectations]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown requirement id "REVOKE-SOMETIMES"');
  });

  it('names missing target settings with their flags, also when only IBEE_S3_ENDPOINT is set (exit 2, nothing run)', async () => {
    const apiOnly = await cli(['run', '--api-url', 'http://127.0.0.1:9']);
    expect(apiOnly.code).toBe(2);
    expect(apiOnly.stderr).toContain(
      'IBEE_API_URL (--api-url) is set, so an external target is meant, and these are needed too: ' +
        'IBEE_S3_ENDPOINT (--s3-endpoint), IBEE_PROJECT_ID (--project-id) (or IBEE_WORKSPACE_ID (--workspace-id)), IBEE_MANAGEMENT_TOKEN (--management-token)',
    );
    // The credentials driver needs the API token instead of the management token; --workspace-id names the project.
    const credentials = await cli(['run', '--driver', 'credentials', '--api-url', 'http://127.0.0.1:9', '--s3-endpoint', 'http://127.0.0.1:9', '--workspace-id', '1']);
    expect(credentials.code).toBe(2);
    expect(credentials.stderr).toContain('and these are needed too: IBEE_API_TOKEN (--api-token)');
    const twoProjects = await cli(['run', '--project-id', '1', '--workspace-id', '2']);
    expect(twoProjects.code).toBe(2);
    expect(twoProjects.stderr).toContain('--project-id and --workspace-id name the same setting but differ');
    const s3Only = await cli(['run'], { IBEE_S3_ENDPOINT: 'http://x' });
    expect(s3Only.code).toBe(2);
    expect(s3Only.stderr).toContain('IBEE_S3_ENDPOINT (--s3-endpoint) is set, so an external target is meant, and these are needed too: IBEE_API_URL (--api-url)');
    expect(s3Only.stderr).toContain('the rest driver manages tokens through the REST API; an S3-only run takes the manual driver');
    for (const run of [apiOnly, s3Only, credentials, twoProjects]) {
      expect(run.stderr).not.toContain('Running');
      expect(run.stdout).not.toContain('Result: PASS');
    }
  });

  it('stops before any check, with exit 3 and one clear line, when --out cannot be written or an endpoint cannot be reached', async () => {
    const file = join(workDir, 'h.txt');
    await writeFile(file, 'a file, not a folder');
    const badOut = await cli(['run', '--out', join(file, 'sub')]);
    expect(badOut.code).toBe(3);
    expect(badOut.stderr.trim()).toBe(`ibee-conformance: --out: cannot write the reports into ${join(file, 'sub')}: ENOTDIR, part of the path is a file, not a directory`);
    expect(badOut.stdout).toBe('');

    // An API that answers (with 404s) next to an S3 endpoint where nothing listens.
    const api = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const closedPort = (gone.address() as AddressInfo).port;
    await new Promise((resolve) => gone.close(resolve));
    try {
      const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
      const out = join(workDir, 'unreachable');
      const run = await cli(
        ['run', '--api-url', apiUrl, '--s3-endpoint', `http://127.0.0.1:${closedPort}`, '--project-id', 'p1', '--only', 'CRED-S3-WORKS,PERM-OBJECT-RO', '--out', out],
        { IBEE_MANAGEMENT_TOKEN: 'not-a-real-management-token' },
      );
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr.trim()).toBe(
        `ibee-conformance: cannot reach the S3 endpoint http://127.0.0.1:${closedPort}: ECONNREFUSED 127.0.0.1:${closedPort}. Nothing was run.`,
      );
      expect(existsSync(join(out, 'results.json'))).toBe(false);

      // S3 alone with pre-made keys: a configuration of its own, and only the S3 endpoint is probed.
      const keys = join(workDir, 'keys.json');
      await writeFile(keys, JSON.stringify({ tokens: [{ permission_type: 'object_ro', bucket_scope: 'all', access_key_id: 'AKIA0123456789ABCDEF', secret_access_key: 'x'.repeat(40) }] }));
      const s3Only = await cli(['run', '--driver', 'manual', '--credentials', keys, '--s3-endpoint', `http://127.0.0.1:${closedPort}`, '--out', join(workDir, 's3-only')]);
      expect(s3Only.code, s3Only.stderr).toBe(3);
      expect(s3Only.stderr.trim()).toBe(
        `ibee-conformance: cannot reach the S3 endpoint http://127.0.0.1:${closedPort}: ECONNREFUSED 127.0.0.1:${closedPort}. Nothing was run.`,
      );
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it('merge refuses outputs of different targets or seeds (exit 2)', async () => {
    const outputs: string[] = [];
    for (const [name, embedded, seed] of [['mock-42', true, 42], ['external-7', false, 7]] as const) {
      const run = fixtureRun({ seed, target: { ...fixtureRun().target, embedded } });
      const dir = join(workDir, name);
      await writeReports(dir, aggregate([], run), []);
      outputs.push(dir);
    }
    const merged = await cli(['merge', ...outputs, '--out', join(workDir, 'unrelated')]);
    expect(merged.code).toBe(2);
    expect(merged.stderr).toContain(`will not merge runs of different targets: ${outputs[0]}: the embedded mock (rest driver); ${outputs[1]}: https://api.example.test`);
    expect(existsSync(join(workDir, 'unrelated', 'results.json'))).toBe(false);
  });

  it(`run --only ${onlyId} against the embedded mock: progress, three reports, exit 0; merge joins it`, async () => {
    const out = join(workDir, 'run');
    const run = await cli(['run', '--only', onlyId, '--runs', '3', '--seed', '4242', '--out', out]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    // Progress on stderr: the seed, each file and test as it runs.
    expect(run.stderr).toContain('embedded mock, driver rest, seed 4242, runs 3');
    expect(run.stderr).toMatch(/▶ suites\/.+\.conformance\.ts/);
    expect(run.stderr).toMatch(new RegExp(`✓ .*${onlyId}`));
    expect(run.stdout).toContain('Result: PASS');

    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.seed).toBe(4242);
    expect(results.runs).toBe(3);
    expect(results.only).toEqual([onlyId]);
    expect(results.errors ?? []).toEqual([]);
    // The embedded mock, as the suites' global setup started and probed it.
    expect(results.target).toMatchObject({ embedded: true, driver: 'rest', capabilities: { timeTravel: true } });
    expect(results.target.api_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const judged = results.requirements.find((r) => r.id === onlyId)!;
    expect(judged.status).toBe('passed');
    expect(judged.checks.length).toBeGreaterThan(0);
    expect(judged.level).toBe(requirement(onlyId).level);
    expect(results.requirements.find((r) => r.id === 'PRESIGNED-POST')).toMatchObject({ status: 'skipped', reason: 'Not selected (--only).' });

    const junit = await readFile(join(out, 'junit.xml'), 'utf8');
    expect(XMLValidator.validate(junit)).toBe(true);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain(`id="req-${onlyId}"`);
    const checks = await readFile(join(out, 'checks.jsonl'), 'utf8');
    expect(checks.trim().split('\n').length).toBe(results.summary.checks.total);
    // Tokens were issued during the run; no bearer token may be in any output.
    const bearer = new RegExp(`${bearerTokenFormat.value.prefix}[A-Za-z0-9_-]{16,}`);
    for (const text of [JSON.stringify(results), junit, html, checks, run.stdout, run.stderr]) expect(text).not.toMatch(bearer);

    // Listed as failing but passing: reported as an unexpected pass, not a failure of the run.
    const expectations = join(workDir, 'expectations.json');
    await writeFile(expectations, JSON.stringify({ [onlyId]: 'failed' }));
    const merged = await cli(['merge', out, '--expectations', expectations, '--out', join(workDir, 'merged')]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain(`Unexpected passes (listed as failing in the expectations; consider removing them): ${onlyId}`);
    const mergedResults = JSON.parse(await readFile(join(workDir, 'merged', 'results.json'), 'utf8')) as Results;
    expect(mergedResults.summary.unexpectedPasses).toEqual([onlyId]);
    expect(mergedResults.summary.checks.total).toBe(results.summary.checks.total);
  }, 200_000);

  it('a whole run with a fixed seed records the same verdicts and checks one check at a time as several at a time', async () => {
    const outcome = async (concurrency: number) => {
      const out = join(workDir, `concurrency-${concurrency}`);
      const run = await cli(['run', '--runs', '2', '--seed', '42', '--concurrency', String(concurrency), '--out', out], {}, 280_000);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stderr).toContain(`seed 42, runs 2, concurrency ${concurrency}`);
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
      expect(results.errors ?? []).toEqual([]);
      const checks = (await readFile(join(out, 'checks.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Results['requirements'][number]['checks'][number]);
      const records = checks
        .map((c) => [c.check, c.status, c.requirementIds.join(','), c.cell ? `${c.cell.operation} ${c.cell.level} ${c.cell.scope} ${c.cell.observed}` : ''].join(' | '))
        .sort();
      // One progress line per check, whatever the order they finished in.
      const lines = run.stderr.split('\n').filter((line) => /^ {2}[✓✗○◇-] /.test(line)).map((line) => line.replace(/ \(.*$/, '')).sort();
      return { verdicts: results.requirements.map((r) => [r.id, r.status]), records, lines };
    };
    const oneAtATime = await outcome(1);
    expect(oneAtATime.verdicts.length).toBe(requirements.length);
    expect(await outcome(6)).toEqual(oneAtATime);
  }, 600_000);

  it('a faulty endpoint fails the run on BILLING-SCOPE with evidence and a replay; listed in the expectations it passes', async () => {
    const mock: EmbeddedMock = await startEmbeddedMock();
    const issued = new Set<string>();
    const proxy = await billingFaultProxy(mock.endpoint.apiUrl, issued);
    try {
      const apiUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const target = ['--api-url', apiUrl, '--s3-endpoint', mock.endpoint.s3Endpoint, '--project-id', mock.endpoint.projectId];
      const env = { IBEE_MANAGEMENT_TOKEN: mock.endpoint.managementToken };
      const out = join(workDir, 'faulty');
      const failing = await cli(['run', ...target, '--only', onlyId, '--runs', '2', '--seed', '99', '--out', out], env);
      expect(failing.code, `${failing.stdout}\n${failing.stderr}`).toBe(1);
      expect(failing.stdout).toContain(`✗ ${onlyId} [MUST]`);
      expect(failing.stdout).toContain('Result: FAIL');

      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;
      expect(results.target).toMatchObject({ api_url: apiUrl, embedded: false });
      const billing = results.requirements.find((r) => r.id === onlyId)!;
      expect(billing.status).toBe('failed');
      expect(results.summary.unexpectedFailures).toEqual([onlyId]);
      const failed = billing.checks.find((c) => c.status === 'failed')!;
      expect(failed.message).toMatch(/answered 200, expected 403/);
      expect(failed.evidence?.length).toBeGreaterThan(0);
      // The replay re-runs exactly this against the same target, and carries no secret.
      expect(billing.replay).toContain(`--api-url ${apiUrl}`);
      expect(billing.replay).toContain(`--only ${onlyId}`);
      expect(billing.replay).not.toContain(mock.endpoint.managementToken);

      const junit = await readFile(join(out, 'junit.xml'), 'utf8');
      expect(junit).toMatch(new RegExp(`<testcase classname="ibee-conformance.permissions" name="${onlyId}: [^"]*"[^>]*>\\s*<failure message="[^"]*answered 200, expected 403`));
      const html = await readFile(join(out, 'report.html'), 'utf8');
      expect(html).toMatch(/answered 200, expected 403/);

      // The run issued credentials through the proxy; none of them, nor the management token, is in any output.
      expect(issued.size).toBeGreaterThan(0);
      const outputs = [JSON.stringify(results), junit, html, await readFile(join(out, 'checks.jsonl'), 'utf8'), failing.stdout, failing.stderr];
      for (const secret of [...issued, mock.endpoint.managementToken]) for (const text of outputs) expect(text.includes(secret)).toBe(false);

      // Adopted with the known deviation listed: the same run passes.
      const expectations = join(workDir, 'faulty-expectations.json');
      await writeFile(expectations, JSON.stringify({ [onlyId]: 'failed' }));
      const adopted = await cli(['run', ...target, '--only', onlyId, '--runs', '2', '--seed', '99', '--expectations', expectations, '--out', join(workDir, 'adopted')], env);
      expect(adopted.code, `${adopted.stdout}\n${adopted.stderr}`).toBe(0);
      expect(adopted.stdout).toContain(`✗ ${onlyId} [MUST] (known, in expectations)`);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
      await mock.close();
    }
  }, 200_000);
});
