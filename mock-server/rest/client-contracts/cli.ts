import type { ClientContract, ErrorExpectation, ResponseRequirement, RetryPolicy, SourceRef } from './contract.js';

/**
 * CLI `ibee-cli` 0.4 (devs-ibee/ibee-cli), newest commands read at 1fdb5466.
 *
 * Every bucket, credential and billing command calls the Python SDK (`ibee>=0.4.0,<0.5.0`), so requests go out
 * with the SDK's headers and answers must satisfy the SDK's pydantic models (see python-sdk.ts). What the CLI
 * adds: its own defaults (limit=100, is_public always sent), its own delete pre-read through the typed
 * `get_bucket` (so the answer must be a full Bucket and a 403 stops the delete), and hints on some errors.
 */

const REPO = 'devs-ibee/ibee-cli' as const;
const SDK = 'devs-ibee/ibee-python' as const;

const BUCKETS: SourceRef = { repo: REPO, path: 'src/ibee_cli/commands/buckets.py', commit: '1fdb5466' };
const BILLING: SourceRef = { repo: REPO, path: 'src/ibee_cli/commands/billing.py', commit: '7323813e' };
const HELPERS: SourceRef = { repo: REPO, path: 'src/ibee_cli/helpers.py', commit: '7323813e' };
const CONTEXT: SourceRef = { repo: REPO, path: 'src/ibee_cli/context.py', commit: '7323813e' };
const CHANGELOG: SourceRef = { repo: REPO, path: 'CHANGELOG.md', commit: '1b79e479' };
const SDK_WORKFLOWS: SourceRef = { repo: SDK, path: 'src/ibee/storage_workflows.py', commit: '3f1aeb9f' };
const SDK_VALIDATION: SourceRef = { repo: SDK, path: 'src/ibee/validation/storage.py', commit: '15238d07' };
const SDK_BUCKET: SourceRef = { repo: SDK, path: 'src/ibee/types/bucket.py', commit: '5a2db485' };
const SDK_HTTP: SourceRef = { repo: SDK, path: 'src/ibee/core/http_client.py', commit: 'cc6298e2' };
const SDK_WRAPPER: SourceRef = { repo: SDK, path: 'src/ibee/core/client_wrapper.py', commit: 'cc6298e2' };
const SDK_BILLING_RAW: SourceRef = { repo: SDK, path: 'src/ibee/billing/raw_client.py', commit: 'cc6298e2' };

/** The SDK's headers (client_wrapper.py); the CLI adds none. */
const HEADERS = {
  'X-Fern-Language': 'Python',
  'X-Fern-Runtime': 'python/{python_version}',
  'X-Fern-Platform': '{os}/{os_release}',
  Authorization: 'Bearer {token}',
} as const;
const JSON_HEADERS = { ...HEADERS, 'content-type': 'application/json' } as const;
const WS = { workspace_id: '{workspace_id}' } as const;

const ACCEPTS = { min: 200, max: 399, note: 'The SDK transport raises for >= 400; the CLI prints the typed error and exits 1.' };

const JSON_OBJECT: ResponseRequirement = {
  kind: 'json-body',
  shape: 'object',
  enforcement: 'runtime',
  note: 'Parsed into the SDK model; an empty 2xx body fails with a pydantic ValidationError.',
};

const READ_RETRIES: RetryPolicy = { retried: true, statuses: [429, 502, 503, 504], maxRetries: 2, note: 'SDK policy.' };
const WRITE_RETRIES: RetryPolicy = { retried: false, note: 'SDK policy: unkeyed writes are not retried on a status.' };

const COMMON_ERRORS: readonly ErrorExpectation[] = [
  { status: 403, code: 'insufficient_scope', reads: ['required_scope'], effect: 'raise', raises: 'InsufficientScopeError', note: 'The CLI names the missing scope; exit 1.' },
  { status: 404, effect: 'raise', raises: 'NotFoundError', note: 'exit 1' },
];

const BILLING_DENIED: ErrorExpectation = {
  status: 402,
  code: 'billing_denied',
  reads: ['billing_reason', 'billing_sku_code', 'admission_context_id'],
  effect: 'raise',
  raises: 'BillingDeniedError',
  note: 'Printed with the portal wording and top-up guidance; exit 1.',
};

/** The SDK's Bucket model (types/bucket.py). */
const BUCKET_MODEL: readonly ResponseRequirement[] = [
  JSON_OBJECT,
  { kind: 'field', path: 'name', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'is_public', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'bucket_lock_enabled', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'region', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'object_count', type: 'integer', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'total_size', type: 'integer', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'created_at', type: 'string', format: 'date-time', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'updated_at', type: 'string', format: 'date-time', optional: true, nullable: true, enforcement: 'runtime' },
];

const BUCKET_LIST_MODEL: readonly ResponseRequirement[] = [
  JSON_OBJECT,
  { kind: 'field', path: 'buckets', type: 'array', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'buckets[].name', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'buckets[].is_public', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'buckets[].bucket_lock_enabled', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'is_truncated', type: 'boolean', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'next_continuation_token', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
];

const CREDENTIAL_MODEL: readonly ResponseRequirement[] = [
  JSON_OBJECT,
  { kind: 'field', path: 'access_key_id', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'name', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'status', type: 'any', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'created_at', type: 'string', format: 'date-time', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'allowed_buckets', type: 'array', optional: true, nullable: true, enforcement: 'runtime' },
];

export const cliContract: ClientContract = {
  client: 'cli-0.4',
  version: '0.4 (CHANGELOG 0.4.0 at 1b79e479; commands at 1fdb5466 where --preflight-billing is a deprecated no-op).',
  transport: [
    'The CLI builds Ibee(token, base_url, timeout=30) and sends every call below through the Python SDK: same base URL rules, headers and models.',
    'Base URL: --base-url, IBEE_BASE_URL, IBEE_ENDPOINT, --dev, then IBEE_ENV (dev/development or prod/production; anything else exits 2). A mock base URL must end in /v1.',
    'Workspace from --workspace or IBEE_WORKSPACE_ID, checked against ^[1-9][0-9]*$ (exit 2 otherwise); token from --token, IBEE_TOKEN or IBEE_API_TOKEN.',
    'Client-side validation errors exit 2; API errors exit 1.',
  ],
  sharedSources: [CONTEXT, HELPERS, CHANGELOG, SDK_HTTP, SDK_WRAPPER],
  calls: [
    {
      name: 'list buckets page',
      entryPoint: 'ibee buckets list',
      source: BUCKETS,
      alsoSee: [SDK_WORKFLOWS],
      method: 'GET',
      path: '/v1/object-storage/buckets',
      query: { ...WS, limit: '100' },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_LIST_MODEL,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
      notes: ['limit=100 is always sent (the SDK alone would send none). A next_continuation_token is printed as the next command to run.'],
    },
    {
      name: 'list buckets page with limit and continuation_token',
      entryPoint: 'ibee buckets list --limit {limit} --continuation-token {continuation_token}',
      source: BUCKETS,
      method: 'GET',
      path: '/v1/object-storage/buckets',
      query: { ...WS, limit: '{limit}', continuation_token: '{continuation_token}' },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_LIST_MODEL,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
    },
    {
      name: 'iterate buckets (auto-paging)',
      entryPoint: 'ibee buckets list --all [--limit {limit}]',
      source: BUCKETS,
      alsoSee: [SDK_WORKFLOWS],
      method: 'GET',
      path: '/v1/object-storage/buckets',
      query: { ...WS, limit: '100', continuation_token: '{continuation_token}' },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_LIST_MODEL,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
      paging: {
        helper: 'SDK list_all_buckets',
        follows: 'next_continuation_token',
        pageSize: 'limit = --limit or 100 on every page; --continuation-token with --all exits 2',
        stopsWhen: ['is_truncated is false, null or absent', 'next_continuation_token is empty, null or absent'],
        note: 'As the SDK: a repeated token is not detected.',
      },
    },
    {
      name: 'create bucket (minimal)',
      entryPoint: 'ibee buckets create {name} --region {region}',
      source: BUCKETS,
      alsoSee: [SDK_VALIDATION, SDK_BUCKET],
      method: 'POST',
      path: '/v1/object-storage/buckets',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { name: '{name}', region: '{region}', is_public: false } },
      accepts: ACCEPTS,
      requires: BUCKET_MODEL,
      errors: [...COMMON_ERRORS, BILLING_DENIED],
      retries: WRITE_RETRIES,
      notes: [
        'is_public is always sent (false without --public), unlike the SDK called directly.',
        'region comes from --region or IBEE_REGION; without both the SDK default applies, which only exists for api.ibee.ai and api.ibee.co.in.',
        'No billing request is sent: --preflight-billing is a deprecated no-op and the SDK is called with preflight_billing=False.',
      ],
    },
    {
      name: 'create bucket (full)',
      entryPoint: 'ibee buckets create {name} --region {region} --public --bucket-lock --retention-mode GOVERNANCE --retention-days 30 --tag production',
      source: BUCKETS,
      alsoSee: [SDK_VALIDATION],
      method: 'POST',
      path: '/v1/object-storage/buckets',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: {
        kind: 'json',
        json: {
          name: '{name}',
          region: '{region}',
          is_public: true,
          object_lock_enabled: true,
          default_retention: { mode: 'GOVERNANCE', days: 30 },
          tags: ['production'],
        },
      },
      accepts: ACCEPTS,
      requires: BUCKET_MODEL,
      errors: [...COMMON_ERRORS, BILLING_DENIED],
      retries: WRITE_RETRIES,
      notes: [
        'The retention can also be given as --default-retention JSON; --retention-mode is upper-cased. A retention turns object_lock_enabled on even without --bucket-lock; --no-bucket-lock with one is refused.',
      ],
    },
    {
      name: 'get bucket',
      entryPoint: 'ibee buckets get {bucket_name}',
      source: BUCKETS,
      method: 'GET',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_MODEL,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
    },
    {
      name: 'update bucket (is_public)',
      entryPoint: 'ibee buckets update {bucket_name} --private --yes',
      source: BUCKETS,
      method: 'PATCH',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { is_public: false } },
      accepts: ACCEPTS,
      requires: BUCKET_MODEL,
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
      notes: ['--private asks for confirmation (it deletes CDN distributions using the bucket) unless --yes; --public sends true.'],
    },
    {
      name: 'delete bucket: pre-read',
      entryPoint: 'ibee buckets delete {bucket_name} --yes [--skip-preflight]',
      source: BUCKETS,
      alsoSee: [SDK_VALIDATION, SDK_BUCKET],
      when: 'Unless --no-check-state (default on). Sent before the confirmation prompt.',
      flow: { name: 'delete bucket', step: 1, of: 2 },
      method: 'GET',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        ...BUCKET_MODEL,
        {
          kind: 'rule', id: 'typed-read', paths: ['name', 'is_public', 'bucket_lock_enabled'], enforcement: 'runtime',
          rule: 'Read through the typed get_bucket: the full Bucket model must validate, unlike the SDK pre-read which reads plain JSON.',
        },
        {
          kind: 'rule', id: 'not-object-locked', paths: ['bucket_lock_enabled'], enforcement: 'runtime',
          rule: 'bucket_lock_enabled === true refuses the delete (bucket_object_lock, exit 2).',
        },
        {
          kind: 'rule', id: 'empty-by-count', paths: ['object_count'], enforcement: 'runtime',
          rule: 'An integer object_count > 0 refuses the delete (bucket_not_empty, exit 2) unless --skip-preflight; a null count passes.',
        },
      ],
      errors: [
        { status: 403, effect: 'raise', raises: 'ForbiddenError', note: 'Stops the delete (the SDK alone would go on).' },
        { status: 404, effect: 'raise', raises: 'NotFoundError', note: 'Stops the delete.' },
      ],
      retries: READ_RETRIES,
    },
    {
      name: 'delete bucket',
      entryPoint: 'ibee buckets delete {bucket_name} --yes',
      source: BUCKETS,
      alsoSee: [SDK_WORKFLOWS],
      flow: { name: 'delete bucket', step: 2, of: 2 },
      method: 'DELETE',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        { ...JSON_OBJECT, note: 'SDK delete_bucket(check_state=False) parses DeleteResponse: a 204 or empty body fails (the pre-0.4 direct-HTTP CLI accepted 204).' },
        { kind: 'field', path: 'detail', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
      ],
      errors: [
        ...COMMON_ERRORS,
        { status: 409, effect: 'raise', raises: 'ConflictError', note: 'A message containing "not empty" adds a hint to empty the bucket through S3.' },
        { status: 403, effect: 'raise', raises: 'ForbiddenError', note: 'A message mentioning retention, legal hold or object lock adds a retention hint.' },
      ],
      retries: WRITE_RETRIES,
    },
    {
      name: 'list S3 credentials',
      entryPoint: 'ibee buckets credentials list',
      source: BUCKETS,
      method: 'GET',
      path: '/v1/object-storage/credentials',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        JSON_OBJECT,
        { kind: 'field', path: 'credentials', type: 'array', optional: false, nullable: false, enforcement: 'runtime' },
        { kind: 'field', path: 'credentials[].access_key_id', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
        { kind: 'field', path: 'credentials[].name', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
        { kind: 'field', path: 'credentials[].status', type: 'any', optional: false, nullable: false, enforcement: 'runtime' },
        { kind: 'field', path: 'credentials[].created_at', type: 'string', format: 'date-time', optional: false, nullable: false, enforcement: 'runtime' },
      ],
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
    },
    {
      name: 'create S3 credential (defaults)',
      entryPoint: 'ibee buckets credentials create',
      source: BUCKETS,
      alsoSee: [SDK_VALIDATION],
      method: 'POST',
      path: '/v1/object-storage/credentials',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { name: 'Default Key', permission_type: 'admin_rw', bucket_scope: 'all', allowed_buckets: [] } },
      accepts: ACCEPTS,
      requires: [
        ...CREDENTIAL_MODEL,
        { kind: 'field', path: 'secret_access_key', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
      ],
      errors: [...COMMON_ERRORS, BILLING_DENIED],
      retries: { retried: false, note: 'SDK sets max_retries 0 for this call.' },
      notes: ['The whole answer is printed as JSON or YAML (never only the id) so the one-time secret is not lost.'],
    },
    {
      name: 'create S3 credential (bucket-scoped)',
      entryPoint: 'ibee buckets credentials create --name {name} --permission-type object_rw --bucket-scope specific --allowed-bucket {bucket_name}',
      source: BUCKETS,
      alsoSee: [SDK_VALIDATION],
      method: 'POST',
      path: '/v1/object-storage/credentials',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: {
        kind: 'json',
        json: { name: '{name}', permission_type: 'object_rw', bucket_scope: 'specific', allowed_buckets: ['{bucket_name}'] },
      },
      accepts: ACCEPTS,
      requires: [
        ...CREDENTIAL_MODEL,
        { kind: 'field', path: 'secret_access_key', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
      ],
      errors: [...COMMON_ERRORS, BILLING_DENIED],
      retries: { retried: false, note: 'max_retries 0' },
    },
    {
      name: 'get S3 credential',
      entryPoint: 'ibee buckets credentials get {access_key_id}',
      source: BUCKETS,
      method: 'GET',
      path: '/v1/object-storage/credentials/{access_key_id}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: CREDENTIAL_MODEL,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
    },
    {
      name: 'delete (revoke) S3 credential',
      entryPoint: 'ibee buckets credentials revoke|delete {access_key_id} --yes',
      source: BUCKETS,
      method: 'DELETE',
      path: '/v1/object-storage/credentials/{access_key_id}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        JSON_OBJECT,
        { kind: 'field', path: 'success', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
        { kind: 'field', path: 'message', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
      ],
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
      notes: ['revoke and delete are the same command; both send DELETE.'],
    },
    {
      name: 'check resource eligibility',
      entryPoint: 'ibee billing eligibility --sku-code {sku_code} [--estimated-cost-minor N] [--operation OP] [--require]',
      source: BILLING,
      alsoSee: [HELPERS, SDK_BILLING_RAW],
      method: 'POST',
      path: '/v1/billing/resource-eligibility',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { sku_code: '{sku_code}' } },
      accepts: { min: 200, max: 299 },
      requires: [
        JSON_OBJECT,
        { kind: 'field', path: 'organization_id', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
        { kind: 'field', path: 'allowed', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
        { kind: 'field', path: 'reason', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
        {
          kind: 'rule', id: 'require-flag', paths: ['allowed'], enforcement: 'runtime',
          rule: 'With --require, allowed !== true exits 1 with the portal denial message; without it a denial exits 0. No SKU echo check (the CLI calls check_, not require_).',
        },
      ],
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
      notes: ['Body keys in order sku_code, estimated_cost_minor, operation; absent ones omitted; no option sends {}.'],
    },
  ],
  absent: ['POST /v1/object-storage/credentials/{access_key_id}/revoke'],
};
