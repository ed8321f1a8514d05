import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Results } from '../../reports/results-format.js';
import { conformanceExecutable, repoRoot } from './test/child.js';
import { startMock, type IssuedToken, type TestMock } from './test/mock.js';

/**
 * The `ibee-conformance` CLI with the credentials driver, as a user holding only a Bearer API token would run it:
 * `--driver credentials --api-token … --workspace-id …`, no management token. The suites make S3 credentials of
 * every level and scope through the public credentials API and judge them; afterwards the workspace holds none of
 * the run's credentials (revoked and deleted) and none of its buckets, also after a run interrupted by SIGINT. No
 * secret (the API token, any credential's secret key) appears in the output or the reports.
 */

/** Property cases per check: every check runs; few cases keep two CLI runs affordable here. */
const suiteRuns = '3';

/** Requirements the credentials driver must judge, and pass on the mock: the statement holds for S3 credentials. */
const judgedForCredentials = [
  'PERM-ADMIN-RW',
  'PERM-ADMIN-RO',
  'PERM-OBJECT-RW',
  'PERM-OBJECT-RO',
  'PERM-MONOTONIC',
  'SCOPE-SPECIFIC',
  'SCOPE-NO-EXISTENCE-LEAK',
  'SCOPE-ALL-NEW-BUCKETS',
  'SCOPE-COPY-BOUNDARY',
  'SECRET-ONCE',
  'REVOKE-IMMEDIATE',
  'REVOKE-PERMANENT',
  'CRED-FORMAT',
  'CRED-UNIQUE',
  'CRED-S3-WORKS',
];
/**
 * Judged on half its statement only: S3 denials are, REST denials (insufficient_scope) need a Bearer token of the
 * token's own, so no check of its main statement passes.
 */
const halfJudged = ['PERM-DENIED-CODE'];
/** What only portal API tokens have: their expiry, Billing scope, own Bearer token and creation rules. */
const portalOnly = [
  'REST-BEARER-AUTH',
  'BILLING-SCOPE',
  'TOKEN-EXPIRY-BOUNDS',
  'TOKEN-EXPIRY-DEFAULT',
  'TOKEN-EXPIRY-ENFORCED',
  'TOKEN-SCOPE-REQUIRED',
  'TOKEN-NAME-REQUIRED',
  'TOKEN-LEVEL-ONE',
  'TOKEN-BUCKET-SCOPE-SHAPE',
];

let root: string;
let mock: TestMock;
let apiToken: IssuedToken;
/** Everything the CLI printed and wrote. */
const outputs: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ibee-credentials-driver-'));
  mock = await startMock();
  // Every credential's secret key, as the mock stores it (a temporary trigger on the test's own connection): the
  // runs delete their credentials, so the rows are gone by the time the output is scanned.
  mock.server.context.db.exec(`
    CREATE TEMP TABLE issued_secrets (secret TEXT NOT NULL);
    CREATE TEMP TRIGGER remember_issued_secret AFTER INSERT ON main.s3_credentials
    BEGIN INSERT INTO issued_secrets VALUES (NEW.secret_access_key); END;
  `);
  // What the user made in the portal: an API token that may write credentials of every level and scope.
  apiToken = await mock.issueToken({ level: 'admin_rw' });
  // The executables are built once (or taken from a fresh dist/) before any run is timed.
  await conformanceExecutable();
}, 300_000);

afterAll(async () => {
  await mock?.close();
  if (root) rmSync(root, { recursive: true, force: true, maxRetries: 5 });
});

/** The secret keys of every credential the mock has issued so far. */
function issuedSecrets(): string[] {
  return (mock.server.context.db.prepare('SELECT secret FROM temp.issued_secrets').all() as { secret: string }[]).map((row) => row.secret);
}

interface ListedCredential {
  readonly access_key_id: string;
  readonly name: string;
  readonly status: string;
}

async function credentialsNamed(prefix: string): Promise<ListedCredential[]> {
  const res = await mock.api('GET', '/v1/object-storage/credentials', { token: apiToken.bearer });
  expect(res.status).toBe(200);
  return (res.body as { credentials: ListedCredential[] }).credentials.filter((c) => c.name.startsWith(`${prefix}-`));
}

async function bucketsNamed(prefix: string): Promise<string[]> {
  const res = await mock.api('GET', '/v1/object-storage/buckets', { token: apiToken.bearer });
  expect(res.status).toBe(200);
  return (res.body as { buckets: { name: string }[] }).buckets.map((b) => b.name).filter((name) => name.startsWith(`${prefix}-`));
}

/**
 * Runs `ibee-conformance run --driver credentials` against the mock under `runPrefix`; `interruptWhen` sends SIGINT
 * to the run's process group once it holds.
 */
async function runCli(runPrefix: string, interruptWhen?: () => Promise<boolean>, extraArgs: readonly string[] = []): Promise<{ exit: number | string; output: string; reportDir: string }> {
  const reportDir = join(root, `report-${runPrefix}`);
  const proc = spawn(
    process.execPath,
    [
      await conformanceExecutable(),
      'run',
      '--driver',
      'credentials',
      '--api-url',
      mock.server.apiUrl,
      '--s3-endpoint',
      mock.server.s3Endpoint,
      '--workspace-id',
      mock.server.projectId,
      '--api-token',
      apiToken.bearer,
      '--seed',
      '20261128',
      '--runs',
      suiteRuns,
      '--out',
      reportDir,
      ...extraArgs,
    ],
    // Its own process group, so that SIGINT reaches vitest and its workers as Ctrl-C in a terminal does.
    { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, IBEE_RUN_PREFIX: runPrefix, FORCE_COLOR: '0' } },
  );
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let done = false;
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const timeout = setTimeout(() => process.kill(-proc.pid!, 'SIGKILL'), 400_000);
  let interrupted = false;
  while (!done) {
    if (interruptWhen && !interrupted && (await interruptWhen())) {
      process.kill(-proc.pid!, 'SIGINT');
      interrupted = true;
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 100))]);
  }
  const exit = await exited;
  clearTimeout(timeout);
  outputs.push(output);
  for (const report of existsSync(reportDir) ? readdirSync(reportDir) : []) outputs.push(readFileSync(join(reportDir, report), 'utf8'));
  if (interruptWhen) expect(interrupted, `the run ended before it could be interrupted:\n${output.slice(-2000)}`).toBe(true);
  return { exit, output, reportDir };
}

describe('ibee-conformance run --driver credentials', () => {
  it('judges S3 credentials made with an API token, passes on the mock, and leaves no credential or bucket behind', async () => {
    const prefix = 'relcred1';
    const run = await runCli(prefix);
    expect(run.exit, run.output.slice(-3000)).toBe(0);
    expect(run.output).toContain('driver credentials');
    const results = JSON.parse(readFileSync(join(run.reportDir, 'results.json'), 'utf8')) as Results;
    const byId = new Map(results.requirements.map((r) => [r.id, r]));
    expect(results.requirements.filter((r) => r.status === 'failed').map((r) => r.id)).toEqual([]);
    for (const id of judgedForCredentials) expect(byId.get(id)?.status, id).toBe('passed');
    for (const id of portalOnly) {
      expect(byId.get(id)?.status, id).toBe('not_applicable');
      expect(byId.get(id)?.reason, id).toMatch(/the credentials driver issues S3 credentials/);
    }
    for (const id of halfJudged) {
      expect(byId.get(id)?.status, id).toBe('not_applicable');
      expect(byId.get(id)?.reason, id).toMatch(/no REST denial was judged: the credentials driver issues S3 credentials/);
    }
    // It really made credentials on this mock, and none is left.
    expect(issuedSecrets().length).toBeGreaterThan(10);
    expect(await credentialsNamed(prefix)).toEqual([]);
    expect(await bucketsNamed(prefix)).toEqual([]);
    // The API token is untouched.
    expect((await mock.api('GET', '/v1/object-storage/buckets', { token: apiToken.bearer })).status).toBe(200);
  }, 600_000);

  it('interrupted by SIGINT halfway, it still revokes and deletes every credential and bucket it made', async () => {
    const prefix = 'relcred2';
    // Halfway: once the run holds buckets of its own and a good number of credentials.
    const halfway = async (): Promise<boolean> => (await credentialsNamed(prefix)).length >= 8 && (await bucketsNamed(prefix)).length > 0;
    // One thing at a time: run concurrently, the halfway state can come and go between two polls.
    const run = await runCli(prefix, halfway, ['--concurrency', '1']);
    expect(run.exit, run.output.slice(-2000)).not.toBe(0);
    expect(await credentialsNamed(prefix), run.output.slice(-1500)).toEqual([]);
    expect(await bucketsNamed(prefix)).toEqual([]);
  }, 600_000);

  it('no secret (the API token, any credential secret key, the management token) appears in the output or the reports', () => {
    expect(outputs.length).toBeGreaterThanOrEqual(4);
    const everything = outputs.join('\n');
    // The mock's registry already holds the API token and the management token.
    for (const secret of issuedSecrets()) mock.secrets.add(secret);
    expect(issuedSecrets().length).toBeGreaterThan(20);
    expect(mock.secrets.leaksIn(everything)).toEqual([]);
  });
});
