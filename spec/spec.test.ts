import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import {
  isRequirementId,
  levelIncludes,
  loadOpenApi,
  openApiPath,
  permissionMatrix,
  permissionTypes,
  requirementAreas,
  requirements,
  restErrors,
  restRoutes,
  restScopes,
  s3CompatibilityOperations,
  s3Operation,
  s3Operations,
  servedPermissionMatrix,
  sources,
  sourcesBeyondDigests,
} from './index.js';
import * as limits from './limits.js';
import * as publicApi from './public-api.js';
import type { Fact } from './basis.js';

const referenceDir = resolve(process.env.IBEE_REFERENCE_DIR ?? join(import.meta.dirname, '..', '..', 'shared', 'reference'));

describe('requirement catalogue', () => {
  it('holds the stable ids that CI gating depends on', () => {
    const stable = [
      'TOKEN-SCOPE-REQUIRED', 'TOKEN-EXPIRY-BOUNDS', 'TOKEN-EXPIRY-DEFAULT', 'TOKEN-EXPIRY-ENFORCED', 'SECRET-ONCE',
      'CRED-FORMAT', 'CRED-UNIQUE', 'PERM-ADMIN-RW', 'PERM-ADMIN-RO', 'PERM-OBJECT-RW', 'PERM-OBJECT-RO',
      'SCOPE-SPECIFIC', 'SCOPE-ALL-NEW-BUCKETS', 'BILLING-SCOPE', 'REVOKE-IMMEDIATE', 'REVOKE-PERMANENT',
      'AUTH-SIGNATURE', 'PRESIGNED-EXPIRY',
    ];
    for (const id of stable) expect(isRequirementId(id), id).toBe(true);
  });

  it('has unique, well-formed ids and a level that follows the basis', () => {
    const ids = requirements.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const expectedLevel = { documented: 'MUST', inferred: 'SHOULD', ambiguous: 'INFO' } as const;
    for (const r of requirements) {
      expect(r.id).toMatch(/^[A-Z0-9]+(?:-[A-Z0-9]+)+$/);
      expect(r.level, r.id).toBe(expectedLevel[r.basis]);
      expect(requirementAreas).toContain(r.area);
      expect(r.statement.length, r.id).toBeGreaterThan(10);
      expect(r.sources.length, r.id).toBeGreaterThan(0);
    }
  });
});

describe('permission matrix', () => {
  it('has a row for all four levels for every S3 operation, and only those', () => {
    expect(new Set(s3Operations.map((o) => o.operation)).size).toBe(s3Operations.length);
    for (const op of s3Operations) {
      const cells = permissionMatrix.filter((c) => c.operation === op.operation);
      expect(cells.map((c) => c.level).sort(), op.operation).toEqual([...permissionTypes].sort());
    }
    expect(permissionMatrix.length).toBe(s3Operations.length * permissionTypes.length);
  });

  it('keeps the compatibility operations out of the judged matrix, and the mock enforces both', () => {
    const judged = new Set<string>(s3Operations.map((o) => o.operation));
    for (const op of s3CompatibilityOperations) {
      expect(judged.has(op.operation), op.operation).toBe(false);
      expect(permissionMatrix.some((c) => c.operation === op.operation)).toBe(false);
      expect(servedPermissionMatrix.filter((c) => c.operation === op.operation).map((c) => c.level).sort()).toEqual([...permissionTypes].sort());
      expect(s3Operation(op.operation)).toBe(op);
    }
    expect(servedPermissionMatrix.length).toBe((s3Operations.length + s3CompatibilityOperations.length) * permissionTypes.length);
  });

  it('references only requirement ids that exist', () => {
    for (const cell of permissionMatrix) for (const id of cell.requirementIds) expect(isRequirementId(id), id).toBe(true);
    for (const op of s3Operations) for (const id of op.requirementIds) expect(isRequirementId(id), id).toBe(true);
    for (const route of restRoutes) for (const id of route.requirementIds) expect(isRequirementId(id), id).toBe(true);
  });

  it('is monotonic: a level never loses an operation a level it includes has', () => {
    for (const higher of permissionTypes)
      for (const lower of permissionTypes) {
        if (!levelIncludes(higher, lower)) continue;
        for (const op of s3Operations) {
          const low = permissionMatrix.find((c) => c.operation === op.operation && c.level === lower)!;
          const high = permissionMatrix.find((c) => c.operation === op.operation && c.level === higher)!;
          if (low.allowed) expect(high.allowed, `${higher} vs ${lower} on ${op.operation}`).toBe(true);
        }
      }
  });

  it('matches the documented table in its key cells', () => {
    const allowed = (op: string, level: string) => permissionMatrix.find((c) => c.operation === op && c.level === level)!.allowed;
    expect(allowed('CreateBucket', 'admin_rw')).toBe(true);
    expect(allowed('CreateBucket', 'admin_ro')).toBe(false);
    expect(allowed('ListBuckets', 'admin_ro')).toBe(true);
    expect(allowed('ListBuckets', 'object_rw')).toBe(false);
    expect(allowed('PutObject', 'object_rw')).toBe(true);
    expect(allowed('PutObject', 'admin_ro')).toBe(false);
    expect(allowed('GetObject', 'object_ro')).toBe(true);
    expect(allowed('PutBucketCors', 'admin_ro')).toBe(false);
    expect(allowed('GetBucketCors', 'admin_ro')).toBe(true);
  });

  it('gives every REST route one of IBEE\'s scopes and what decides it', () => {
    for (const route of restRoutes) {
      expect(restScopes).toContain(route.requiredScope);
      if (route.grant.kind === 'billing') {
        expect(route.requiredScope).toBe('billing.read');
        continue;
      }
      const { mirrors, action } = route.grant;
      if (mirrors === 'admin read') expect(action).toBe('config.read');
      else if (mirrors === 'admin write') expect(action).toBe('config.write');
      else expect(s3Operations.find((o) => o.operation === mirrors)?.action, route.path).toBe(action);
    }
  });

  it('names a REST scope by what the route does: reads, writes, or deletes a bucket', () => {
    for (const route of restRoutes.filter((r) => r.grant.kind === 'object-storage')) {
      const expected = route.method === 'GET' ? 'object-storage.read' : route.method === 'DELETE' && route.path.includes('/buckets/') ? 'object-storage.delete' : 'object-storage.write';
      expect(route.requiredScope, `${route.method} ${route.path}`).toBe(expected);
    }
  });

  it('lists every REST error code once, with a 4xx or 5xx status', () => {
    const codes = restErrors.map((e) => e.error);
    expect(new Set(codes).size).toBe(codes.length);
    for (const e of restErrors) expect(e.status >= 400 && e.status <= 599, e.error).toBe(true);
  });

  it('is the README\'s table of REST errors, row for row', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const header = readme.indexOf('| status | `error` | when |');
    expect(header, 'the README has a table of REST errors').toBeGreaterThan(-1);
    const rows = readme
      .slice(header)
      .split('\n')
      .slice(2)
      .filter((line, i, lines) => line.startsWith('|') && lines.slice(0, i).every((l) => l.startsWith('|')));
    const documented = rows.map((row) => {
      const [status, error, when] = row.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll('\\|', '|'));
      return { status: Number(status), error: error?.replaceAll('`', ''), when };
    });
    const expected = restErrors.map((e) => ({ status: e.status, error: e.error, when: 'mockOnly' in e ? `${e.when} (mock-only route)` : e.when }));
    expect(documented).toEqual(expected);
  });
});

describe('bounds and formats', () => {
  const facts = ([...Object.values(limits), ...Object.values(publicApi)] as unknown[]).filter(
    (v): v is Fact<unknown> => typeof v === 'object' && v !== null && 'id' in v && 'value' in v,
  );

  it('carry distinct ids, statements and sources', () => {
    expect(facts.length).toBeGreaterThan(8);
    expect(new Set(facts.map((f) => f.id)).size).toBe(facts.length);
    for (const fact of facts) {
      expect(fact.id).toMatch(/^(LIMIT|FORMAT)-/);
      expect(fact.sources.length).toBeGreaterThan(0);
    }
  });

  it('state the documented values', () => {
    expect(limits.tokenExpiryDays.value).toEqual({ min: 1, max: 365, default: 90 });
    expect(limits.accessKeyIdFormat.value.pattern.test('AKIAFA2D0EB3E226DA73')).toBe(true);
    expect(limits.accessKeyIdFormat.value.pattern.test('AKIAfa2d0eb3e226da73')).toBe(false);
    expect(limits.bearerTokenFormat.value.prefix).toBe('ibee_v4_');
    for (const ok of ['my-bucket', 'data-store-01', 'project-assets', 'abc']) expect(limits.isValidBucketName(ok), ok).toBe(true);
    for (const bad of ['My-Bucket', '-startwithdash', 'endswithdash-', 'bucket_with_underscore', 'project.assets', 'ab', 'a'.repeat(64)])
      expect(limits.isValidBucketName(bad), bad).toBe(false);
    expect(limits.isValidObjectKey('a'.repeat(1024))).toBe(true);
    expect(limits.isValidObjectKey('a'.repeat(1025))).toBe(false);
    expect(limits.isValidObjectKey('é'.repeat(513))).toBe(false);
  });
});

describe('sources', () => {
  it('are cited by the rules, and every cited tag is known', () => {
    const cited = new Set<string>([
      ...requirements.flatMap((r) => r.sources),
      ...s3Operations.flatMap((o) => o.sources),
      ...s3CompatibilityOperations.flatMap((o) => o.sources),
    ]);
    for (const tag of cited) expect(Object.keys(sources)).toContain(tag);
  });

  // The reference digests sit beside the repository in this project's workspace (and in CI); a clone elsewhere
  // can point IBEE_REFERENCE_DIR at a copy.
  it.runIf(existsSync(referenceDir))('are URLs that the reference digests give', () => {
    const text = readdirSync(referenceDir)
      .map((f) => readFileSync(join(referenceDir, f), 'utf8'))
      .join('\n');
    for (const [tag, url] of Object.entries(sources)) {
      if ((sourcesBeyondDigests as readonly string[]).includes(tag)) continue;
      expect(text.includes(url), `${tag} ${url}`).toBe(true);
    }
  });
});

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = loadOpenApi();
    expect(doc.openapi).toMatch(/^3\.1\./);
    await expect(SwaggerParser.validate(openApiPath)).resolves.toBeTruthy();
  });

  it('describes every REST route the permission model names', () => {
    const doc = loadOpenApi();
    for (const route of restRoutes) {
      const item = doc.paths?.[route.path];
      expect(item, route.path).toBeDefined();
      expect(item?.[route.method.toLowerCase() as 'get'], `${route.method} ${route.path}`).toBeDefined();
    }
  });
});
