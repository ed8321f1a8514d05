import { bearerTokenFormat, secretAccessKeyFormat } from '../spec/index.js';
import type { CheckRecord, Evidence } from './results-format.js';

/**
 * Secrets never reach an output; redaction happens twice, as defence in depth.
 *
 * The recording pass, in the suites: every secret a run handles (the secret access keys and bearer tokens issued
 * during the run, the management token) is registered here, so that whatever a suite records (check records,
 * evidence, the messages of failures) is scrubbed of them, and any response can be scanned for a leak. It also
 * scrubs Bearer values and presigned URL signatures it never saw issued.
 *
 * The report pass: every report output passes through here again before it is written, knowing only the secrets
 * its caller names. Three nets, from precise to broad:
 * 1. values the caller knows are secret (exact match);
 * 2. anything shaped like a credential: a Bearer token (spec's `ibee_v4_` format), the value of a field, header or
 *    query parameter whose name says it holds a secret, a SigV4 signature;
 * 3. free-text runs that look like a random Secret Access Key: 32..128 characters of [A-Za-z0-9+/=] with both
 *    cases, a character class change at least every fourth character, and not made of capitalised words. Hex
 *    digests, UUIDs, dates, Access Key IDs and CamelCase names (GetBucketLifecycleConfiguration) never qualify, so
 *    evidence stays readable.
 */

export const REDACTED = '[REDACTED]';

/** Values shorter than this are not treated as secrets: scrubbing them would mangle ordinary text. */
const minSecretLength = 8;

// The recording pass.

interface SecretEntry {
  readonly value: string;
  /** What it is, safe to print: e.g. `secret_access_key of token tok_123`. */
  readonly label: string;
}

const secrets = new Map<string, SecretEntry>();

/**
 * Forgets every registered secret: a conformance file starts from none, as it would in a process of its own (the
 * conformance project runs its files one after the other in one process).
 */
export function forgetSecrets(): void {
  secrets.clear();
}

export function registerSecret(value: string | null | undefined, label: string): void {
  if (typeof value !== 'string' || value.length < minSecretLength) return;
  if (!secrets.has(value)) secrets.set(value, { value, label });
}

/** The registered secrets a text contains, by label (never the values). */
export function findSecrets(text: string): string[] {
  const found: string[] = [];
  for (const entry of secrets.values()) if (text.includes(entry.value)) found.push(entry.label);
  return found;
}

/** A text with every registered secret, Bearer value and presigned URL signature replaced by `[REDACTED]`. */
export function redactRecordedText(text: string): string {
  let out = text;
  // Longest first, so that a secret containing another is replaced whole.
  const values = [...secrets.keys()].sort((a, b) => b.length - a.length);
  for (const value of values) if (out.includes(value)) out = out.split(value).join(REDACTED);
  // Bearer values we never saw issued (e.g. forged ones) still do not belong in a report.
  // A presigned URL's signature is a credential until the URL expires (up to 7 days).
  return out
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi, `$1${REDACTED}`)
    .replace(/(X-Amz-Signature=)[0-9a-f]{64}/gi, `$1${REDACTED}`);
}

/** A deep copy of `value` with every text scrubbed by redactRecordedText, in keys and values alike. */
export function redactRecorded<T>(value: T): T {
  return redactRecordedValue(value, new WeakSet()) as T;
}

function redactRecordedValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactRecordedText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactRecordedValue(item, seen));
  if (value instanceof Error) return { name: value.name, message: redactRecordedText(value.message) };
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[redactRecordedText(key)] = redactRecordedValue(item, seen);
  return out;
}

/** For tests of the recording pass only. */
export function forgetSecretsForTesting(): void {
  secrets.clear();
}

// The report pass.

/** Anything that starts with the Bearer prefix, however long: truncated tokens are still redacted. */
const bearerAnywhere = new RegExp(`${escapeRegExp(bearerTokenFormat.value.prefix)}[A-Za-z0-9_-]+`, 'g');
/** `Authorization: Bearer …` and SigV4 `Signature=…` in headers, messages and bodies. */
const bearerScheme = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi;
const sigV4Signature = /\b((?:X-Amz-)?Signature=)[0-9a-fA-F]{16,}/g;
const sigV4SecurityToken = /\b(X-Amz-Security-Token=)[^&\s"']+/gi;

/** Names of fields that hold secrets, in any casing/separator style (secretAccessKey, secret_access_key, ...). */
const secretFieldName = /^(?:x-amz-security-token|authorization|proxy-authorization|cookie|set-cookie|password|passwd|.*secret.*|.*bearer.*|.*token|management[-_]?token|api[-_]?key|private[-_]?key|session[-_]?token)$/i;
/** `"secretAccessKey": "value"` / `secret_access_key=value` inside text (JSON bodies, form bodies, messages). */
const secretFieldInText =
  /((?:["']?)(?:[A-Za-z_-]*secret[A-Za-z_-]*|[A-Za-z_-]*bearer[A-Za-z_-]*|password|[A-Za-z_-]*token)(?:["']?)\s*[:=]\s*["']?)([^"'\s,&}<]+)/gi;
/** Free-text runs shaped like a Secret Access Key (AWS-style keys use + and /; the mock's are alphanumeric). */
const credentialLikeRun = /[A-Za-z0-9+/=]{32,}/g;
const secretShape = secretAccessKeyFormat.value.pattern;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function charClass(ch: string): number {
  return /[A-Z]/.test(ch) ? 0 : /[a-z]/.test(ch) ? 1 : /[0-9]/.test(ch) ? 2 : 3;
}

/** Random keys switch between upper, lower, digit and symbol about every other character; words do not. */
function looksLikeCredential(run: string): boolean {
  // Longer runs (a secret glued to other key characters) are judged on the same shape.
  if (!secretShape.test(run.slice(0, 128)) || !/[A-Z]/.test(run) || !/[a-z]/.test(run)) return false;
  let changes = 0;
  for (let i = 1; i < run.length; i++) if (charClass(run[i]!) !== charClass(run[i - 1]!)) changes += 1;
  return changes * 4 >= run.length && !camelCaseWords.test(run);
}

/** Operation and type names glued together (GetBucketLifecycleConfiguration/PutObject): words, not keys. */
const camelCaseWords = /^(?:[A-Z][a-z]{2,}[0-9]*|\/)+$/;

/** Fields named like a secret that still carry harmless values: token ids and metadata, not credentials. */
function isHarmlessTokenValue(value: string): boolean {
  return value === REDACTED || value.length < 8 || /^(?:true|false|null|undefined|\d+)$/i.test(value);
}

export interface RedactOptions {
  /** Exact values known to be secret (issued secrets, management token); replaced wherever they occur. */
  readonly knownSecrets?: readonly string[];
}

export function redactText(text: string, options: RedactOptions = {}): string {
  let out = text;
  for (const secret of options.knownSecrets ?? []) {
    if (secret.length >= minSecretLength) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(bearerAnywhere, REDACTED);
  out = out.replace(bearerScheme, (_m, scheme: string) => `${scheme}${REDACTED}`);
  out = out.replace(sigV4Signature, (_m, name: string) => `${name}${REDACTED}`);
  out = out.replace(sigV4SecurityToken, (_m, name: string) => `${name}${REDACTED}`);
  out = out.replace(secretFieldInText, (match, prefix: string, value: string) =>
    isHarmlessTokenValue(value) ? match : `${prefix}${REDACTED}`,
  );
  out = out.replace(credentialLikeRun, (run) => (looksLikeCredential(run) ? REDACTED : run));
  return out;
}

/** Deep-redacts any JSON-like value: strings are scrubbed, values of secret-named fields are replaced. */
export function redactValue(value: unknown, options: RedactOptions = {}): unknown {
  if (typeof value === 'string') return redactText(value, options);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, options));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (secretFieldName.test(key) && typeof v === 'string' && !isHarmlessTokenValue(v)) {
        out[key] = redactSecretFieldValue(key, v);
      } else {
        out[key] = redactValue(v, options);
      }
    }
    return out;
  }
  return value;
}

/** Keeps the scheme of an Authorization header (useful evidence), drops the credential part. */
function redactSecretFieldValue(key: string, value: string): string {
  if (/^authorization$/i.test(key)) {
    const sigv4 = /^(AWS4-HMAC-SHA256\s+Credential=[^,\s]+)/.exec(value);
    if (sigv4) return `${sigv4[1]}, SignedHeaders=…, Signature=${REDACTED}`;
    const scheme = /^(\S+)\s/.exec(value);
    return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
  }
  return REDACTED;
}

function redactHeaders(headers: Record<string, string> | undefined, options: RedactOptions): Record<string, string> | undefined {
  if (!headers) return undefined;
  return redactValue(headers, options) as Record<string, string>;
}

function redactEvidence(evidence: Evidence, options: RedactOptions): Evidence {
  return {
    request: {
      method: evidence.request.method,
      url: redactText(evidence.request.url, options),
      ...(evidence.request.headers ? { headers: redactHeaders(evidence.request.headers, options) } : {}),
      ...(evidence.request.body !== undefined ? { body: redactText(evidence.request.body, options) } : {}),
    },
    ...(evidence.response
      ? {
          response: {
            status: evidence.response.status,
            ...(evidence.response.headers ? { headers: redactHeaders(evidence.response.headers, options) } : {}),
            ...(evidence.response.body !== undefined ? { body: redactText(evidence.response.body, options) } : {}),
          },
        }
      : {}),
    ...(evidence.note !== undefined ? { note: redactText(evidence.note, options) } : {}),
    ...(evidence.s3
      ? {
          s3: {
            operation: evidence.s3.operation,
            accessKeyId: evidence.s3.accessKeyId,
            code: evidence.s3.code === null ? null : redactText(evidence.s3.code, options),
            message: evidence.s3.message === null ? null : redactText(evidence.s3.message, options),
            requestId: evidence.s3.requestId === null ? null : redactText(evidence.s3.requestId, options),
          },
        }
      : {}),
  };
}

/** A check record with every free-text and evidence field scrubbed. */
export function redactCheck(check: CheckRecord, options: RedactOptions = {}): CheckRecord {
  const text = (s: string | undefined): string | undefined => (s === undefined ? undefined : redactText(s, options));
  const redacted: CheckRecord = {
    ...check,
    message: text(check.message),
    reason: text(check.reason),
    counterexample: text(check.counterexample),
    replay: text(check.replay),
    observed: check.observed === undefined ? undefined : redactValue(check.observed, options),
    evidence: check.evidence?.map((e) => redactEvidence(e, options)),
    cell: check.cell ? { ...check.cell, detail: text(check.cell.detail) } : undefined,
  };
  return dropUndefined(redacted);
}

function dropUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
