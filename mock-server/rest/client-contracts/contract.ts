/**
 * Client contracts: what each official IBEE client sends to the public REST API (under `/v1`) for buckets,
 * S3 credentials and billing eligibility, and what it requires of the answer.
 *
 * This is data, researched from the clients' public repositories and cited per call (repository, path,
 * commit). It is written in our own words; no client code is copied. The mock serves every route named here
 * (mock-server/rest/routes/); client-contracts.test.ts replays each call against it as a client session and
 * checks every requirement listed, so a change to the mock that would break one of these clients fails there.
 *
 * Conventions:
 * - A path is a template under `/v1`; `{bucket_name}` and `{access_key_id}` are percent-encoded by every
 *   client (one path segment each).
 * - Strings of the form `{name}` in a query, header or body are placeholders for values the caller or the
 *   environment chooses (`{workspace_id}`, `{token}`, `{bucket_name}`, ...). Everything else is literal.
 * - A body is the JSON the client sends, keys in the order they go on the wire.
 */

export type ClientId = 'python-sdk-0.4' | 'typescript-sdk-0.4' | 'cli-0.4' | 'terraform-provider';

export type ClientRepo =
  | 'devs-ibee/ibee-python'
  | 'devs-ibee/ibee-typescript'
  | 'devs-ibee/ibee-cli'
  | 'devs-ibee/terraform-provider-ibee';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One stored version of one file of a client repository. */
export interface SourceRef {
  readonly repo: ClientRepo;
  readonly path: string;
  /** At least 8 hex digits of the commit the file was read at. */
  readonly commit: string;
}

/** A `{name}` placeholder (see the file comment). */
export type Placeholder = `{${string}}`;

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export type RequestBody =
  /** No body at all (no Content-Type either). */
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly json: JsonValue };

/** The statuses the client treats as success before it looks at the body. */
export interface AcceptedStatuses {
  /** Inclusive range. */
  readonly min: number;
  readonly max: number;
  readonly note?: string;
}

export type JsonType = 'string' | 'boolean' | 'integer' | 'number' | 'object' | 'array' | 'any';

/**
 * `runtime`: the client checks it and fails (or refuses to go on) when it does not hold.
 * `typed-only`: declared in the client's types but never checked; a mock that breaks it breaks no call,
 * only the application code reading the field.
 */
export type Enforcement = 'runtime' | 'typed-only';

/** The answer must carry a JSON body (not an empty body) on a 2xx. */
export interface JsonBodyRequirement {
  readonly kind: 'json-body';
  /** `object`: a JSON object; `any`: any JSON text (TF only refuses an empty body and `null`). */
  readonly shape: 'object' | 'any';
  readonly enforcement: Enforcement;
  readonly note?: string;
}

/**
 * One field of the answer. `path` uses `a.b` for nesting and `a[]` for every item of an array
 * (`buckets[].name`).
 */
export interface FieldRequirement {
  readonly kind: 'field';
  readonly path: string;
  readonly type: JsonType;
  /** The key may be absent. */
  readonly optional: boolean;
  /** The value may be JSON `null`. */
  readonly nullable: boolean;
  /** Strings: blank (or, where noted, empty) is refused. */
  readonly nonEmpty?: boolean;
  /** The value must be one of these. */
  readonly oneOf?: readonly (string | number | boolean)[];
  /** Strings: `date-time` is ISO 8601 as pydantic parses it; `rfc3339` is Go's time.RFC3339Nano. */
  readonly format?: 'date-time' | 'rfc3339';
  readonly enforcement: Enforcement;
  readonly note?: string;
}

/** A rule across fields, or between the answer and the request or configuration. */
export interface RuleRequirement {
  readonly kind: 'rule';
  readonly id: string;
  readonly paths: readonly string[];
  readonly rule: string;
  readonly enforcement: Enforcement;
}

export type ResponseRequirement = JsonBodyRequirement | FieldRequirement | RuleRequirement;

/** What the client does with an error answer it decides something from. */
export type ErrorEffect =
  /** Raises (throws) a typed error the application sees. */
  | 'raise'
  /** Treats the answer as success (for example a 404 on delete). */
  | 'success'
  /** Ignores the answer and goes on with the next call of the flow. */
  | 'continue'
  /** Stops the flow here without sending the next call, and without an error. */
  | 'stop'
  /** Terraform: drops the resource from state. */
  | 'remove-from-state';

export interface ErrorExpectation {
  readonly status: number;
  /** The error code the client matches (after its own body parsing), when it matches one. */
  readonly code?: string;
  /** Body fields the client reads from the answer. */
  readonly reads?: readonly string[];
  readonly effect: ErrorEffect;
  /** The typed error or diagnostic the client produces. */
  readonly raises?: string;
  readonly note?: string;
}

/** Automatic retries of this call. */
export type RetryPolicy =
  | { readonly retried: false; readonly note?: string }
  | { readonly retried: true; readonly statuses: readonly number[]; readonly maxRetries: number; readonly note?: string };

/** How an auto-paging helper walks a list. */
export interface Paging {
  readonly helper: string;
  readonly follows: string;
  readonly pageSize: string;
  readonly stopsWhen: readonly string[];
  readonly note?: string;
}

export interface ClientCall {
  /** Short name, e.g. 'list buckets page'. Unique within one contract. */
  readonly name: string;
  /** The public method or command that sends it. */
  readonly entryPoint: string;
  /** Where the request is built. */
  readonly source: SourceRef;
  /** Further files the call's facts come from (transport, types, validation). */
  readonly alsoSee?: readonly SourceRef[];
  /** Condition under which the client sends this call, when it does not always. */
  readonly when?: string;
  /** The multi-request operation this call is one step of, e.g. 'delete bucket'. */
  readonly flow?: { readonly name: string; readonly step: number; readonly of: number };
  readonly method: HttpMethod;
  readonly path: `/v1/${string}`;
  /** Exactly the query parameters sent, in order. */
  readonly query: Readonly<Record<string, string>>;
  /** Headers the client sets itself (its HTTP library adds its own defaults; see `ClientContract.transport`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: RequestBody;
  readonly accepts: AcceptedStatuses;
  readonly requires: readonly ResponseRequirement[];
  readonly errors: readonly ErrorExpectation[];
  readonly retries: RetryPolicy;
  readonly paging?: Paging;
  readonly notes?: readonly string[];
}

export interface ClientContract {
  readonly client: ClientId;
  /** The client version(s) these calls are from, and how they were dated. */
  readonly version: string;
  /** Transport facts shared by every call: base URL, library default headers, timeouts. */
  readonly transport: readonly string[];
  /** Files every call relies on (transport, headers, error mapping). */
  readonly sharedSources: readonly SourceRef[];
  readonly calls: readonly ClientCall[];
  /** Operations the brief asks about that this client does not perform. */
  readonly absent: readonly string[];
}

/** The placeholders every contract uses, so tests can substitute them consistently. */
export const PLACEHOLDERS = {
  workspaceId: '{workspace_id}',
  token: '{token}',
  bucketName: '{bucket_name}',
  accessKeyId: '{access_key_id}',
  name: '{name}',
  region: '{region}',
  limit: '{limit}',
  continuationToken: '{continuation_token}',
  skuCode: '{sku_code}',
} as const satisfies Record<string, Placeholder>;
