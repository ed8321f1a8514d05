import fc from 'fast-check';
import { workspaceIdFormat } from '../../spec/index.js';

/** What a malformed `workspace_id` gets wrong; counterexamples say it. */
export type WorkspaceIdFault = 'empty' | 'zero' | 'leading-zero' | 'sign' | 'fraction' | 'exponent' | 'whitespace' | 'other-digits' | 'text' | 'repeated';

export interface MalformedWorkspaceId {
  readonly breaks: WorkspaceIdFault;
  /** The `workspace_id` values the request carries, in order. */
  readonly values: readonly string[];
}

const isWellFormed = (id: string): boolean => workspaceIdFormat.value.pattern.test(id);

/**
 * `workspace_id` query values a server must refuse as malformed (400 `invalid_workspace_id`): anything but exactly
 * one positive decimal integer. Most are built around `own`, the workspace the token belongs to, so that only the
 * form is wrong; `repeated` sends `own` twice. A single value is never `own` itself.
 */
export function malformedWorkspaceId(own: string): fc.Arbitrary<MalformedWorkspaceId> {
  const digits = isWellFormed(own) ? own : '1';
  const one = (breaks: WorkspaceIdFault, values: fc.Arbitrary<string>) =>
    values.filter((value) => value !== own && !isWellFormed(value)).map((value): MalformedWorkspaceId => ({ breaks, values: [value] }));
  return fc.oneof(
    one('empty', fc.constant('')),
    one('zero', fc.constantFrom('0', '00')),
    one('leading-zero', fc.integer({ min: 1, max: 3 }).map((zeros) => `${'0'.repeat(zeros)}${digits}`)),
    one('sign', fc.constantFrom(`-${digits}`, `+${digits}`)),
    one('fraction', fc.constantFrom(`${digits}.0`, `${digits}.5`, '0.5')),
    one('exponent', fc.constantFrom(`${digits}e0`, '1e3', '0x1f')),
    one('whitespace', fc.constantFrom(` ${digits}`, `${digits} `, `${digits}\t`, `${digits}\n`)),
    // Unicode digits that `\d`-happy parsers take for numbers: Arabic-Indic, full-width, Devanagari.
    one('other-digits', fc.constantFrom('١٢٣', '１２３', '१२३', `${digits}٠`)),
    one('text', fc.string({ minLength: 1, maxLength: 24 })),
    fc.constant<MalformedWorkspaceId>({ breaks: 'repeated', values: [own, own] }),
  );
}
