import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { findSecrets, forgetSecretsForTesting, redact, redactedMarker, redactText, registerSecret } from './redact.js';

describe('redaction', () => {
  afterEach(() => forgetSecretsForTesting());

  it('replaces every registered secret wherever it appears, in keys and values, however deep', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9/+]{20,40}$/), fc.string(), fc.string(), (secret, before, after) => {
        forgetSecretsForTesting();
        registerSecret(secret, 'secret of token t1');
        const record = { message: `${before}${secret}${after}`, nested: [{ [secret]: secret }], n: 1 };
        const text = JSON.stringify(redact(record));
        expect(text).not.toContain(secret);
        expect(text).toContain(redactedMarker);
      }),
    );
  });

  it('names leaked secrets by label, never by value', () => {
    registerSecret('ibee_v4_abcdefghijklmnopqrstuvwx', 'bearer_token of token t2');
    expect(findSecrets('... ibee_v4_abcdefghijklmnopqrstuvwx ...')).toEqual(['bearer_token of token t2']);
    expect(findSecrets('nothing here')).toEqual([]);
  });

  it('scrubs Bearer values it never saw issued, but leaves the word Bearer in prose alone', () => {
    expect(redactText('authorization: Bearer ibee_v4_forgedforgedforged123')).toBe(`authorization: Bearer ${redactedMarker}`);
    expect(redactText('the next Bearer request answered 200')).toBe('the next Bearer request answered 200');
  });

  it('scrubs presigned URL signatures', () => {
    const url = `http://h/b/k?X-Amz-Expires=60&X-Amz-Signature=${'ab'.repeat(32)}&x-id=GetObject`;
    expect(redactText(url)).toBe(`http://h/b/k?X-Amz-Expires=60&X-Amz-Signature=${redactedMarker}&x-id=GetObject`);
  });

  it('ignores values too short to be secrets', () => {
    registerSecret('abc', 'short');
    expect(redactText('abc abc')).toBe('abc abc');
  });
});
