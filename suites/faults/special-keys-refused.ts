import { defineFault } from './proxy/fault.js';

/** Characters a key may hold for this fault to let it through: the ones no signer percent-encodes, space and `/`. */
const plainKey = /^[A-Za-z0-9 /._~-]*$/;

/**
 * An object write whose key holds any other character (non-ASCII, `(`, `{`, `+`, …) is refused with 403
 * SignatureDoesNotMatch, as by a server that checks the signature against a path it encoded otherwise than the
 * client (moto's does). Caught by the round trip of such keys; the checks that merely need an object in a bucket
 * must not blame their own requirements for it.
 */
export const specialKeysRefused = defineFault({
  name: 'special-keys-refused',
  requirementId: 'OBJECT-ROUNDTRIP',
  start: () => ({
    request: ({ kind, method, url }) => {
      if (kind !== 's3' || method !== 'PUT') return null;
      const [path = ''] = url.split('?');
      const key = /^\/[^/]+\/(.+)$/.exec(path)?.[1];
      if (key === undefined) return null;
      let decoded: string;
      try {
        decoded = decodeURIComponent(key);
      } catch {
        decoded = key;
      }
      if (plainKey.test(decoded)) return null;
      const body = Buffer.from(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message></Error>',
      );
      return { answer: { status: 403, headers: { 'content-type': 'application/xml' }, body } };
    },
  }),
});
