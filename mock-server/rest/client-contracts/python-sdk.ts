import type { ClientContract, ErrorExpectation, ResponseRequirement, RetryPolicy, SourceRef } from './contract.js';

/**
 * Python SDK `ibee` 0.4.x (devs-ibee/ibee-python).
 *
 * The object-storage calls are built in `storage_workflows.py` and sent through the 0.4 transport
 * (`core/http_client.py`). The newest 0.4.x read is 3f1aeb9f: there `preflight_billing` is a no-op and a 403 on
 * the delete pre-read is ignored. 0.4.0 (15238d07) still ran the billing preflight and stopped on that 403;
 * calls that only 0.4.0 sends say so in `when`.
 */

const REPO = 'devs-ibee/ibee-python' as const;

const WORKFLOWS: SourceRef = { repo: REPO, path: 'src/ibee/storage_workflows.py', commit: '3f1aeb9f' };
const WORKFLOWS_040: SourceRef = { repo: REPO, path: 'src/ibee/storage_workflows.py', commit: '15238d07' };
const COMPUTE_WORKFLOWS_040: SourceRef = { repo: REPO, path: 'src/ibee/compute_workflows.py', commit: '15238d07' };
const COMPUTE_WORKFLOWS: SourceRef = { repo: REPO, path: 'src/ibee/compute_workflows.py', commit: '3f1aeb9f' };
const VALIDATION: SourceRef = { repo: REPO, path: 'src/ibee/validation/storage.py', commit: '15238d07' };
const HTTP: SourceRef = { repo: REPO, path: 'src/ibee/core/http_client.py', commit: 'cc6298e2' };
const WRAPPER: SourceRef = { repo: REPO, path: 'src/ibee/core/client_wrapper.py', commit: 'cc6298e2' };
const OS_CLIENT: SourceRef = { repo: REPO, path: 'src/ibee/object_storage/client.py', commit: '15238d07' };
const ERRORS: SourceRef = { repo: REPO, path: 'src/ibee/errors/factory.py', commit: '15238d07' };
const BUCKET_TYPE: SourceRef = { repo: REPO, path: 'src/ibee/types/bucket.py', commit: '5a2db485' };
const BUCKET_LIST_TYPE: SourceRef = { repo: REPO, path: 'src/ibee/types/bucket_list.py', commit: '5a2db485' };
const DELETE_TYPE: SourceRef = { repo: REPO, path: 'src/ibee/types/delete_response.py', commit: 'e2d19990' };
const CRED_TYPE: SourceRef = { repo: REPO, path: 'src/ibee/types/s3credential.py', commit: '15238d07' };
const CRED_CREATED_TYPE: SourceRef = { repo: REPO, path: 'src/ibee/types/s3credential_created.py', commit: 'e7a9db23' };
const CRED_LIST_TYPE: SourceRef = { repo: REPO, path: 'src/ibee/types/s3credential_list.py', commit: 'e7a9db23' };
const CRED_REVOKED_TYPE: SourceRef = { repo: REPO, path: 'src/ibee/types/s3credential_revoked.py', commit: '6408844a' };
const BILLING_CLIENT: SourceRef = { repo: REPO, path: 'src/ibee/billing/client.py', commit: 'cc6298e2' };
const BILLING_RAW: SourceRef = { repo: REPO, path: 'src/ibee/billing/raw_client.py', commit: 'cc6298e2' };
const BILLING_TYPE: SourceRef = { repo: REPO, path: 'src/ibee/types/billing_eligibility.py', commit: '02fe9a51' };

/** `get_headers` (client_wrapper.py): the three Fern headers, then the bearer token. */
const HEADERS = {
  'X-Fern-Language': 'Python',
  'X-Fern-Runtime': 'python/{python_version}',
  'X-Fern-Platform': '{os}/{os_release}',
  Authorization: 'Bearer {token}',
} as const;

/** The flow runner adds `content-type` whenever a call has a JSON body (compute_workflows._request_kwargs). */
const JSON_HEADERS = { ...HEADERS, 'content-type': 'application/json' } as const;

const WS = { workspace_id: '{workspace_id}' } as const;

/** Any status below 400 is returned to the flow; 400 and above raise a typed ApiError (http_client.py). */
const ACCEPTS = { min: 200, max: 399, note: 'http_client raises for status >= 400 only; httpx follows no redirects, so a 3xx body is parsed like a 2xx one' };

/** A parsed model: the body must be a JSON object, or pydantic raises a ValidationError (not an ApiError). */
const JSON_OBJECT: ResponseRequirement = {
  kind: 'json-body',
  shape: 'object',
  enforcement: 'runtime',
  note: 'An empty or non-JSON 2xx body is parsed as None and fails the pydantic model (compute_workflows._parse).',
};

const READ_RETRIES: RetryPolicy = {
  retried: true,
  statuses: [429, 502, 503, 504],
  maxRetries: 2,
  note: 'GET is retry-safe; Retry-After honoured up to 30 s (0.4 CHANGELOG, retry.py).',
};
const WRITE_RETRIES: RetryPolicy = {
  retried: false,
  note: 'Unkeyed writes are never retried on a status; a connection that could not be opened is retried for any method.',
};

/** Errors every call maps the same way (errors/factory.py); only the ones a client decides on are listed. */
const COMMON_ERRORS: readonly ErrorExpectation[] = [
  { status: 400, code: 'invalid_workspace_id', effect: 'raise', raises: 'InvalidWorkspaceError', note: 'also workspace_id_required' },
  { status: 403, code: 'insufficient_scope', reads: ['required_scope'], effect: 'raise', raises: 'InsufficientScopeError' },
  { status: 403, code: 'workspace_not_allowed', effect: 'raise', raises: 'WorkspaceNotAllowedError', note: 'also a message containing "does not match API token context"' },
  { status: 404, effect: 'raise', raises: 'NotFoundError' },
];

const BILLING_DENIED: ErrorExpectation = {
  status: 402,
  code: 'billing_denied',
  reads: ['billing_reason', 'billing_sku_code', 'admission_context_id'],
  effect: 'raise',
  raises: 'BillingDeniedError',
  note: 'Worded for the create path (object_storage / s3_credential); topup_allowed from the reason.',
};

const BUCKET_FIELDS: readonly ResponseRequirement[] = [
  JSON_OBJECT,
  { kind: 'field', path: 'name', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'is_public', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  {
    kind: 'field', path: 'bucket_lock_enabled', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime',
    note: 'Named bucket_lock_enabled in the answer, although the create body says object_lock_enabled.',
  },
  { kind: 'field', path: 'region', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'plan', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'status', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'site_id', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'site_name', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'object_count', type: 'integer', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'total_size', type: 'integer', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'created_at', type: 'string', format: 'date-time', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'updated_at', type: 'string', format: 'date-time', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'rule', id: 'extra-keys-allowed', paths: [], rule: 'The model allows extra keys.', enforcement: 'runtime' },
];

const BUCKET_LIST_FIELDS: readonly ResponseRequirement[] = [
  JSON_OBJECT,
  { kind: 'field', path: 'buckets', type: 'array', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'buckets[].name', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'buckets[].is_public', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'buckets[].bucket_lock_enabled', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'buckets[].object_count', type: 'integer', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'buckets[].total_size', type: 'integer', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'buckets[].created_at', type: 'string', format: 'date-time', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'buckets[].updated_at', type: 'string', format: 'date-time', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'is_truncated', type: 'boolean', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'next_continuation_token', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
];

const CREDENTIAL_FIELDS: readonly ResponseRequirement[] = [
  { kind: 'field', path: 'access_key_id', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'name', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  {
    kind: 'field', path: 'status', type: 'any', optional: false, nullable: false, enforcement: 'runtime',
    note: "Typed Literal['active','revoked'] | Any: any value passes, but the key must be present.",
  },
  { kind: 'field', path: 'created_at', type: 'string', format: 'date-time', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'last_used_at', type: 'string', format: 'date-time', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'organization_id', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'workspace_id', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'permission_type', type: 'any', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'bucket_scope', type: 'any', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'allowed_buckets', type: 'array', optional: true, nullable: true, enforcement: 'runtime', note: 'items are strings' },
  { kind: 'field', path: 'created_by_user_id', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
];

/** The same model, for every item of `credentials` in the list answer. */
const CREDENTIAL_LIST_ITEM_FIELDS: readonly ResponseRequirement[] = [
  { kind: 'field', path: 'credentials[].access_key_id', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'credentials[].name', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'credentials[].status', type: 'any', optional: false, nullable: false, enforcement: 'runtime' },
  {
    kind: 'field', path: 'credentials[].created_at', type: 'string', format: 'date-time', optional: false, nullable: false,
    enforcement: 'runtime',
  },
  {
    kind: 'field', path: 'credentials[].last_used_at', type: 'string', format: 'date-time', optional: true, nullable: true,
    enforcement: 'runtime',
  },
  { kind: 'field', path: 'credentials[].allowed_buckets', type: 'array', optional: true, nullable: true, enforcement: 'runtime' },
];

const ELIGIBILITY_FIELDS: readonly ResponseRequirement[] = [
  JSON_OBJECT,
  { kind: 'field', path: 'organization_id', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'allowed', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'reason', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'sku_code', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'estimated_cost_minor', type: 'integer', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'evaluated_at', type: 'string', format: 'date-time', optional: true, nullable: true, enforcement: 'runtime' },
];

/** `require_resource_eligibility` and the 0.4.0 create preflight (`_decision_from_response`). */
const REQUIRE_ELIGIBILITY_RULES: readonly ResponseRequirement[] = [
  JSON_OBJECT,
  { kind: 'field', path: 'allowed', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'organization_id', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime' },
  { kind: 'field', path: 'reason', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime' },
  {
    kind: 'rule', id: 'sku-echo', paths: ['sku_code'], enforcement: 'runtime',
    rule: 'When a sku_code was sent, the answer must carry it back, compared trimmed and case-insensitively; else BillingAdmissionError (502, invalid_billing_decision).',
  },
  {
    kind: 'rule', id: 'allowed-exactly-true', paths: ['allowed'], enforcement: 'runtime',
    rule: 'Anything but allowed === true raises BillingDeniedError (402, billing_denied) on the client; the create is not sent.',
  },
];

export const pythonSdkContract: ClientContract = {
  client: 'python-sdk-0.4',
  version: '0.4.x: newest read 3f1aeb9f (preflight flags are no-ops); 0.4.0 is 15238d07 (CHANGELOG 0.4.0).',
  transport: [
    'Base URL is used as given and the path appended (https://api.ibee.ai/v1 by default); a mock base URL must end in /v1. http:// only for localhost, 127.0.0.1, ::1.',
    'httpx adds its defaults: Accept: */*, Accept-Encoding, Connection, User-Agent: python-httpx/{version}.',
    'workspace_id is the first query parameter of every call and must match ^[1-9][0-9]*$ (a positive int is accepted and sent as text); X-Organization-Id, X-Workspace-Id and X-Project-Id are stripped from every request.',
    'Billable creates (POST buckets, POST credentials) send at least {} and are refused client-side above 65,536 bytes.',
    'Path parameters are percent-encoded with quote(safe="").',
    'A token with ibee_dev_key_ is refused against api.ibee.ai and ibee_prod_key_ against api.ibee.co.in; any non-empty single-line token passes for other hosts.',
  ],
  sharedSources: [HTTP, WRAPPER, ERRORS, { repo: REPO, path: 'CHANGELOG.md', commit: '15238d07' }],
  calls: [
    {
      name: 'list buckets page',
      entryPoint: 'object_storage.list_buckets(workspace_id=...)',
      source: WORKFLOWS,
      alsoSee: [BUCKET_LIST_TYPE, BUCKET_TYPE, HTTP],
      method: 'GET',
      path: '/v1/object-storage/buckets',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_LIST_FIELDS,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
    },
    {
      name: 'list buckets page with limit and continuation_token',
      entryPoint: 'object_storage.list_buckets(workspace_id=..., limit=..., continuation_token=...)',
      source: WORKFLOWS,
      alsoSee: [VALIDATION, BUCKET_LIST_TYPE],
      method: 'GET',
      path: '/v1/object-storage/buckets',
      query: { ...WS, limit: '{limit}', continuation_token: '{continuation_token}' },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_LIST_FIELDS,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
      notes: [
        'limit is an integer 1-1000 and is only sent when given; continuation_token is trimmed and refused when blank (invalid_continuation_token).',
      ],
    },
    {
      name: 'iterate buckets (auto-paging)',
      entryPoint: 'object_storage.iter_buckets / list_all_buckets(workspace_id=..., page_size=100)',
      source: OS_CLIENT,
      alsoSee: [WORKFLOWS, BUCKET_LIST_TYPE],
      method: 'GET',
      path: '/v1/object-storage/buckets',
      query: { ...WS, limit: '100', continuation_token: '{continuation_token}' },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_LIST_FIELDS,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
      paging: {
        helper: 'iter_buckets',
        follows: 'next_continuation_token',
        pageSize: 'limit = page_size (default 100, 1-1000) on every page; the first page has no continuation_token',
        stopsWhen: ['is_truncated is false, null or absent', 'next_continuation_token is empty, null or absent'],
        note: 'A repeated token is not detected: a server that answers is_truncated=true with the same token forever loops the client.',
      },
    },
    {
      name: 'create bucket (minimal)',
      entryPoint: "object_storage.create_bucket(workspace_id=..., name=..., region=...)",
      source: WORKFLOWS,
      alsoSee: [VALIDATION, BUCKET_TYPE],
      method: 'POST',
      path: '/v1/object-storage/buckets',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { name: '{name}', region: '{region}' } },
      accepts: { ...ACCEPTS, note: 'The 0.4 tests answer 201; any status below 400 is accepted.' },
      requires: BUCKET_FIELDS,
      errors: [...COMMON_ERRORS, BILLING_DENIED, { status: 409, effect: 'raise', raises: 'ConflictError', note: 'name taken or creation in progress' }],
      retries: WRITE_RETRIES,
      notes: [
        'name: trimmed, 3-63 characters, ^[a-z0-9][a-z0-9-]*[a-z0-9]$ (upper case refused, not lower-cased).',
        'region defaults to in-south-1 on api.ibee.ai and in-south-2 on api.ibee.co.in; any other base URL (a mock) must pass it or the call fails with invalid_region before sending.',
      ],
    },
    {
      name: 'create bucket (full)',
      entryPoint: "object_storage.create_bucket(..., is_public=False, default_retention={'mode': 'GOVERNANCE', 'days': 30}, tags=['production'])",
      source: WORKFLOWS,
      alsoSee: [VALIDATION, BUCKET_TYPE],
      method: 'POST',
      path: '/v1/object-storage/buckets',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: {
        kind: 'json',
        json: {
          name: '{name}',
          region: '{region}',
          is_public: false,
          object_lock_enabled: true,
          default_retention: { mode: 'GOVERNANCE', days: 30 },
          tags: ['production'],
        },
      },
      accepts: ACCEPTS,
      requires: BUCKET_FIELDS,
      errors: [...COMMON_ERRORS, BILLING_DENIED, { status: 409, effect: 'raise', raises: 'ConflictError' }],
      retries: WRITE_RETRIES,
      notes: [
        'is_public and object_lock_enabled are sent only when given; default_retention forces object_lock_enabled: true and an explicit False with it is refused (invalid_object_lock_enabled).',
        'default_retention is {mode: GOVERNANCE|COMPLIANCE} plus exactly one of days (1-36500) or years (1-100).',
      ],
    },
    {
      name: 'billing preflight before create (0.4.0 only)',
      entryPoint: 'object_storage.create_bucket(..., preflight_billing=True) and create_s3credential(..., preflight_billing=True)',
      source: WORKFLOWS_040,
      alsoSee: [COMPUTE_WORKFLOWS_040, COMPUTE_WORKFLOWS, BILLING_CLIENT],
      when: 'Only 0.4.0 (15238d07) with preflight_billing=True, before the create. From 3f1aeb9f billing_preflight is a no-op and sends nothing.',
      method: 'POST',
      path: '/v1/billing/resource-eligibility',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { sku_code: 'OBJECTST-STD' } },
      accepts: { min: 200, max: 399 },
      requires: REQUIRE_ELIGIBILITY_RULES,
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
    },
    {
      name: 'get bucket',
      entryPoint: 'object_storage.get_bucket(bucket_name, workspace_id=...)',
      source: WORKFLOWS,
      alsoSee: [BUCKET_TYPE],
      method: 'GET',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_FIELDS,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
    },
    {
      name: 'update bucket (is_public)',
      entryPoint: 'object_storage.update_bucket(bucket_name, workspace_id=..., is_public=False)',
      source: WORKFLOWS,
      alsoSee: [BUCKET_TYPE],
      method: 'PATCH',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { is_public: false } },
      accepts: ACCEPTS,
      requires: BUCKET_FIELDS,
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
      notes: ['is_public must be a Python bool (invalid_is_public otherwise); it is the only field ever sent.'],
    },
    {
      name: 'delete bucket: pre-read',
      entryPoint: 'object_storage.delete_bucket(bucket_name, workspace_id=..., skip_preflight=False)',
      source: WORKFLOWS,
      alsoSee: [VALIDATION, WORKFLOWS_040],
      when: 'Unless check_state=False.',
      flow: { name: 'delete bucket', step: 1, of: 2 },
      method: 'GET',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        {
          kind: 'rule', id: 'not-object-locked', paths: ['bucket_lock_enabled'], enforcement: 'runtime',
          rule: 'bucket_lock_enabled === true refuses the delete (bucket_object_lock); the DELETE is not sent. object_lock_enabled is not looked at.',
        },
        {
          kind: 'rule', id: 'empty-by-count', paths: ['object_count'], enforcement: 'runtime',
          rule: 'An integer object_count > 0 refuses the delete (bucket_not_empty) unless skip_preflight=True. A missing or null count passes.',
        },
        {
          kind: 'rule', id: 'no-model', paths: [], enforcement: 'runtime',
          rule: 'The body is read as plain JSON, not as the Bucket model: no field is required, and a non-JSON body passes both checks.',
        },
      ],
      errors: [
        { status: 403, effect: 'continue', note: '3f1aeb9f: ForbiddenError (any 403) is swallowed and the DELETE is sent anyway. 0.4.0 (15238d07) raised it and sent nothing.' },
        { status: 404, effect: 'raise', raises: 'NotFoundError', note: 'The DELETE is not sent.' },
      ],
      retries: READ_RETRIES,
    },
    {
      name: 'delete bucket',
      entryPoint: 'object_storage.delete_bucket(bucket_name, workspace_id=...)',
      source: WORKFLOWS,
      alsoSee: [DELETE_TYPE],
      flow: { name: 'delete bucket', step: 2, of: 2 },
      method: 'DELETE',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        { ...JSON_OBJECT, note: 'DeleteResponse model: a 204 or empty 2xx fails with a pydantic ValidationError.' },
        { kind: 'field', path: 'detail', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
      ],
      errors: [...COMMON_ERRORS, { status: 409, effect: 'raise', raises: 'ConflictError', note: 'bucket still holds objects' }],
      retries: WRITE_RETRIES,
    },
    {
      name: 'list S3 credentials',
      entryPoint: 'object_storage.list_s3credentials(workspace_id=...)',
      source: WORKFLOWS,
      alsoSee: [CRED_LIST_TYPE, CRED_TYPE],
      method: 'GET',
      path: '/v1/object-storage/credentials',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        JSON_OBJECT,
        { kind: 'field', path: 'credentials', type: 'array', optional: false, nullable: false, enforcement: 'runtime' },
        ...CREDENTIAL_LIST_ITEM_FIELDS,
      ],
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
      notes: ['No paging parameters are sent.'],
    },
    {
      name: 'create S3 credential (defaults)',
      entryPoint: 'object_storage.create_s3credential(workspace_id=...)',
      source: WORKFLOWS,
      alsoSee: [VALIDATION, OS_CLIENT, CRED_CREATED_TYPE],
      method: 'POST',
      path: '/v1/object-storage/credentials',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { name: 'Default Key', permission_type: 'admin_rw', bucket_scope: 'all', allowed_buckets: [] } },
      accepts: ACCEPTS,
      requires: [
        JSON_OBJECT,
        ...CREDENTIAL_FIELDS,
        { kind: 'field', path: 'secret_access_key', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
      ],
      errors: [...COMMON_ERRORS, BILLING_DENIED],
      retries: { retried: false, note: 'max_retries defaults to 0 for this call (no_retry_request_options): the secret is returned once.' },
    },
    {
      name: 'create S3 credential (bucket-scoped)',
      entryPoint: "object_storage.create_s3credential(..., name=..., permission_type='object_rw', bucket_scope='specific', allowed_buckets=[...])",
      source: WORKFLOWS,
      alsoSee: [VALIDATION, CRED_CREATED_TYPE],
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
        JSON_OBJECT,
        ...CREDENTIAL_FIELDS,
        { kind: 'field', path: 'secret_access_key', type: 'string', optional: false, nullable: false, enforcement: 'runtime' },
      ],
      errors: [...COMMON_ERRORS, BILLING_DENIED],
      retries: { retried: false, note: 'max_retries 0 by default.' },
      notes: [
        'name trimmed, 1-100 characters; permission_type always sent; admin_* always sends bucket_scope "all" and allowed_buckets [] (specific or buckets with admin_* is refused: invalid_bucket_scope).',
        'specific needs at least one bucket; all with buckets is refused (invalid_allowed_buckets); bucket names are trimmed, blanks and duplicates dropped.',
      ],
    },
    {
      name: 'get S3 credential',
      entryPoint: 'object_storage.get_s3credential(access_key_id, workspace_id=...)',
      source: WORKFLOWS,
      alsoSee: [CRED_TYPE],
      method: 'GET',
      path: '/v1/object-storage/credentials/{access_key_id}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [JSON_OBJECT, ...CREDENTIAL_FIELDS],
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
    },
    {
      name: 'delete (revoke) S3 credential',
      entryPoint: 'object_storage.delete_s3credential / revoke_s3credential(access_key_id, workspace_id=...)',
      source: WORKFLOWS,
      alsoSee: [CRED_REVOKED_TYPE, OS_CLIENT],
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
      notes: ['revoke_s3credential and delete_s3credential send the same DELETE; the SDK documents it as a permanent delete. success=false is not treated as a failure.'],
    },
    {
      name: 'check resource eligibility',
      entryPoint: "billing.check_resource_eligibility(workspace_id=..., sku_code='OBJECTST-STD')",
      source: BILLING_RAW,
      alsoSee: [BILLING_CLIENT, BILLING_TYPE],
      method: 'POST',
      path: '/v1/billing/resource-eligibility',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { sku_code: '{sku_code}' } },
      accepts: { min: 200, max: 299, note: 'The raw billing client parses only 2xx; the transport already raised for >= 400.' },
      requires: ELIGIBILITY_FIELDS,
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
      notes: [
        'Body keys in order sku_code (trimmed, 1-64, blank omitted), estimated_cost_minor (>= 0, floats rounded), operation (one of eight upper-case names); absent ones are omitted and no argument sends {}.',
        'A denial is data (allowed: false). A body that fails the model raises ParsingError.',
      ],
    },
    {
      name: 'require resource eligibility',
      entryPoint: "billing.require_resource_eligibility(workspace_id=..., sku_code='OBJECTST-STD', resource_type=...)",
      source: BILLING_CLIENT,
      alsoSee: [BILLING_RAW],
      method: 'POST',
      path: '/v1/billing/resource-eligibility',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { sku_code: '{sku_code}' } },
      accepts: { min: 200, max: 399 },
      requires: REQUIRE_ELIGIBILITY_RULES,
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
    },
  ],
  absent: ['POST /v1/object-storage/credentials/{access_key_id}/revoke (the SDK deletes instead)'],
};
