import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { findSecrets, forgetSecretsForTesting, REDACTED, redactCheck, redactRecorded, redactRecordedText, redactText, registerSecret } from './redact.js';
import { newSecretAccessKey } from './test/fixtures.js';

describe('recording pass', () => {
  afterEach(() => forgetSecretsForTesting());

  it('replaces every registered secret wherever it appears, in keys and values, however deep', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9/+]{20,40}$/), fc.string(), fc.string(), (secret, before, after) => {
        forgetSecretsForTesting();
        registerSecret(secret, 'secret of token t1');
        const record = { message: `${before}${secret}${after}`, nested: [{ [secret]: secret }], n: 1 };
        const text = JSON.stringify(redactRecorded(record));
        expect(text).not.toContain(secret);
        expect(text).toContain(REDACTED);
      }),
    );
  });

  it('names leaked secrets by label, never by value', () => {
    registerSecret('ibee_v4_abcdefghijklmnopqrstuvwx', 'bearer_token of token t2');
    expect(findSecrets('... ibee_v4_abcdefghijklmnopqrstuvwx ...')).toEqual(['bearer_token of token t2']);
    expect(findSecrets('nothing here')).toEqual([]);
  });

  it('scrubs Bearer values it never saw issued, but leaves the word Bearer in prose alone', () => {
    expect(redactRecordedText('authorization: Bearer ibee_v4_forgedforgedforged123')).toBe(`authorization: Bearer ${REDACTED}`);
    expect(redactRecordedText('the next Bearer request answered 200')).toBe('the next Bearer request answered 200');
  });

  it('scrubs presigned URL signatures', () => {
    const url = `http://h/b/k?X-Amz-Expires=60&X-Amz-Signature=${'ab'.repeat(32)}&x-id=GetObject`;
    expect(redactRecordedText(url)).toBe(`http://h/b/k?X-Amz-Expires=60&X-Amz-Signature=${REDACTED}&x-id=GetObject`);
  });

  it('ignores values too short to be secrets', () => {
    registerSecret('abc', 'short');
    expect(redactRecordedText('abc abc')).toBe('abc abc');
  });
});

describe('report pass', () => {
  it('scrubs freshly generated secrets in free text, however they are generated', () => {
    // Misses are possible for a random key only with probability below 1e-6 each (fewer than 1 in 4 class changes).
    for (let i = 0; i < 300; i++) {
      const secret = newSecretAccessKey();
      expect(redactText(`leaked ${secret}.`)).toBe(`leaked ${REDACTED}.`);
    }
  });

  it('leaves ordinary evidence readable: digests, ids, dates, operation names, access key ids', () => {
    const ordinary = [
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      '"5d41402abc4b2a76b9719d911017c592"',
      'AKIA0123456789ABCDEF',
      '2026-11-27T09:00:00.000Z',
      'GetBucketLifecycleConfiguration/PutBucketLifecycleConfiguration',
      '3f2b8c1e-9a4d-4c3b-8e2f-1a2b3c4d5e6f',
      'Bearer token was accepted after revoke',
      'tokens: 3',
    ];
    for (const text of ordinary) expect(redactText(text)).toBe(text);
  });

  it('keeps the S3 part of evidence (operation, access key id, code, request id) and scrubs its message', () => {
    const secret = newSecretAccessKey();
    const check = redactCheck({
      check: 'permissions.s3-grid',
      requirementIds: ['PERM-OBJECT-RO'],
      status: 'failed',
      evidence: [
        {
          request: { method: 'PUT', url: 'http://s3.test/b/k?x-id=PutObject' },
          response: { status: 403 },
          s3: { operation: 'PutObject', accessKeyId: 'AKIA0123456789ABCDEF', code: 'AccessDenied', message: `denied for ${secret}`, requestId: '719BFA74C8AC2066' },
        },
      ],
    });
    expect(check.evidence?.[0]?.s3).toEqual({ operation: 'PutObject', accessKeyId: 'AKIA0123456789ABCDEF', code: 'AccessDenied', message: `denied for ${REDACTED}`, requestId: '719BFA74C8AC2066' });
  });
});
