import { contractProblems } from '../../test/harness.js';
import type { ClientCall, ClientContract, FieldRequirement, JsonValue, ResponseRequirement, RuleRequirement } from '../contract.js';

/**
 * Replays the calls of a client contract against a running REST API exactly as the data says (path, query in
 * order, headers, body), and judges each answer by what the call requires: the accepted statuses, the JSON body,
 * every listed field's presence and type, and each rule, plus spec/openapi.yaml. Problems are plain sentences; a
 * failure message names the client, the call with its source, and what was sent and seen (secrets redacted).
 */

/** Values for the `{name}` placeholders of a call; a missing one is an error, except `{continuation_token}`. */
export type Placeholders = Readonly<Record<string, string>>;

/** Placeholders a client leaves out of the query when it has no value (the first page of a list). */
const omittedWhenUnset = new Set(['{continuation_token}']);

/** What a rule compares the answer with: what was sent and what the client is configured with. */
export interface RuleContext {
  /** The JSON body sent, if any. */
  readonly sent: JsonValue | undefined;
  /** The bucket the call names (its path parameter or created name). */
  readonly bucketName?: string;
  /** The access key the client holds in its state, once it has one. */
  readonly accessKeyId?: string;
  /** The workspace and organisation the client is configured with. */
  readonly workspaceId: string;
  readonly organizationId: string;
}

export interface SentRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

export interface SeenAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  readonly json: unknown;
}

export interface Exchange {
  readonly client: ClientContract['client'];
  readonly call: ClientCall;
  readonly sent: SentRequest;
  readonly seen: SeenAnswer;
}

const placeholderPattern = /\{[a-z_]+\}/g;

function fill(text: string, values: Placeholders, where: string): string {
  return text.replace(placeholderPattern, (name) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${where}: no value for placeholder ${name}`);
    return value;
  });
}

function fillJson(value: JsonValue, values: Placeholders, where: string): JsonValue {
  if (typeof value === 'string') return fill(value, values, where);
  if (Array.isArray(value)) return value.map((item: JsonValue) => fillJson(item, values, where));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillJson(item as JsonValue, values, where)]));
  }
  return value;
}

/** The request a call sends, its placeholders filled; path parameters are percent-encoded as every client does. */
export function buildRequest(apiUrl: string, call: ClientCall, values: Placeholders): SentRequest & { readonly json: JsonValue | undefined } {
  const where = `${call.method} ${call.path} (${call.name})`;
  const path = call.path.replace(placeholderPattern, (name) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${where}: no value for path parameter ${name}`);
    return encodeURIComponent(value);
  });
  const query = new URLSearchParams();
  for (const [name, template] of Object.entries(call.query)) {
    if (omittedWhenUnset.has(template) && values[template] === undefined) continue;
    query.append(name, fill(template, values, where));
  }
  const headers = Object.fromEntries(Object.entries(call.headers).map(([name, value]) => [name, fill(value, values, where)]));
  const json = call.body.kind === 'json' ? fillJson(call.body.json, values, where) : undefined;
  const search = query.toString();
  return { method: call.method, url: `${apiUrl}${path}${search ? `?${search}` : ''}`, headers, body: json === undefined ? undefined : JSON.stringify(json), json };
}

export async function send(request: SentRequest): Promise<SeenAnswer> {
  const res = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    headers[name] = value;
  });
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers, text, json };
}

/** Sends a call of a contract and returns what went out and came back. */
export async function replay(apiUrl: string, contract: ClientContract, call: ClientCall, values: Placeholders): Promise<Exchange & { readonly sentJson: JsonValue | undefined }> {
  const request = buildRequest(apiUrl, call, values);
  const seen = await send(request);
  return { client: contract.client, call, sent: request, seen, sentJson: request.json };
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function typeOk(type: FieldRequirement['type'], value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'any':
      return true;
  }
}

/** ISO 8601 as pydantic reads a datetime; Go's time.RFC3339Nano. */
const formats = {
  'date-time': /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/,
  rfc3339: /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
} as const;

/** Every (where, holder, key) a field path reaches: `a.b` nests, `a[]` is every item of an array. */
function reach(root: unknown, path: string): { where: string; holder: JsonObject | undefined; key: string }[] {
  const parts = path.split('.');
  let holders: { where: string; value: unknown }[] = [{ where: '', value: root }];
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i]!;
    const each = part.endsWith('[]');
    const key = each ? part.slice(0, -2) : part;
    holders = holders.flatMap(({ where, value }) => {
      const inner = isObject(value) ? value[key] : undefined;
      const at = where ? `${where}.${key}` : key;
      if (!each) return [{ where: at, value: inner }];
      return Array.isArray(inner) ? inner.map((item, index) => ({ where: `${at}[${index}]`, value: item })) : [];
    });
  }
  const last = parts.at(-1)!;
  return holders.map(({ where, value }) => ({ where: where ? `${where}.${last}` : last, holder: isObject(value) ? value : undefined, key: last }));
}

function fieldProblems(requirement: FieldRequirement, body: unknown): string[] {
  const problems: string[] = [];
  for (const { where, holder, key } of reach(body, requirement.path)) {
    if (holder === undefined || !(key in holder)) {
      if (!requirement.optional) problems.push(`${where} is missing`);
      continue;
    }
    const value = holder[key];
    if (value === null) {
      if (!requirement.nullable) problems.push(`${where} is null`);
      continue;
    }
    if (!typeOk(requirement.type, value)) {
      problems.push(`${where} is ${JSON.stringify(value)}, not ${requirement.type === 'integer' ? 'an' : 'a'} ${requirement.type}`);
      continue;
    }
    if (requirement.nonEmpty && typeof value === 'string' && value.trim() === '') problems.push(`${where} is blank`);
    if (requirement.oneOf && !requirement.oneOf.includes(value as string | number | boolean)) {
      problems.push(`${where} is ${JSON.stringify(value)}, not one of ${JSON.stringify(requirement.oneOf)}`);
    }
    if (requirement.format && typeof value === 'string' && !formats[requirement.format].test(value)) {
      problems.push(`${where} ${JSON.stringify(value)} is not ${requirement.format}`);
    }
  }
  return problems;
}

const permissionTypes = ['object_ro', 'object_rw', 'admin_ro', 'admin_rw'];

/** Why a credential's level, scope and buckets would be refused by a client that checks the combination. */
function scopeCombinationProblem(body: JsonObject): string | null {
  const { permission_type: level, bucket_scope: scope, allowed_buckets: buckets } = body;
  if (typeof level !== 'string' || !permissionTypes.includes(level)) return `permission_type ${JSON.stringify(level)} is not one of ${permissionTypes.join(', ')}`;
  if (scope !== 'specific' && scope !== 'all') return `bucket_scope ${JSON.stringify(scope)} is neither specific nor all`;
  if (!Array.isArray(buckets)) return 'allowed_buckets is not an array';
  if (level.startsWith('admin_') && (scope !== 'all' || buckets.length > 0)) return `${level} with bucket_scope ${scope} and ${buckets.length} bucket(s)`;
  if (scope === 'specific' && buckets.length === 0) return 'specific scope without buckets';
  if (scope === 'all' && buckets.length > 0) return 'all-bucket scope with buckets';
  const bad = buckets.find((b) => typeof b !== 'string' || b === '' || b.trim() !== b || /[/\\]/.test(b));
  return bad === undefined ? null : `allowed_buckets holds ${JSON.stringify(bad)}`;
}

/**
 * Rules that constrain the client rather than the answer (it tolerates extra keys, a missing page, a plain-JSON
 * read, keeps state before checking): there is nothing in the answer to check.
 */
export const clientLeniencies = new Set(['extra-keys-allowed', 'no-model', 'lenient-page', 'state-kept']);

/** Rules with which a client refuses to go on with a delete: expected to fail on a locked or non-empty bucket. */
export const deleteGuards = new Set(['not-object-locked', 'empty-by-count', 'verified-empty']);

/** The problem a rule finds in an answer, or null when it holds. Unknown rule ids are a problem themselves. */
export function ruleProblem(rule: RuleRequirement, body: unknown, context: RuleContext): string | null {
  if (clientLeniencies.has(rule.id)) return null;
  const answer = isObject(body) ? body : {};
  const sent = isObject(context.sent) ? context.sent : {};
  switch (rule.id) {
    case 'sku-echo': {
      if (typeof sent.sku_code !== 'string' || sent.sku_code.trim() === '') return null;
      const echoed = answer.sku_code;
      const want = sent.sku_code.trim().toUpperCase();
      return typeof echoed === 'string' && echoed.trim().toUpperCase() === want ? null : `sku_code ${JSON.stringify(echoed)} does not echo ${JSON.stringify(sent.sku_code)}`;
    }
    case 'allowed-exactly-true':
    case 'require-flag':
      return answer.allowed === true ? null : `allowed is ${JSON.stringify(answer.allowed)}: the client stops here (billing denied)`;
    case 'estimate-echo':
      if (sent.estimated_cost_minor === undefined || answer.estimated_cost_minor === undefined || answer.estimated_cost_minor === null) return null;
      return answer.estimated_cost_minor === sent.estimated_cost_minor ? null : `estimated_cost_minor ${JSON.stringify(answer.estimated_cost_minor)} is not the ${JSON.stringify(sent.estimated_cost_minor)} sent`;
    case 'organization-matches':
      return answer.organization_id === context.organizationId ? null : `organization_id ${JSON.stringify(answer.organization_id)} is not the configured ${JSON.stringify(context.organizationId)}`;
    case 'workspace-matches':
      if (answer.workspace_id !== context.workspaceId) return `workspace_id ${JSON.stringify(answer.workspace_id)} is not the configured ${JSON.stringify(context.workspaceId)} (a string)`;
      return answer.organization_id === context.organizationId ? null : `organization_id ${JSON.stringify(answer.organization_id)} is not the configured ${JSON.stringify(context.organizationId)}`;
    case 'same-bucket':
      return answer.name === context.bucketName ? null : `name ${JSON.stringify(answer.name)} identifies another bucket than ${JSON.stringify(context.bucketName)}`;
    case 'same-key':
      if (context.accessKeyId === undefined) return typeof answer.access_key_id === 'string' && answer.access_key_id !== '' ? null : 'no access_key_id to keep in state';
      return answer.access_key_id === context.accessKeyId ? null : `access_key_id ${JSON.stringify(answer.access_key_id)} is not the key in state ${JSON.stringify(context.accessKeyId)}`;
    case 'scope-combination':
      return scopeCombinationProblem(answer);
    case 'revoked-is-gone':
      return answer.status === 'revoked' ? 'status is "revoked": the client drops the live key from its state' : null;
    case 'typed-read': {
      const wrong = rule.paths.filter((path) => (path === 'name' ? typeof answer[path] !== 'string' : typeof answer[path] !== 'boolean'));
      return wrong.length === 0 ? null : `the typed read fails on ${wrong.join(', ')}`;
    }
    case 'not-object-locked': {
      const locked = rule.paths.filter((path) => answer[path] === true);
      return locked.length === 0 ? null : `${locked.join(', ')} is true: the client refuses the delete (bucket_object_lock)`;
    }
    case 'empty-by-count': {
      const count = Number(answer.object_count ?? 0);
      return count > 0 ? `object_count is ${JSON.stringify(answer.object_count)}: the client refuses the delete (bucket_not_empty)` : null;
    }
    case 'verified-empty':
      return answer.object_count === 0 && answer.total_size === 0
        ? null
        : `object_count ${JSON.stringify(answer.object_count)} and total_size ${JSON.stringify(answer.total_size)} are not both 0: deletion blocked`;
    default:
      return `no check is written for rule ${rule.id}`;
  }
}

function requirementProblems(requirement: ResponseRequirement, seen: SeenAnswer, context: RuleContext): string[] {
  switch (requirement.kind) {
    case 'json-body': {
      if (seen.json === undefined) return [`the body is not JSON (${seen.text === '' ? 'empty' : JSON.stringify(seen.text.slice(0, 80))})`];
      if (requirement.shape === 'object' && !isObject(seen.json)) return ['the body is not a JSON object'];
      if (requirement.shape === 'any' && seen.json === null) return ['the body is null'];
      return [];
    }
    case 'field':
      return fieldProblems(requirement, seen.json);
    case 'rule': {
      const problem = ruleProblem(requirement, seen.json, context);
      return problem === null ? [] : [`rule ${requirement.id}: ${problem}`];
    }
  }
}

/** Every requirement of the call that the answer breaks, each tagged with its enforcement; plus the OpenAPI check. */
export function answerProblems(exchange: Exchange, context: RuleContext): string[] {
  const { call, seen } = exchange;
  const problems: string[] = [];
  if (seen.status < call.accepts.min || seen.status > call.accepts.max) {
    problems.push(`status ${seen.status} is outside the accepted ${call.accepts.min}-${call.accepts.max}`);
  }
  for (const requirement of call.requires) {
    for (const problem of requirementProblems(requirement, seen, context)) problems.push(`[${requirement.enforcement}] ${problem}`);
  }
  problems.push(...openApiProblems(exchange));
  return problems;
}

/** The answer against spec/openapi.yaml (status documented, body of the documented schema). */
export function openApiProblems({ call, seen }: Pick<Exchange, 'call' | 'seen'>): string[] {
  return contractProblems(call.method, call.path, { status: seen.status, body: seen.json, headers: seen.headers, text: seen.text }).map((p) => `[openapi] ${p}`);
}

/** The rules among `ids` that the answer fails: which of the client's guards would stop it. */
export function failingRules(call: ClientCall, seen: SeenAnswer, context: RuleContext, ids: ReadonlySet<string>): string[] {
  return call.requires.filter((r): r is RuleRequirement => r.kind === 'rule' && ids.has(r.id) && ruleProblem(r, seen.json, context) !== null).map((r) => r.id);
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length >= 8).reduce((out, secret) => out.split(secret).join(`<secret ${secret.slice(0, 4)}…>`), text);
}

/** A failure message: the client, the call and its source, what was sent and seen, and the problems. */
export function describeExchange(exchange: Exchange, problems: readonly string[], secrets: readonly string[]): string {
  const { call, sent, seen } = exchange;
  const source = `${call.source.repo}/${call.source.path}@${call.source.commit}`;
  const lines = [
    `${exchange.client}: "${call.name}" (${call.entryPoint}; ${source})`,
    `sent: ${sent.method} ${sent.url}`,
    `  headers: ${JSON.stringify(sent.headers)}`,
    ...(sent.body === undefined ? [] : [`  body: ${sent.body}`]),
    `seen: ${seen.status} ${seen.headers['content-type'] ?? '(no content-type)'}`,
    `  body: ${seen.text.slice(0, 2000)}`,
    'problems:',
    ...problems.map((p) => `  - ${p}`),
  ];
  return redact(lines.join('\n'), secrets);
}
