import type { ClientContract, ErrorExpectation, ResponseRequirement, RetryPolicy, SourceRef } from './contract.js';

/**
 * TypeScript SDK `ibee-sdk` 0.4 (devs-ibee/ibee-typescript).
 *
 * Object storage is read at f00204b3, the last 0.4.0 state stored (its CHANGELOG has 0.4.0 only; 0601c209 is
 * the same file but for the credential denial label). 0.4.2 (068b5b11) makes `preflightBilling` a no-op (its
 * CHANGELOG and test/authoritativeMutations.test.mjs); its objectStorage.ts is not in the index, so calls
 * are taken from f00204b3 and the one call 0.4.2 dropped says so.
 *
 * The SDK checks almost nothing in answers at run time: the transport returns whatever a 2xx carried (JSON,
 * text, or undefined for an empty body) cast to the declared type. Declared shapes are listed as
 * `typed-only`; the delete pre-check and the strict billing check are the run-time exceptions.
 */

const REPO = 'devs-ibee/ibee-typescript' as const;

const OBJECT_STORAGE: SourceRef = { repo: REPO, path: 'src/resources/objectStorage.ts', commit: 'f00204b3' };
const CORE: SourceRef = { repo: REPO, path: 'src/core.ts', commit: 'f00204b3' };
const VALIDATION: SourceRef = { repo: REPO, path: 'src/validation.ts', commit: 'f00204b3' };
const TYPES: SourceRef = { repo: REPO, path: 'src/types.ts', commit: '0601c209' };
const ERRORS: SourceRef = { repo: REPO, path: 'src/errors.ts', commit: '005a8faa' };
const BILLING: SourceRef = { repo: REPO, path: 'src/resources/billing.ts', commit: '068b5b11' };
const CHANGELOG_042: SourceRef = { repo: REPO, path: 'CHANGELOG.md', commit: '068b5b11' };
const MUTATIONS_TEST_042: SourceRef = { repo: REPO, path: 'test/authoritativeMutations.test.mjs', commit: '068b5b11' };

const HEADERS = { Authorization: 'Bearer {token}', Accept: 'application/json' } as const;
const JSON_HEADERS = { ...HEADERS, 'Content-Type': 'application/json' } as const;
const WS = { workspace_id: '{workspace_id}' } as const;

const ACCEPTS = { min: 200, max: 299, note: 'res.ok; the body is returned as parsed JSON, as text when it is not JSON, or undefined when empty.' };

const NO_BODY_CHECK: ResponseRequirement = {
  kind: 'json-body',
  shape: 'object',
  enforcement: 'typed-only',
  note: 'Declared as a JSON object; an empty or non-JSON 2xx is returned as undefined or text without an error.',
};

const READ_RETRIES: RetryPolicy = {
  retried: true,
  statuses: [429, 502, 503, 504],
  maxRetries: 2,
  note: 'Also network errors. Not when the body code is a billing-admission code. Retry-After / retry-after-ms honoured, capped at 30 s.',
};
const WRITE_RETRIES: RetryPolicy = { retried: false, note: 'Writes without an idempotency key are never retried, on a status or on a network error.' };

const COMMON_ERRORS: readonly ErrorExpectation[] = [
  { status: 400, code: 'invalid_workspace_id', effect: 'raise', raises: 'InvalidWorkspaceError', note: 'also workspace_id_required' },
  { status: 403, code: 'insufficient_scope', reads: ['required_scope'], effect: 'raise', raises: 'InsufficientScopeError (requiredScope)' },
  { status: 403, code: 'workspace_not_allowed', effect: 'raise', raises: 'WorkspaceNotAllowedError' },
  { status: 404, effect: 'raise', raises: 'NotFoundError' },
];

const BILLING_DENIED: ErrorExpectation = {
  status: 402,
  code: 'billing_denied',
  reads: ['billing_reason', 'billing_sku_code', 'admission_context_id', 'message'],
  effect: 'raise',
  raises: 'BillingDeniedError (reason, skuCode, admissionContextId, topupAllowed)',
};

const BUCKET_TYPED: readonly ResponseRequirement[] = [
  NO_BODY_CHECK,
  { kind: 'field', path: 'name', type: 'string', optional: true, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'is_public', type: 'boolean', optional: true, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'bucket_lock_enabled', type: 'boolean', optional: true, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'region', type: 'string', optional: true, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'object_count', type: 'number', optional: true, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'total_size', type: 'number', optional: true, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'created_at', type: 'string', optional: true, nullable: false, enforcement: 'typed-only' },
];

const BUCKET_LIST_TYPED: readonly ResponseRequirement[] = [
  NO_BODY_CHECK,
  { kind: 'field', path: 'buckets', type: 'array', optional: true, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'buckets[].name', type: 'string', optional: true, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'is_truncated', type: 'boolean', optional: true, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'next_continuation_token', type: 'string', optional: true, nullable: false, enforcement: 'typed-only' },
];

const CREDENTIAL_TYPED: readonly ResponseRequirement[] = [
  NO_BODY_CHECK,
  { kind: 'field', path: 'access_key_id', type: 'string', optional: false, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'name', type: 'string', optional: false, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'status', type: 'string', optional: false, nullable: false, enforcement: 'typed-only', note: "'active' | 'revoked' | any string" },
  { kind: 'field', path: 'created_at', type: 'string', optional: false, nullable: false, enforcement: 'typed-only' },
  { kind: 'field', path: 'allowed_buckets', type: 'array', optional: true, nullable: false, enforcement: 'typed-only' },
];

/** requireResourceEligibility (billing.ts): the only answer the SDK validates. */
const REQUIRE_ELIGIBILITY_RULES: readonly ResponseRequirement[] = [
  { kind: 'json-body', shape: 'object', enforcement: 'runtime', note: 'Anything but a JSON object is BillingAdmissionError (502, invalid_billing_decision).' },
  { kind: 'field', path: 'allowed', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'organization_id', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime', note: 'empty string refused; blank with spaces passes' },
  { kind: 'field', path: 'reason', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime', note: 'empty string refused' },
  {
    kind: 'rule', id: 'sku-echo', paths: ['sku_code'], enforcement: 'runtime',
    rule: 'When a SKU was requested, String(sku_code ?? "").trim().toUpperCase() must equal the requested SKU upper-cased, checked before allowed (also on a denial); else BillingAdmissionError (502, invalid_billing_decision).',
  },
  {
    kind: 'rule', id: 'allowed-exactly-true', paths: ['allowed'], enforcement: 'runtime',
    rule: 'allowed !== true throws BillingDeniedError (402, billing_denied) with the portal message for the resource type.',
  },
];

export const typescriptSdkContract: ClientContract = {
  client: 'typescript-sdk-0.4',
  version: '0.4.0 (f00204b3; release 0601c209) for object storage; billing.ts from 0.4.2 (068b5b11).',
  transport: [
    'URL is new URL(baseUrl + path) with the trailing / of baseUrl removed; a mock base URL must end in /v1. http only for localhost, 127.0.0.1, ::1.',
    'fetch adds its own defaults (accept-encoding, user-agent: node, connection).',
    'workspace_id is set first with searchParams.set, then the other query parameters in order; undefined ones are skipped. It must match ^[1-9][0-9]*$ and be a string.',
    'POST to a billable path (buckets, credentials) without a body sends {}; billable bodies above 65,536 bytes are refused (request_body_too_large).',
    'Path segments are encodeURIComponent-ed.',
    'Per-request timeout 30 s; no redirect handling of its own (fetch follows redirects).',
  ],
  sharedSources: [CORE, VALIDATION, ERRORS, TYPES],
  calls: [
    {
      name: 'list buckets page',
      entryPoint: 'objectStorage.listBuckets({ workspaceId })',
      source: OBJECT_STORAGE,
      method: 'GET',
      path: '/v1/object-storage/buckets',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_LIST_TYPED,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
    },
    {
      name: 'list buckets page with limit and continuation_token',
      entryPoint: 'objectStorage.listBuckets({ workspaceId, limit, continuationToken })',
      source: OBJECT_STORAGE,
      method: 'GET',
      path: '/v1/object-storage/buckets',
      query: { ...WS, limit: '{limit}', continuation_token: '{continuation_token}' },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_LIST_TYPED,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
      notes: ['limit must be an integer 1-1000 (invalid_limit); a blank continuationToken is refused (invalid_continuation_token) but is sent untrimmed.'],
    },
    {
      name: 'iterate buckets (auto-paging)',
      entryPoint: 'objectStorage.iterateBuckets / listAllBuckets({ workspaceId, pageSize })',
      source: OBJECT_STORAGE,
      method: 'GET',
      path: '/v1/object-storage/buckets',
      query: { ...WS, limit: '100', continuation_token: '{continuation_token}' },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        ...BUCKET_LIST_TYPED,
        {
          kind: 'rule', id: 'lenient-page', paths: ['buckets'], enforcement: 'runtime',
          rule: 'A page without buckets yields nothing; a page without is_truncated ends the walk. No answer shape raises.',
        },
      ],
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
      paging: {
        helper: 'iterateBuckets',
        follows: 'next_continuation_token',
        pageSize: 'limit = pageSize (default 100) on every page; the first page has no continuation_token',
        stopsWhen: ['is_truncated is falsy', 'next_continuation_token is falsy', 'next_continuation_token equals the token just sent', 'after 1000 pages'],
      },
    },
    {
      name: 'create bucket (minimal)',
      entryPoint: "objectStorage.createBucket({ workspaceId, name, region })",
      source: OBJECT_STORAGE,
      alsoSee: [VALIDATION],
      method: 'POST',
      path: '/v1/object-storage/buckets',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { name: '{name}', region: '{region}' } },
      accepts: { ...ACCEPTS, note: 'The SDK tests answer 200; any 2xx is accepted.' },
      requires: BUCKET_TYPED,
      errors: [...COMMON_ERRORS, BILLING_DENIED, { status: 409, effect: 'raise', raises: 'ConflictError' }],
      retries: WRITE_RETRIES,
      notes: [
        'name trimmed, 3-63 characters, ^[a-z0-9][a-z0-9-]*[a-z0-9]$.',
        'region defaults only on api.ibee.ai (in-south-1) and api.ibee.co.in (in-south-2); against a mock it must be passed (invalid_region otherwise). A blank region is refused.',
      ],
    },
    {
      name: 'create bucket (full)',
      entryPoint: "objectStorage.createBucket({ ..., isPublic: false, defaultRetention: { mode: 'GOVERNANCE', days: 30 }, tags: ['production'] })",
      source: OBJECT_STORAGE,
      alsoSee: [VALIDATION],
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
          default_retention: { mode: 'GOVERNANCE', days: 30 },
          object_lock_enabled: true,
          tags: ['production'],
        },
      },
      accepts: ACCEPTS,
      requires: BUCKET_TYPED,
      errors: [...COMMON_ERRORS, BILLING_DENIED, { status: 409, effect: 'raise', raises: 'ConflictError' }],
      retries: WRITE_RETRIES,
      notes: [
        'Key order differs from Python: default_retention comes before object_lock_enabled.',
        'A retention turns object_lock_enabled on; objectLockEnabled: false with a retention is refused as invalid_default_retention (Python: invalid_object_lock_enabled).',
      ],
    },
    {
      name: 'billing preflight before create (0.4.0 only)',
      entryPoint: 'objectStorage.createBucket / createS3Credential({ ..., preflightBilling: true })',
      source: OBJECT_STORAGE,
      alsoSee: [BILLING, CHANGELOG_042, MUTATIONS_TEST_042],
      when: '0.4.0 with preflightBilling: true, before the create (resourceType object_storage or s3_credential). 0.4.2 sends no eligibility request whatever the flag.',
      method: 'POST',
      path: '/v1/billing/resource-eligibility',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { sku_code: 'OBJECTST-STD' } },
      accepts: ACCEPTS,
      requires: REQUIRE_ELIGIBILITY_RULES,
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
    },
    {
      name: 'get bucket',
      entryPoint: 'objectStorage.getBucket({ workspaceId, bucketName })',
      source: OBJECT_STORAGE,
      method: 'GET',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_TYPED,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
    },
    {
      name: 'update bucket (is_public)',
      entryPoint: 'objectStorage.updateBucket({ workspaceId, bucketName, isPublic: false })',
      source: OBJECT_STORAGE,
      method: 'PATCH',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { is_public: false } },
      accepts: ACCEPTS,
      requires: BUCKET_TYPED,
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
    },
    {
      name: 'delete bucket: pre-read',
      entryPoint: 'objectStorage.deleteBucket({ workspaceId, bucketName, skipPreflight })',
      source: OBJECT_STORAGE,
      alsoSee: [VALIDATION],
      when: 'Always: the SDK has no switch to skip the read.',
      flow: { name: 'delete bucket', step: 1, of: 2 },
      method: 'GET',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        {
          kind: 'rule', id: 'not-object-locked', paths: ['bucket_lock_enabled', 'object_lock_enabled'], enforcement: 'runtime',
          rule: 'bucket_lock_enabled === true or object_lock_enabled === true refuses the delete (bucket_object_lock); the DELETE is not sent.',
        },
        {
          kind: 'rule', id: 'empty-by-count', paths: ['object_count'], enforcement: 'runtime',
          rule: 'Number(object_count ?? 0) > 0 refuses the delete (bucket_not_empty) unless skipPreflight; a numeric string counts, a missing count or an empty body passes.',
        },
      ],
      errors: [
        { status: 403, effect: 'raise', raises: 'ForbiddenError subclass', note: 'Any error on the read stops the delete; the DELETE is not sent.' },
        { status: 404, effect: 'raise', raises: 'NotFoundError', note: 'The DELETE is not sent.' },
      ],
      retries: READ_RETRIES,
    },
    {
      name: 'delete bucket',
      entryPoint: 'objectStorage.deleteBucket({ workspaceId, bucketName })',
      source: OBJECT_STORAGE,
      flow: { name: 'delete bucket', step: 2, of: 2 },
      method: 'DELETE',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        { kind: 'json-body', shape: 'object', enforcement: 'typed-only', note: 'DeleteResponse { detail?, deleted?, id? }; a 204 resolves to undefined.' },
      ],
      errors: [...COMMON_ERRORS, { status: 409, effect: 'raise', raises: 'ConflictError', note: 'bucket still holds objects' }],
      retries: WRITE_RETRIES,
    },
    {
      name: 'list S3 credentials',
      entryPoint: 'objectStorage.listS3Credentials({ workspaceId })',
      source: OBJECT_STORAGE,
      method: 'GET',
      path: '/v1/object-storage/credentials',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        NO_BODY_CHECK,
        { kind: 'field', path: 'credentials', type: 'array', optional: false, nullable: false, enforcement: 'typed-only' },
        { kind: 'field', path: 'credentials[].access_key_id', type: 'string', optional: false, nullable: false, enforcement: 'typed-only' },
      ],
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
    },
    {
      name: 'create S3 credential (defaults)',
      entryPoint: 'objectStorage.createS3Credential({ workspaceId })',
      source: OBJECT_STORAGE,
      alsoSee: [VALIDATION],
      method: 'POST',
      path: '/v1/object-storage/credentials',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { name: 'Default Key', permission_type: 'admin_rw', bucket_scope: 'all', allowed_buckets: [] } },
      accepts: ACCEPTS,
      requires: [
        ...CREDENTIAL_TYPED,
        { kind: 'field', path: 'secret_access_key', type: 'string', optional: false, nullable: false, enforcement: 'typed-only' },
      ],
      errors: [...COMMON_ERRORS, BILLING_DENIED],
      retries: WRITE_RETRIES,
    },
    {
      name: 'create S3 credential (bucket-scoped)',
      entryPoint: "objectStorage.createS3Credential({ workspaceId, name, permissionType: 'object_rw', bucketScope: 'specific', allowedBuckets })",
      source: OBJECT_STORAGE,
      alsoSee: [VALIDATION],
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
        ...CREDENTIAL_TYPED,
        { kind: 'field', path: 'secret_access_key', type: 'string', optional: false, nullable: false, enforcement: 'typed-only' },
      ],
      errors: [...COMMON_ERRORS, BILLING_DENIED],
      retries: WRITE_RETRIES,
      notes: ['Same rules as Python: name 1-100, admin_* forces all/[], specific needs a bucket, names trimmed and de-duplicated.'],
    },
    {
      name: 'get S3 credential',
      entryPoint: 'objectStorage.getS3Credential({ workspaceId, accessKeyId })',
      source: OBJECT_STORAGE,
      method: 'GET',
      path: '/v1/object-storage/credentials/{access_key_id}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: CREDENTIAL_TYPED,
      errors: COMMON_ERRORS,
      retries: READ_RETRIES,
      notes: ['accessKeyId is limited to 256 characters client-side.'],
    },
    {
      name: 'delete (revoke) S3 credential',
      entryPoint: 'objectStorage.revokeS3Credential / deleteS3Credential({ workspaceId, accessKeyId })',
      source: OBJECT_STORAGE,
      method: 'DELETE',
      path: '/v1/object-storage/credentials/{access_key_id}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        NO_BODY_CHECK,
        { kind: 'field', path: 'success', type: 'boolean', optional: false, nullable: false, enforcement: 'typed-only' },
        { kind: 'field', path: 'message', type: 'string', optional: false, nullable: false, enforcement: 'typed-only' },
      ],
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
    },
    {
      name: 'check resource eligibility',
      entryPoint: "billing.checkResourceEligibility({ workspaceId, skuCode: 'OBJECTST-STD' })",
      source: BILLING,
      method: 'POST',
      path: '/v1/billing/resource-eligibility',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { sku_code: '{sku_code}' } },
      accepts: ACCEPTS,
      requires: [
        NO_BODY_CHECK,
        { kind: 'field', path: 'organization_id', type: 'string', optional: false, nullable: false, enforcement: 'typed-only' },
        { kind: 'field', path: 'allowed', type: 'boolean', optional: false, nullable: false, enforcement: 'typed-only' },
        { kind: 'field', path: 'reason', type: 'string', optional: false, nullable: false, enforcement: 'typed-only' },
      ],
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
      notes: [
        'Body keys sku_code (trimmed, blank omitted, max 64), estimated_cost_minor (rounded, >= 0), operation (upper-cased, one of eight); no argument sends {}.',
        'A denial is data (allowed: false).',
      ],
    },
    {
      name: 'require resource eligibility',
      entryPoint: "billing.requireResourceEligibility({ workspaceId, skuCode: 'OBJECTST-STD', resourceType })",
      source: BILLING,
      method: 'POST',
      path: '/v1/billing/resource-eligibility',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { sku_code: '{sku_code}' } },
      accepts: ACCEPTS,
      requires: REQUIRE_ELIGIBILITY_RULES,
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
    },
  ],
  absent: ['POST /v1/object-storage/credentials/{access_key_id}/revoke (the SDK deletes instead)'],
};
