import { describe, expect, it } from 'vitest';
import { clientContracts, type ClientCall } from '../index.js';
import { answerProblems, buildRequest, deleteGuards, describeExchange, failingRules, ruleProblem, type Exchange, type SeenAnswer } from './replay.js';

/** The replay checker finds what a client would refuse, so that a passing contract test means something. */

function callOf(client: keyof typeof clientContracts, name: string): ClientCall {
  const call = clientContracts[client].calls.find((c) => c.name === name);
  if (!call) throw new Error(`${client} has no call ${name}`);
  return call;
}

function answer(json: unknown, status = 200): SeenAnswer {
  return { status, headers: { 'content-type': 'application/json' }, text: JSON.stringify(json), json };
}

const bucket = {
  name: 'photos',
  region: 'in-south-1',
  is_public: false,
  bucket_lock_enabled: false,
  default_retention: null,
  status: 'active',
  object_count: 0,
  total_size: 0,
  created_at: '2026-01-02T03:04:05.678Z',
  updated_at: '2026-01-02T03:04:05.678Z',
};
const context = { sent: undefined, bucketName: 'photos', workspaceId: '1001', organizationId: '424242' };

function exchange(client: keyof typeof clientContracts, name: string, seen: SeenAnswer): Exchange {
  const call = callOf(client, name);
  return { client, call, sent: { method: call.method, url: 'http://127.0.0.1/x', headers: { Authorization: 'Bearer ibee_v4_secretsecret' }, body: undefined }, seen };
}

describe('the replay checker', () => {
  it('passes a bucket that meets every requirement, and names each one a bucket breaks', () => {
    expect(answerProblems(exchange('terraform-provider', 'get bucket', answer(bucket)), context)).toEqual([]);
    const problems = answerProblems(exchange('terraform-provider', 'get bucket', answer({ ...bucket, name: 'other', region: '', is_public: 'no' })), context);
    expect(problems).toEqual(
      expect.arrayContaining([
        '[runtime] region is blank',
        '[runtime] is_public is "no", not a boolean',
        '[runtime] rule same-bucket: name "other" identifies another bucket than "photos"',
      ]),
    );
    expect(problems.some((p) => p.startsWith('[openapi]'))).toBe(true);
    expect(answerProblems(exchange('python-sdk-0.4', 'get bucket', answer({ ...bucket, created_at: 'yesterday' })), context)).toContain(
      '[runtime] created_at "yesterday" is not date-time',
    );
    expect(answerProblems(exchange('python-sdk-0.4', 'get bucket', answer(bucket, 404)), context)).toContain('status 404 is outside the accepted 200-399');
  });

  it('checks every item of a list, and an empty body where JSON is required', () => {
    const listed = answer({ buckets: [bucket, { ...bucket, bucket_lock_enabled: null }], is_truncated: false });
    expect(answerProblems(exchange('python-sdk-0.4', 'list buckets page', listed), context)).toContain('[runtime] buckets[1].bucket_lock_enabled is null');
    const empty: SeenAnswer = { status: 204, headers: {}, text: '', json: undefined };
    expect(answerProblems(exchange('cli-0.4', 'delete bucket', empty), context)).toContain('[runtime] the body is not JSON (empty)');
    expect(answerProblems(exchange('terraform-provider', 'delete bucket', { ...empty, status: 200 }), context).filter((p) => !p.startsWith('[openapi]'))).toEqual([]);
  });

  it('reports the delete guards a locked or non-empty bucket trips', () => {
    const ts = callOf('typescript-sdk-0.4', 'delete bucket: pre-read');
    expect(failingRules(ts, answer({ ...bucket, object_count: 3 }), context, deleteGuards)).toEqual(['empty-by-count']);
    expect(failingRules(ts, answer({ ...bucket, object_lock_enabled: true }), context, deleteGuards)).toEqual(['not-object-locked']);
    const tf = callOf('terraform-provider', 'delete bucket: pre-read');
    const { total_size: _omitted, ...withoutSize } = bucket;
    expect(failingRules(tf, answer(withoutSize), context, deleteGuards)).toEqual(['verified-empty']);
    expect(failingRules(tf, answer(bucket), context, deleteGuards)).toEqual([]);
  });

  it('compares echoes and tenancy with what was sent and configured', () => {
    const sku = { kind: 'rule', id: 'sku-echo', paths: ['sku_code'], rule: '', enforcement: 'runtime' } as const;
    expect(ruleProblem(sku, { sku_code: 'OBJECTST-STD' }, { ...context, sent: { sku_code: ' objectst-std ' } })).toBeNull();
    expect(ruleProblem(sku, {}, { ...context, sent: { sku_code: 'OBJECTST-STD' } })).toMatch(/does not echo/);
    const tenancy = { kind: 'rule', id: 'workspace-matches', paths: [], rule: '', enforcement: 'runtime' } as const;
    expect(ruleProblem(tenancy, { workspace_id: '1001', organization_id: '424242' }, context)).toBeNull();
    expect(ruleProblem(tenancy, { workspace_id: 1001, organization_id: '424242' }, context)).toMatch(/not the configured "1001"/);
    expect(ruleProblem({ ...tenancy, id: 'a-rule-nobody-wrote' }, {}, context)).toBe('no check is written for rule a-rule-nobody-wrote');
  });

  it('builds requests exactly as the data says, and redacts secrets in failure messages', () => {
    const call = callOf('typescript-sdk-0.4', 'list buckets page with limit and continuation_token');
    const values = { '{workspace_id}': '1001', '{token}': 'ibee_v4_secretsecret', '{limit}': '7' };
    expect(buildRequest('http://h', call, values).url).toBe('http://h/v1/object-storage/buckets?workspace_id=1001&limit=7');
    expect(buildRequest('http://h', call, { ...values, '{continuation_token}': 'a b' }).url).toBe('http://h/v1/object-storage/buckets?workspace_id=1001&limit=7&continuation_token=a+b');
    expect(() => buildRequest('http://h', callOf('python-sdk-0.4', 'get bucket'), values)).toThrow(/\{bucket_name\}/);
    const get = buildRequest('http://h', callOf('python-sdk-0.4', 'get bucket'), { ...values, '{bucket_name}': 'a/b', '{python_version}': '3', '{os}': 'l', '{os_release}': '6' });
    expect(get.url).toBe('http://h/v1/object-storage/buckets/a%2Fb?workspace_id=1001');
    const message = describeExchange(exchange('python-sdk-0.4', 'get bucket', answer(bucket)), ['x'], ['ibee_v4_secretsecret']);
    expect(message).toContain('devs-ibee/ibee-python/src/ibee/storage_workflows.py@3f1aeb9f');
    expect(message).not.toContain('ibee_v4_secretsecret');
  });
});
