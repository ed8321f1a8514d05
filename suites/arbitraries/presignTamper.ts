import fc from 'fast-check';

/** One way to alter a signed part of a presigned URL (PRESIGNED-TAMPER). */
export type PresignTamper =
  | { readonly part: 'key'; readonly suffix: string }
  | { readonly part: 'expires'; readonly delta: number }
  | { readonly part: 'date'; readonly deltaSeconds: number }
  | { readonly part: 'signature'; readonly position: number }
  | { readonly part: 'credential' };

export function presignTamper(): fc.Arbitrary<PresignTamper> {
  return fc.oneof(
    fc.stringMatching(/^[a-z0-9]{1,8}$/).map((suffix): PresignTamper => ({ part: 'key', suffix })),
    fc.integer({ min: 1, max: 3600 }).map((delta): PresignTamper => ({ part: 'expires', delta })),
    fc.integer({ min: 1, max: 600 }).map((deltaSeconds): PresignTamper => ({ part: 'date', deltaSeconds: -deltaSeconds })),
    fc.integer({ min: 0, max: 63 }).map((position): PresignTamper => ({ part: 'signature', position })),
    fc.constant<PresignTamper>({ part: 'credential' }),
  );
}

function isoBasic(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Applies a tamper to a presigned URL; the result differs from the signed one in exactly that part. */
export function applyTamper(url: string, tamper: PresignTamper): string {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  switch (tamper.part) {
    case 'key':
      parsed.pathname = `${parsed.pathname}${tamper.suffix}`;
      break;
    case 'expires':
      params.set('X-Amz-Expires', String(Math.min(604_800, Number(params.get('X-Amz-Expires')) + tamper.delta)));
      break;
    case 'date': {
      const raw = params.get('X-Amz-Date') ?? '';
      const signed = new Date(raw.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
      params.set('X-Amz-Date', isoBasic(new Date(signed.getTime() + tamper.deltaSeconds * 1000)));
      break;
    }
    case 'signature': {
      const signature = params.get('X-Amz-Signature') ?? '';
      const position = tamper.position % Math.max(1, signature.length);
      const flipped = signature[position] === '0' ? '1' : '0';
      params.set('X-Amz-Signature', `${signature.slice(0, position)}${flipped}${signature.slice(position + 1)}`);
      break;
    }
    case 'credential': {
      const credential = params.get('X-Amz-Credential') ?? '';
      params.set('X-Amz-Credential', credential.replace(/^AKIA[0-9A-F]/, (m) => `${m.slice(0, 4)}${m[4] === '0' ? '1' : '0'}`));
      break;
    }
  }
  return parsed.toString();
}
