/**
 * Regression tests from a review of 59d8917 (a JSON body that is not UTF-8 is 400 invalid_json). The check runs on the raw bytes, but
 * body-parser still decodes the body with the charset the client declares, and it accepts every `utf-*` charset
 * (utf-16le, utf-7, …). So the UTF-8 check and the decoding disagree: a body declared UTF-16 is judged as if it were
 * UTF-8, then decoded as UTF-16.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, managementToken, type Harness } from '../rest/test/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const tokensUrl = `/v1/projects/1001/api-tokens`;
const tail = '","billing":{"permission_type":"read_only"}}';

/** Every name stored in the project's tokens. */
const names = () => h.tokens.list(h.projectId).map((token) => token.name);

describe('JSON bodies and their declared charset', () => {
  it('a body that decodes to something other than well-formed Unicode is never stored, whatever its declared utf-* charset', async () => {
    // A UTF-16LE body whose bytes happen to be valid UTF-8 (00 DC A9 00 is NUL, U+0729, NUL in UTF-8) but whose
    // UTF-16 reading is a lone low surrogate (0xDC00) then '©'. It passes the isUtf8 check, is decoded as UTF-16, and the
    // lone surrogate reaches the token's name (SQLite stores it as U+FFFD).
    const raw = Buffer.concat([Buffer.from('{"name":"', 'utf16le'), Buffer.from([0x00, 0xdc, 0xa9, 0x00]), Buffer.from(tail, 'utf16le')]);
    const res = await h.call('POST', tokensUrl, { token: managementToken, raw, contentType: 'application/json; charset=utf-16le' });
    const stored = names();
    expect(res.status, `answered ${res.status} ${res.text}; stored ${JSON.stringify(stored)}`).toBeGreaterThanOrEqual(400);
    for (const name of stored) expect(name.isWellFormed() && !name.includes('\ufffd'), JSON.stringify(name)).toBe(true);
  });

  it('the verdict on a body does not depend on a charset parameter the UTF-8 check ignores', async () => {
    // Either the mock takes only UTF-8 (RFC 8259: then every non-UTF-8 charset is refused, 415 or 400), or it takes
    // UTF-16 as body-parser does (then a valid UTF-16 body is accepted). Today a UTF-16 body is accepted when its
    // text is ASCII and refused as "not valid UTF-8" when it holds any other character.
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('ascii only', 'café', 'naïve', 'Ωmega'), fc.constantFrom('utf-16le', 'utf-16'), async (name, charset) => {
        const encoding = 'utf16le';
        const body = `{"name":"${name}${tail}`;
        const raw = charset === 'utf-16' ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(body, encoding)]) : Buffer.from(body, encoding);
        const res = await h.call('POST', tokensUrl, { token: managementToken, raw, contentType: `application/json; charset=${charset}` });
        const asciiRes = await h.call('POST', tokensUrl, {
          token: managementToken,
          raw: charset === 'utf-16' ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`{"name":"ascii${tail}`, encoding)]) : Buffer.from(`{"name":"ascii${tail}`, encoding),
          contentType: `application/json; charset=${charset}`,
        });
        // Same charset, same shape of body: the same class of answer.
        expect(res.status >= 400, `${charset} ${JSON.stringify(name)}: ${res.status} ${res.text} vs ascii ${asciiRes.status}`).toBe(asciiRes.status >= 400);
      }),
      { numRuns: 12 },
    );
  });

  it('utf-7 is not a way around the check either: its decoded names are not stored', async () => {
    // "+2ADcAA-" is UTF-7 for the pair D800 DC00; ASCII bytes, so isUtf8 passes, and iconv decodes it as UTF-7.
    const raw = Buffer.from(`{"name":"+2ADcAA-x${tail}`);
    const res = await h.call('POST', tokensUrl, { token: managementToken, raw, contentType: 'application/json; charset=utf-7' });
    // A UTF-8 reading would give the name "+2ADcAA-x"; anything else means the body was not read as UTF-8.
    if (res.status < 300) expect(names()).toContain('+2ADcAA-x');
  });

  it('plain UTF-8 bodies, with or without charset=utf-8, are still accepted byte for byte (regression)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-8'), async (name, contentType) => {
        const raw = Buffer.from(JSON.stringify({ name, billing: { permission_type: 'read_only' } }));
        const res = await h.call('POST', tokensUrl, { token: managementToken, raw, contentType });
        if (res.status === 201) expect(res.body.name).toBe(name);
        else expect(res.body.error, res.text).not.toBe('invalid_json');
      }),
      { numRuns: 40 },
    );
  });
});
