import { randomBytes, randomInt } from 'node:crypto';
import { accessKeyIdFormat, bearerTokenFormat, permissionMatrix, permissionTypes, s3Operations } from '../../spec/index.js';
import type { RunInfo } from '../aggregate.js';
import type { CheckRecord, Evidence } from '../results-format.js';

/**
 * Test data for the report pipeline: check records shaped like the ones the suites record (a permission-matrix
 * cell per operation x level x scope, property failures with shrunk counterexamples, seeds and evidence,
 * not-applicable and observed records), optionally with the faults the suites are meant to catch. Credentials are
 * generated the way the mock issues them, and deliberately left unredacted in places, to test the reports' own
 * redaction.
 */

export interface IssuedSecrets {
  readonly bearer: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly managementToken: string;
}

const alphanumeric = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function newSecretAccessKey(): string {
  let out = '';
  for (let i = 0; i < 40; i++) out += alphanumeric[randomInt(alphanumeric.length)];
  return out;
}

export function issueSecrets(): IssuedSecrets {
  return {
    bearer: bearerTokenFormat.value.prefix + randomBytes(32).toString('base64url'),
    accessKeyId: accessKeyIdFormat.value.prefix + randomBytes(8).toString('hex').toUpperCase(),
    secretAccessKey: newSecretAccessKey(),
    managementToken: `ibee_mgmt_${randomBytes(24).toString('base64url')}`,
  };
}

export interface Faults {
  /** An Object Read only token may PutObject. */
  readonly readOnlyWrite?: boolean;
  /** A revoked token keeps working for a moment. */
  readonly revokeLag?: boolean;
  /** The secret shows up again on a later read. */
  readonly secretLeak?: boolean;
}

/** Strings a report must show as text, never interpret. */
export const hostileKey = '<script>alert("k")</script>&amp;\'"><img src=x onerror=alert(1)>';

function sigv4Authorization(secrets: IssuedSecrets): string {
  return `AWS4-HMAC-SHA256 Credential=${secrets.accessKeyId}/20261127/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${randomBytes(32).toString('hex')}`;
}

export function fixtureChecks(secrets: IssuedSecrets, faults: Faults = {}): CheckRecord[] {
  const checks: CheckRecord[] = [];
  const bucket = 'ibc1a2b3c4d-b0';
  for (const cell of permissionMatrix) {
    const rule = s3Operations.find((r) => r.operation === cell.operation)!;
    for (const scope of ['in_scope', 'out_of_scope'] as const) {
      const expected = scope === 'in_scope' && cell.allowed ? 'allow' : 'deny';
      const faulty = faults.readOnlyWrite && cell.level === 'object_ro' && cell.operation === 'PutObject' && scope === 'in_scope';
      const observed = faulty ? 'allow' : expected;
      const ids = [...cell.requirementIds, ...(scope === 'out_of_scope' ? ['SCOPE-SPECIFIC'] : []), ...(expected === 'deny' ? ['PERM-DENIED-CODE'] : [])];
      const evidence: Evidence = {
        request: {
          method: rule.target === 'service' ? 'GET' : 'PUT',
          url: `http://127.0.0.1:9000/${bucket}/${encodeURIComponent(hostileKey)}`,
          headers: { authorization: sigv4Authorization(secrets), 'x-amz-date': '20261127T090000Z' },
          body: 'hello',
        },
        response: faulty ? { status: 200, headers: { etag: '"5d41402abc4b2a76b9719d911017c592"' }, body: '' } : { status: expected === 'allow' ? 200 : 403 },
      };
      checks.push({
        check: 'permissions.matrix-cell',
        requirementIds: ids,
        status: faulty ? 'failed' : 'passed',
        ...(faulty
          ? {
              message: `PutObject with an Object Read only token on an in-scope bucket was allowed (200); expected 403 AccessDenied`,
              counterexample: `[{"level":"object_ro","operation":"PutObject","bucket":"${bucket}","key":${JSON.stringify(hostileKey)}}]`,
              seed: 1_234_567,
              path: '3:1:0',
              evidence: [evidence],
            }
          : {}),
        cell: { operation: cell.operation, level: cell.level, scope, expected, observed },
        durationMs: 4,
      });
    }
  }
  checks.push({ check: 'permissions.monotonic', requirementIds: ['PERM-MONOTONIC'], status: 'passed', seed: 1_234_567, durationMs: 120 });
  for (const id of ['TOKEN-SCOPE-REQUIRED', 'TOKEN-NAME-REQUIRED', 'TOKEN-LEVEL-ONE', 'TOKEN-BUCKET-SCOPE-SHAPE', 'CRED-UNIQUE', 'CRED-S3-WORKS', 'REST-BEARER-AUTH']) {
    checks.push({ check: `tokens.${id.toLowerCase()}`, requirementIds: [id], status: 'passed', seed: 1_234_567, durationMs: 30 });
  }
  // The suites should have redacted this creation response; the reports must not rely on it.
  checks.push({
    check: 'tokens.credential-format',
    requirementIds: ['CRED-FORMAT'],
    status: 'passed',
    evidence: [
      {
        request: { method: 'POST', url: 'http://127.0.0.1:8080/v1/projects/p1/tokens', headers: { Authorization: `Bearer ${secrets.managementToken}` }, body: '{"name":"t1"}' },
        response: {
          status: 201,
          body: JSON.stringify({ id: 'tok_1', bearer_token: secrets.bearer, access_key_id: secrets.accessKeyId, secret_access_key: secrets.secretAccessKey }),
        },
      },
    ],
  });
  checks.push({
    check: 'secrets.never-again',
    requirementIds: ['SECRET-ONCE'],
    status: faults.secretLeak ? 'failed' : 'passed',
    ...(faults.secretLeak
      ? {
          message: `GET /v1/projects/p1/tokens/tok_1 returned the secret access key again: ${secrets.secretAccessKey}`,
          counterexample: `[{"route":"GET /v1/projects/p1/tokens/{id}","found":"${secrets.secretAccessKey}"}]`,
          seed: 99,
          path: '0',
          evidence: [
            {
              request: { method: 'GET', url: 'http://127.0.0.1:8080/v1/projects/p1/tokens/tok_1', headers: { authorization: `Bearer ${secrets.bearer}` } },
              response: { status: 200, body: `{"id":"tok_1","key_material":"${secrets.secretAccessKey}"}` },
            },
          ],
        }
      : {}),
  });
  checks.push({ check: 'expiry.bounds', requirementIds: ['TOKEN-EXPIRY-BOUNDS'], status: 'passed', seed: 1_234_567, durationMs: 300 });
  checks.push({ check: 'expiry.default', requirementIds: ['TOKEN-EXPIRY-DEFAULT'], status: 'passed' });
  checks.push({
    check: 'expiry.enforced',
    requirementIds: ['TOKEN-EXPIRY-ENFORCED'],
    status: 'not_applicable',
    reason: 'the target has no time travel (GET /_mock/clock answered 404)',
  });
  checks.push({
    check: 'revocation.model',
    requirementIds: ['REVOKE-IMMEDIATE', 'REVOKE-PERMANENT'],
    status: faults.revokeLag ? 'failed' : 'passed',
    seed: 424_242,
    ...(faults.revokeLag
      ? {
          message: 'GetObject with token t0 succeeded after its revoke call had returned',
          counterexample: 'CreateToken(object_rw, all) -> t0, PutObject(t0, "k"), RevokeToken(t0), GetObject(t0, "k")',
          path: '7:2:2:1',
          replay: 'npx ibee-conformance run --only REVOKE-IMMEDIATE --seed 424242',
        }
      : {}),
    durationMs: 900,
  });
  checks.push({ check: 'scoping.no-existence-leak', requirementIds: ['SCOPE-NO-EXISTENCE-LEAK'], status: 'passed' });
  checks.push({ check: 'scoping.all-new-buckets', requirementIds: ['SCOPE-ALL-NEW-BUCKETS'], status: 'passed' });
  checks.push({ check: 'scoping.copy-boundary', requirementIds: ['SCOPE-COPY-BOUNDARY'], status: 'passed' });
  checks.push({ check: 'scoping.admin-specific', requirementIds: ['SCOPE-ADMIN-SPECIFIC'], status: 'observed', observed: { accepted: true, status: 201 }, message: 'An admin_rw token limited to one bucket was created.' });
  checks.push({ check: 'scoping.listbuckets-view', requirementIds: ['SCOPE-LISTBUCKETS-VIEW'], status: 'observed', observed: 'only the buckets in scope' });
  checks.push({ check: 'auth.unknown-key', requirementIds: ['AUTH-UNKNOWN-KEY-CODE'], status: 'observed', observed: { status: 403, code: 'InvalidAccessKeyId' } });
  checks.push({ check: 'auth.signature', requirementIds: ['AUTH-SIGNATURE'], status: 'passed' });
  checks.push({
    check: 'auth.clock-skew',
    requirementIds: ['AUTH-CLOCK-SKEW'],
    status: 'passed',
    evidence: [
      {
        request: { method: 'GET', url: `http://127.0.0.1:9000/${bucket}?list-type=2` },
        response: { status: 403, body: '<?xml version="1.0"?><Error><Code>RequestTimeTooSkewed</Code></Error>' },
      },
    ],
  });
  checks.push({
    check: 'auth.presigned-tamper',
    requirementIds: ['PRESIGNED-TAMPER'],
    status: 'passed',
    evidence: [
      {
        request: {
          method: 'GET',
          url: `http://127.0.0.1:9000/${bucket}/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${secrets.accessKeyId}%2F20261127%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=60&X-Amz-Signature=${randomBytes(32).toString('hex')}`,
        },
        response: { status: 403, body: '<Error><Code>SignatureDoesNotMatch</Code></Error>' },
      },
    ],
  });
  checks.push({ check: 'auth.presigned-expiry', requirementIds: ['PRESIGNED-EXPIRY'], status: 'passed' });
  checks.push({ check: 'auth.presigned-signer-level', requirementIds: ['PRESIGNED-SIGNER-LEVEL'], status: 'observed', observed: 'object_ro may presign a download' });
  checks.push({ check: 'storage.bucket-names', requirementIds: ['BUCKET-NAME-RULES'], status: 'passed' });
  checks.push({ check: 'billing.scope', requirementIds: ['BILLING-SCOPE'], status: 'passed' });
  return checks;
}

export function fixtureRun(overrides: Partial<RunInfo> = {}): RunInfo {
  return {
    tool: { name: 'ibee-conformance', version: '0.1.0' },
    target: {
      api_url: 'https://api.example.test',
      s3_endpoint: 'https://p1.blob.example.test',
      driver: 'rest',
      embedded: false,
      capabilities: { timeTravel: false, timeTravelReason: 'the target has no time travel' },
    },
    started_at: '2026-11-27T09:00:00.000Z',
    finished_at: '2026-11-27T09:00:42.000Z',
    seed: 1_234_567,
    runs: 15,
    replayBase: 'npx ibee-conformance run --api-url https://api.example.test --s3-endpoint https://p1.blob.example.test --project-id p1 --runs 15',
    ...overrides,
  };
}

/** Levels in the order the grid shows them, for assertions. */
export const levels = permissionTypes;
