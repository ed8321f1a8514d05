/**
 * Every secret the run handles (secret access keys and bearer tokens issued during the run, the management token)
 * is registered here, so that anything recorded can be scrubbed and any response can be scanned for a leak.
 */

export const redactedMarker = '[REDACTED]';

interface SecretEntry {
  readonly value: string;
  /** What it is, safe to print: e.g. `secret_access_key of token tok_123`. */
  readonly label: string;
}

const secrets = new Map<string, SecretEntry>();

/** Values shorter than this are not treated as secrets: scrubbing them would mangle ordinary text. */
const minSecretLength = 8;

export function registerSecret(value: string | null | undefined, label: string): void {
  if (typeof value !== 'string' || value.length < minSecretLength) return;
  if (!secrets.has(value)) secrets.set(value, { value, label });
}

/** The secrets a text contains, by label (never the values). */
export function findSecrets(text: string): string[] {
  const found: string[] = [];
  for (const entry of secrets.values()) if (text.includes(entry.value)) found.push(entry.label);
  return found;
}

export function redactText(text: string): string {
  let out = text;
  // Longest first, so that a secret containing another is replaced whole.
  const values = [...secrets.keys()].sort((a, b) => b.length - a.length);
  for (const value of values) if (out.includes(value)) out = out.split(value).join(redactedMarker);
  // Bearer values we never saw issued (e.g. forged ones) still do not belong in a report.
  // A presigned URL's signature is a credential until the URL expires (up to 7 days).
  return out
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi, `$1${redactedMarker}`)
    .replace(/(X-Amz-Signature=)[0-9a-f]{64}/gi, `$1${redactedMarker}`);
}

/** A deep copy of `value` with every registered secret replaced by `[REDACTED]`, in keys and values alike. */
export function redact<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[redactText(key)] = redactValue(item, seen);
  return out;
}

/** For tests of this module only. */
export function forgetSecretsForTesting(): void {
  secrets.clear();
}
