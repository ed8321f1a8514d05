import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAllowed, restRoute, s3SigningRegion, type PermissionType } from '../../../spec/index.js';
import { startMock, type IssuedToken, type TestMock } from '../../reliability/test/mock.js';
import { clientContracts, type ClientCall, type ClientContract } from './index.js';
import {
  answerProblems,
  deleteGuards,
  describeExchange,
  failingRules,
  openApiProblems,
  replay,
  type Exchange,
  type Placeholders,
  type RuleContext,
} from './test/replay.js';

/**
 * Each official IBEE client's calls (the contract data beside this file), replayed against a running mock exactly
 * as the data says, in the order of a realistic application session: billing eligibility, bucket creates (enough
 * for a second page where the client pages), lists, reads, an update, S3 credentials made, listed, read, used on
 * S3 and revoked, then the bucket delete with its pre-read. Every answer must meet every requirement the data lists
 * for the call, and spec/openapi.yaml.
 */

const workspaces = ['1001', '1002', '1003', '1004'] as const;
const organizationId = '424242';
const region = 'in-south-1';
const sku = 'OBJECTST-STD';
/** The page size the session asks for where a client takes one (`{limit}`): small, so that lists need pages. */
const chosenLimit = '7';

const buckets = '/v1/object-storage/buckets';
const bucket = `${buckets}/{bucket_name}`;
const credentials = '/v1/object-storage/credentials';
const credential = `${credentials}/{access_key_id}`;
const eligibility = '/v1/billing/resource-eligibility';

let mock: TestMock;
beforeAll(async () => {
  mock = await startMock({ projectIds: [...workspaces], organizationId });
});
afterAll(async () => {
  await mock?.close();
});

/** One operation of a client: a call, or the steps of a multi-request flow in order. */
interface Operation {
  readonly steps: readonly ClientCall[];
}

function operations(contract: ClientContract): Operation[] {
  return contract.calls
    .filter((call) => !call.flow || call.flow.step === 1)
    .map((first) => ({
      steps: first.flow
        ? contract.calls.filter((c) => c.flow?.name === first.flow!.name).sort((a, b) => a.flow!.step - b.flow!.step)
        : [first],
    }));
}

const is = (method: ClientCall['method'], path: string) => (op: Operation) => op.steps[0]!.method === method && op.steps[0]!.path === path;

function jsonBody(call: ClientCall): Readonly<Record<string, unknown>> {
  const json = call.body.kind === 'json' ? call.body.json : null;
  return json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Readonly<Record<string, unknown>>) : {};
}

/** A list call that walks pages: an auto-pager, or one that takes a continuation token. */
function pages(call: ClientCall): boolean {
  return call.paging !== undefined || Object.values(call.query).includes('{continuation_token}');
}

function pageSize(call: ClientCall): number {
  const limit = call.query.limit;
  return limit === undefined ? 100 : Number(limit === '{limit}' ? chosenLimit : limit);
}

/** S3 answers as a status (200 or the error's HTTP status). */
async function s3Status(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  }
}

interface HeldKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly level: PermissionType;
  readonly scope: 'all' | 'specific';
  readonly buckets: readonly string[];
}

/** One client's session against the mock, in its own workspace. */
class Session {
  readonly replayed = new Set<string>();
  readonly buckets = new Set<string>();
  readonly secrets: string[] = [];
  readonly #s3Clients: S3Client[] = [];

  constructor(
    readonly contract: ClientContract,
    readonly workspace: string,
    readonly token: IssuedToken,
    readonly tag: string,
  ) {
    this.secrets.push(token.bearer, token.secretAccessKey ?? '');
  }

  values(extra: Placeholders = {}): Placeholders {
    return {
      '{workspace_id}': this.workspace,
      '{token}': this.token.bearer,
      '{region}': region,
      '{sku_code}': sku,
      '{limit}': chosenLimit,
      '{python_version}': '3.12.4',
      '{os}': 'linux',
      '{os_release}': '6.8.0',
      '{version}': '0.4.0',
      ...extra,
    };
  }

  context(exchange: { sentJson: unknown }, extra: Partial<RuleContext> = {}): RuleContext {
    return { sent: exchange.sentJson as RuleContext['sent'], workspaceId: this.workspace, organizationId, ...extra };
  }

  async send(call: ClientCall, extra: Placeholders = {}) {
    const exchange = await replay(mock.server.apiUrl, this.contract, call, this.values(extra));
    this.replayed.add(call.name);
    return exchange;
  }

  /** Sends a call and requires its answer to meet all the call requires. */
  async call(call: ClientCall, extra: Placeholders = {}, context: Partial<RuleContext> = {}) {
    const exchange = await this.send(call, extra);
    this.expectMet(exchange, this.context(exchange, context));
    return exchange;
  }

  expectMet(exchange: Exchange, context: RuleContext): void {
    const problems = answerProblems(exchange, context);
    expect(problems, describeExchange(exchange, problems, this.secrets)).toEqual([]);
  }

  expectTrue(exchange: Exchange, condition: boolean, problem: string): void {
    expect(condition, describeExchange(exchange, [problem], this.secrets)).toBe(true);
  }

  /** Runs a create operation (and the rest of its flow) for a new bucket. */
  async createBucket(op: Operation, name: string) {
    const [create, ...rest] = op.steps;
    const created = await this.call(create!, { '{name}': name, '{bucket_name}': name }, { bucketName: name });
    this.buckets.add(name);
    const body = created.seen.json as { name?: unknown; is_public?: unknown; bucket_lock_enabled?: unknown };
    const sent = created.sentJson as { is_public?: boolean };
    this.expectTrue(created, body.name === name, `the answer names ${JSON.stringify(body.name)}, not the bucket created`);
    this.expectTrue(created, body.is_public === (sent.is_public ?? false), 'is_public is not what was asked');
    for (const step of rest) await this.call(step, { '{bucket_name}': name }, { bucketName: name });
    return { name, locked: body.bucket_lock_enabled === true };
  }

  /** Walks a paged list to its end; every bucket of the workspace comes back once, over more than one page. */
  async walkPages(call: ClientCall): Promise<void> {
    const names: string[] = [];
    let token: string | undefined;
    let count = 0;
    for (;;) {
      const exchange = await this.call(call, token === undefined ? {} : { '{continuation_token}': token });
      count += 1;
      const page = exchange.seen.json as { buckets: { name: string }[]; is_truncated: boolean; next_continuation_token: string | null };
      names.push(...page.buckets.map((b) => b.name));
      if (!page.is_truncated || !page.next_continuation_token) break;
      this.expectTrue(exchange, page.next_continuation_token !== token, 'the next token repeats the one sent: the client would loop');
      this.expectTrue(exchange, count < 1000, 'more than 1000 pages');
      token = page.next_continuation_token;
    }
    expect(count, `${this.contract.client} "${call.name}": one page only`).toBeGreaterThan(1);
    expect([...names].sort(), `${this.contract.client} "${call.name}": the pages hold every bucket once`).toEqual([...this.buckets].sort());
  }

  s3(key: { accessKeyId: string; secretAccessKey: string }): S3Client {
    const client = new S3Client({
      endpoint: mock.server.s3Endpoint,
      region: s3SigningRegion.value.default,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    });
    this.#s3Clients.push(client);
    return client;
  }

  close(): void {
    for (const client of this.#s3Clients) client.destroy();
  }
}

const tags: Record<ClientContract['client'], string> = {
  'python-sdk-0.4': 'py',
  'typescript-sdk-0.4': 'ts',
  'cli-0.4': 'cli',
  'terraform-provider': 'tf',
};

describe.each(Object.values(clientContracts).map((contract, i) => [contract.client, contract, workspaces[i]!] as const))(
  '%s',
  (client, contract, workspace) => {
    it('replays every call in one application session, each answer as the client requires', async () => {
      const token = await mock.issueToken({ level: 'admin_rw', billing: true }, workspace);
      const s = new Session(contract, workspace, token, tags[client]);
      try {
        await runSession(s);
      } finally {
        s.close();
      }
      const missing = contract.calls.map((c) => c.name).filter((name) => !s.replayed.has(name));
      expect(missing, `${client}: calls the session never replayed`).toEqual([]);
    });
  },
);

async function runSession(s: Session): Promise<void> {
  const ops = operations(s.contract);
  const admin = s.s3({ accessKeyId: s.token.accessKeyId!, secretAccessKey: s.token.secretAccessKey! });

  // Billing eligibility: the checks, and the preflights some builds send before a billable create.
  for (const op of ops.filter(is('POST', eligibility))) await s.call(op.steps[0]!);

  // Buckets: every create the client has, at least two buckets, then enough for a second page where it pages.
  const creates = ops.filter(is('POST', buckets));
  expect(creates.length, `${s.contract.client} creates no bucket`).toBeGreaterThan(0);
  const made = [];
  for (const op of creates) made.push(await s.createBucket(op, `${s.tag}-bucket-${made.length}`));
  const plain = creates.find((op) => jsonBody(op.steps[0]!).object_lock_enabled !== true && jsonBody(op.steps[0]!).default_retention === undefined);
  expect(plain, `${s.contract.client} has no create without Object Lock`).toBeDefined();
  while (made.filter((b) => !b.locked).length < 2) made.push(await s.createBucket(plain!, `${s.tag}-bucket-${made.length}`));
  const [main, other] = made.filter((b) => !b.locked).map((b) => b.name) as [string, string];
  const lists = ops.filter(is('GET', buckets));
  const needed = Math.max(0, ...lists.filter((op) => pages(op.steps[0]!)).map((op) => pageSize(op.steps[0]!) + 1));
  for (let n = 0; s.buckets.size < needed; n++) await s.createBucket(plain!, `${s.tag}-fill-${String(n).padStart(3, '0')}`);

  for (const op of lists) {
    const call = op.steps[0]!;
    if (pages(call)) await s.walkPages(call);
    else await s.call(call);
  }
  for (const op of ops.filter(is('GET', bucket))) await s.call(op.steps[0]!, { '{bucket_name}': main }, { bucketName: main });
  for (const op of ops.filter(is('PATCH', bucket))) {
    const patched = await s.call(op.steps[0]!, { '{bucket_name}': main }, { bucketName: main });
    const sent = patched.sentJson as { is_public: boolean };
    s.expectTrue(patched, (patched.seen.json as { is_public?: unknown }).is_public === sent.is_public, 'is_public is not the value just set');
  }

  // S3 credentials: made through the API, listed, read, used on S3 as their level and scope allow, revoked.
  for (const name of [main, other]) expect(await s3Status(admin.send(new PutObjectCommand({ Bucket: name, Key: 'seed.txt', Body: 'seed' })))).toBe(200);
  const keys: HeldKey[] = [];
  for (const op of ops.filter(is('POST', credentials))) {
    const created = await s.call(op.steps[0]!, { '{name}': `${s.tag} deploy key ${keys.length}`, '{bucket_name}': main });
    const body = created.seen.json as { access_key_id: string; secret_access_key: string };
    const sent = created.sentJson as { permission_type: PermissionType; bucket_scope: 'all' | 'specific'; allowed_buckets: string[] };
    s.secrets.push(body.secret_access_key);
    const key: HeldKey = { accessKeyId: body.access_key_id, secretAccessKey: body.secret_access_key, level: sent.permission_type, scope: sent.bucket_scope, buckets: sent.allowed_buckets };
    keys.push(key);
    await expectS3AsAllowed(s, key, main, other);
  }
  expect(keys.length, `${s.contract.client} creates no S3 credential`).toBeGreaterThan(0);
  for (const op of ops.filter(is('GET', credentials))) {
    const listed = await s.call(op.steps[0]!);
    const ids = ((listed.seen.json as { credentials: { access_key_id: string }[] }).credentials ?? []).map((c) => c.access_key_id);
    s.expectTrue(listed, keys.every((k) => ids.includes(k.accessKeyId)), 'a credential just made is not listed');
  }
  for (const op of ops.filter(is('GET', credential))) {
    for (const key of keys) await s.call(op.steps[0]!, { '{access_key_id}': key.accessKeyId }, { accessKeyId: key.accessKeyId });
  }
  const removals = [...ops.filter(is('DELETE', credential)), ...ops.filter(is('POST', `${credential}/revoke`))];
  expect(removals.length, `${s.contract.client} cannot revoke a credential`).toBeGreaterThan(0);
  for (const key of keys) {
    const op = removals[keys.indexOf(key) % removals.length]!;
    for (const step of op.steps) await s.call(step, { '{access_key_id}': key.accessKeyId }, { accessKeyId: key.accessKeyId });
    const client = s.s3(key);
    expect(await s3Status(client.send(new GetObjectCommand({ Bucket: main, Key: 'seed.txt' }))), `${s.contract.client}: the key is still served on S3 after "${op.steps[0]!.name}"`).toBe(403);
  }

  // Bucket delete: the pre-read refuses a locked or non-empty bucket; once emptied, the delete goes through.
  for (const op of ops.filter((o) => o.steps[0]!.flow?.name === 'delete bucket')) {
    const [preRead, remove] = op.steps as [ClientCall, ClientCall];
    const guards = new Set(preRead.requires.filter((r) => r.kind === 'rule' && deleteGuards.has(r.id)).map((r) => (r.kind === 'rule' ? r.id : '')));
    const full = await s.send(preRead, { '{bucket_name}': main });
    const fullProblems = [...openApiProblems(full), ...(full.seen.status === 200 ? [] : [`status ${full.seen.status}`])];
    expect(fullProblems, describeExchange(full, fullProblems, s.secrets)).toEqual([]);
    const refusedFull = failingRules(preRead, full.seen, s.context(full, { bucketName: main }), deleteGuards);
    s.expectTrue(full, refusedFull.some((id) => id === 'empty-by-count' || id === 'verified-empty'), `no emptiness guard stops the delete of a bucket holding objects (guards: ${[...guards].join(', ')})`);
    for (const locked of made.filter((b) => b.locked)) {
      if (!guards.has('not-object-locked')) continue;
      const read = await s.send(preRead, { '{bucket_name}': locked.name });
      s.expectTrue(read, failingRules(preRead, read.seen, s.context(read, { bucketName: locked.name }), deleteGuards).includes('not-object-locked'), 'the Object Lock guard lets a locked bucket be deleted');
    }
    await emptyBucket(admin, main);
    await s.call(preRead, { '{bucket_name}': main }, { bucketName: main });
    await s.call(remove, { '{bucket_name}': main }, { bucketName: main });
    s.buckets.delete(main);
    const gone = await s.send(preRead, { '{bucket_name}': main });
    const goneProblems = openApiProblems(gone);
    if (gone.seen.status !== 404 || (gone.seen.json as { error?: unknown }).error !== 'bucket_not_found') goneProblems.push('the deleted bucket does not read as 404 bucket_not_found');
    if (!preRead.errors.some((e) => e.status === 404)) goneProblems.push('the contract does not say what the client does with a 404 here');
    expect(goneProblems, describeExchange(gone, goneProblems, s.secrets)).toEqual([]);
  }
  expect(mock.server.context.storage.listBuckets(s.workspace).map((b) => b.name).sort()).toEqual([...s.buckets].sort());
}

/** What a key may do on S3 is what its level allows, in the buckets of its scope. */
async function expectS3AsAllowed(s: Session, key: HeldKey, main: string, other: string): Promise<void> {
  const client = s.s3(key);
  const inScope = (name: string) => key.scope === 'all' || key.buckets.includes(name);
  const what = `${s.contract.client}: ${key.level}/${key.scope} key`;
  expect(await s3Status(client.send(new GetObjectCommand({ Bucket: main, Key: 'seed.txt' }))), `${what} GET in ${main}`).toBe(isAllowed(key.level, 'GetObject') && inScope(main) ? 200 : 403);
  expect(await s3Status(client.send(new PutObjectCommand({ Bucket: main, Key: `by-${key.accessKeyId}`, Body: 'x' }))), `${what} PUT in ${main}`).toBe(
    isAllowed(key.level, 'PutObject') && inScope(main) ? 200 : 403,
  );
  expect(await s3Status(client.send(new GetObjectCommand({ Bucket: other, Key: 'seed.txt' }))), `${what} GET in ${other}`).toBe(isAllowed(key.level, 'GetObject') && inScope(other) ? 200 : 403);
}

async function emptyBucket(client: S3Client, name: string): Promise<void> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: name }));
  for (const object of listed.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: name, Key: object.Key! }));
  expect((await client.send(new ListObjectsV2Command({ Bucket: name }))).KeyCount ?? 0).toBe(0);
}

/**
 * The error answers a client decides something from: provoked where a request can provoke them (a token without
 * the scope, another or a malformed workspace, closed billing on a billable create, a missing bucket or key, a
 * taken name, a non-empty bucket), each must come with the status and code the client matches and the fields it
 * reads.
 */
describe.each(Object.values(clientContracts).map((contract, i) => [contract.client, contract, workspaces[i]!] as const))('%s', (client, contract, workspace) => {
  it('gets the error answers it decides on, with the fields it reads', async () => {
    const token = await mock.issueToken({ level: 'admin_rw', billing: true }, workspace);
    const billingOnly = await mock.issueToken({ objectStorage: false, billing: true }, workspace);
    const storageOnly = await mock.issueToken({ level: 'admin_rw' }, workspace);
    const s = new Session(contract, workspace, token, `${tags[client]}-err`);
    const other = workspaces.find((w) => w !== workspace)!;
    const taken = `${s.tag}-taken`;
    const full = `${s.tag}-full`;
    for (const name of [taken, full]) {
      expect((await mock.api('POST', buckets, { token: token.bearer, json: { name, region }, workspace })).status).toBe(201);
    }
    const seeder = s.s3({ accessKeyId: token.accessKeyId!, secretAccessKey: token.secretAccessKey! });
    expect(await s3Status(seeder.send(new PutObjectCommand({ Bucket: full, Key: 'held.txt', Body: 'x' })))).toBe(200);
    let provoked = 0;
    try {
      for (const call of contract.calls) {
        const route = restRoute(call.method, call.path);
        const named = call.path.includes('{');
        for (const expectation of call.errors) {
          const base: Placeholders = { '{name}': `${s.tag}-new`, '{bucket_name}': taken, '{access_key_id}': 'AKIA0000000000000000' };
          let values: Placeholders | null = null;
          let bearer = token.bearer;
          let closeBilling = false;
          if (expectation.code === 'insufficient_scope' || (expectation.status === 403 && expectation.code === undefined)) {
            values = base;
            bearer = route.grant.kind === 'billing' ? storageOnly.bearer : billingOnly.bearer;
          } else if (expectation.code === 'workspace_not_allowed') values = { ...base, '{workspace_id}': other };
          else if (expectation.code === 'invalid_workspace_id') values = { ...base, '{workspace_id}': 'abc' };
          else if (expectation.code === 'billing_denied' && route.billable) [values, closeBilling] = [base, true];
          else if (expectation.status === 404 && expectation.code === undefined && named) values = { ...base, '{bucket_name}': `${s.tag}-missing`, '{access_key_id}': 'AKIAFFFFFFFFFFFFFFFF' };
          else if (expectation.status === 409 && call.method === 'POST' && call.path === buckets) values = { ...base, '{name}': taken };
          else if (expectation.status === 409 && call.method === 'DELETE' && call.path === bucket) values = { ...base, '{bucket_name}': full };
          if (values === null) continue;
          if (closeBilling) expect((await mock.api('POST', '/_mock/billing', { json: { workspace_id: workspace, allowed: false, reason: 'insufficient_balance' } })).status).toBe(200);
          const exchange = await replay(mock.server.apiUrl, contract, call, s.values({ ...values, '{token}': bearer }));
          if (closeBilling) expect((await mock.api('POST', '/_mock/billing', { json: { workspace_id: workspace, allowed: true } })).status).toBe(200);
          provoked += 1;
          const body = (exchange.seen.json ?? {}) as Record<string, unknown>;
          const problems = openApiProblems(exchange);
          if (exchange.seen.status !== expectation.status) problems.push(`status ${exchange.seen.status}, the client expects ${expectation.status}`);
          if (expectation.code !== undefined && body.error !== expectation.code) problems.push(`error ${JSON.stringify(body.error)}, the client matches ${expectation.code}`);
          for (const field of expectation.reads ?? []) {
            if (typeof body[field] !== 'string' || body[field] === '') problems.push(`the client reads ${field}, which is ${JSON.stringify(body[field])}`);
          }
          s.secrets.push(billingOnly.bearer, storageOnly.bearer);
          expect(problems, describeExchange(exchange, [`expecting ${JSON.stringify(expectation)}`, ...problems], s.secrets)).toEqual([]);
        }
      }
    } finally {
      s.close();
    }
    expect(provoked, `${client}: no error answer provoked`).toBeGreaterThan(5);
  });
});
