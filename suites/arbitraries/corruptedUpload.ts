import fc from 'fast-check';

/** The integrity headers a PUT can declare (DATA-INTEGRITY). */
export const declaredChecksums = ['content-md5', 'x-amz-checksum-crc32', 'x-amz-checksum-sha256', 'x-amz-content-sha256'] as const;
export type DeclaredChecksum = (typeof declaredChecksums)[number];

/** An upload damaged in transit: the checksum is declared for `original`, the bytes sent are `sent`. */
export interface CorruptedUpload {
  readonly checksum: DeclaredChecksum;
  readonly original: string;
  readonly sent: string;
}

const printable = fc.constantFrom(...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)));

/**
 * A printable-ASCII body (so that string and bytes agree) and the same body with one character changed (or, for
 * some, one character dropped or added): what a flipped bit or a truncated stream looks like to the server.
 */
export function corruptedUpload(): fc.Arbitrary<CorruptedUpload> {
  return fc
    .record({
      checksum: fc.constantFrom(...declaredChecksums),
      original: fc.array(printable, { minLength: 1, maxLength: 300 }).map((chars) => chars.join('')),
      damage: fc.constantFrom('change', 'drop', 'add'),
      at: fc.nat(),
      replacement: printable,
    })
    .map(({ checksum, original, damage, at, replacement }): CorruptedUpload => {
      const position = at % original.length;
      const before = original.slice(0, position);
      const after = original.slice(position + 1);
      const current = original[position]!;
      const sent =
        damage === 'drop'
          ? before + after
          : damage === 'add'
            ? before + current + replacement + after
            : before + (replacement === current ? (current === 'a' ? 'b' : 'a') : replacement) + after;
      return { checksum, original, sent };
    });
}
