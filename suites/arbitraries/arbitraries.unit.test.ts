import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { credentialNameLength, isValidBucketName, isValidObjectKey, permissionTypes, tokenExpiryDays, tokenNameLength } from '../../spec/index.js';
import { bucketName } from './bucketName.js';
import { excessiveClockSkew, tolerableClockSkew } from './clockSkew.js';
import { credentialRequest } from './credentialRequest.js';
import { expiryDays } from './expiryDays.js';
import { invalidExpiry, invalidExpiryExamples } from './invalidExpiry.js';
import { invalidTokenRequest } from './invalidTokenRequest.js';
import { objectKey } from './objectKey.js';
import { applyTamper, presignTamper } from './presignTamper.js';
import { tokenName } from './tokenName.js';
import { tokenRequest } from './tokenRequest.js';

/** The arbitraries generate exactly what their names promise, judged by spec/'s own predicates. */

const isValidExpiry = (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= tokenExpiryDays.value.min && value <= tokenExpiryDays.value.max;

describe('arbitraries', () => {
  it('valid generators stay valid', () => {
    fc.assert(
      fc.property(bucketName('run1'), objectKey(), tokenName('run1'), expiryDays(), (bucket, key, name, days) => {
        expect(isValidBucketName(bucket) && bucket.startsWith('run1-')).toBe(true);
        expect(isValidObjectKey(key)).toBe(true);
        expect(name.startsWith('run1-') && Array.from(name).length <= tokenNameLength.value.max).toBe(true);
        expect(isValidExpiry(days)).toBe(true);
      }),
    );
  });

  it('invalid expiries are never valid, and the boundary examples are among them', () => {
    fc.assert(
      fc.property(invalidExpiry(), (value) => {
        expect(isValidExpiry(value)).toBe(false);
      }),
    );
    expect(invalidExpiryExamples).toContain(tokenExpiryDays.value.max + 1);
    expect(invalidExpiryExamples).toContain(tokenExpiryDays.value.min - 1);
  });

  it('valid token requests always carry a scope, and bucket lists only with a specific scope', () => {
    fc.assert(
      fc.property(tokenRequest('run1', ['run1-a', 'run1-b']), (request) => {
        expect(request.object_storage !== undefined || request.billing !== undefined).toBe(true);
        const storage = request.object_storage;
        if (storage) expect(storage.bucket_scope === 'specific').toBe((storage.allowed_buckets?.length ?? 0) > 0);
      }),
    );
  });

  it('valid credential requests: a name under the prefix that reads back as sent, a level, and specific buckets only for object levels', () => {
    fc.assert(
      fc.property(credentialRequest('run1', ['run1-a', 'run1-b']), (request) => {
        expect(request.name.startsWith('run1-') && request.name === request.name.trim()).toBe(true);
        expect(Array.from(request.name).length).toBeLessThanOrEqual(credentialNameLength.value.max);
        expect(permissionTypes).toContain(request.permission_type);
        const buckets = request.allowed_buckets ?? [];
        expect(request.bucket_scope === 'specific').toBe(buckets.length > 0);
        if (request.bucket_scope === 'specific') expect(request.permission_type.startsWith('object')).toBe(true);
        expect(buckets.every((b) => ['run1-a', 'run1-b'].includes(b))).toBe(true);
      }),
    );
  });

  it('invalid token requests break the rule they claim to', () => {
    fc.assert(
      fc.property(invalidTokenRequest('run1', ['run1-a']), ({ violates, body }) => {
        const storage = body['object_storage'] as Record<string, unknown> | undefined;
        switch (violates) {
          case 'TOKEN-SCOPE-REQUIRED':
            expect(storage === undefined && body['billing'] === undefined).toBe(true);
            break;
          case 'TOKEN-NAME-REQUIRED': {
            const name = body['name'];
            expect(typeof name !== 'string' || name.length === 0 || Array.from(name).length > tokenNameLength.value.max).toBe(true);
            break;
          }
          case 'TOKEN-LEVEL-ONE':
            expect(['admin_rw', 'admin_ro', 'object_rw', 'object_ro']).not.toContain(storage?.['permission_type']);
            break;
          case 'TOKEN-BUCKET-SCOPE-SHAPE': {
            const buckets = (storage?.['allowed_buckets'] as string[] | undefined) ?? [];
            const shapeOk = storage?.['bucket_scope'] === 'all' ? buckets.length === 0 : buckets.length > 0 && buckets.every(isValidBucketName);
            expect(shapeOk).toBe(false);
            break;
          }
          case 'TOKEN-EXPIRY-BOUNDS':
            expect(isValidExpiry(body['expires_in_days'])).toBe(false);
            break;
        }
      }),
    );
  });

  it('clock skews fall on the side of the 15-minute limit they claim', () => {
    fc.assert(
      fc.property(excessiveClockSkew(), tolerableClockSkew(), (far, near) => {
        expect(Math.abs(far)).toBeGreaterThan(15 * 60);
        expect(Math.abs(near)).toBeLessThan(15 * 60);
      }),
    );
  });

  it('every tamper changes the presigned URL', () => {
    const url =
      'http://127.0.0.1:9000/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA0123456789ABCDEF%2F20261127%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261127T090000Z&X-Amz-Expires=3600&X-Amz-Signature=' +
      'a'.repeat(64) +
      '&X-Amz-SignedHeaders=host&x-id=GetObject';
    fc.assert(
      fc.property(presignTamper(), (tamper) => {
        expect(applyTamper(url, tamper)).not.toBe(new URL(url).toString());
      }),
    );
  });
});
