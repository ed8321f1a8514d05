import type { ClientContract, ErrorExpectation, ResponseRequirement, RetryPolicy, SourceRef } from './contract.js';

/**
 * Terraform provider `devs-ibee/ibee` (devs-ibee/terraform-provider-ibee), resources read at cbd1ca1b.
 *
 * cbd1ca1b is the newest state stored: its billing.go has no requireBillingEligibility and its bucket and
 * credential resources no longer call it, as test authoritative_mutations_test.go (3eaa0553) demands. The
 * earlier resources (4f072037, with billing.go at f12d44c7) sent an eligibility check before each create;
 * that call is kept below with `when` saying so.
 *
 * Go marshals a map with its keys sorted, so create bodies go out in alphabetical key order.
 */

const REPO = 'devs-ibee/terraform-provider-ibee' as const;

const BUCKET: SourceRef = { repo: REPO, path: 'internal/provider/bucket_resource.go', commit: 'cbd1ca1b' };
const BUCKET_OLD: SourceRef = { repo: REPO, path: 'internal/provider/bucket_resource.go', commit: '4f072037' };
const CREDENTIAL: SourceRef = { repo: REPO, path: 'internal/provider/s3_credential_resource.go', commit: 'cbd1ca1b' };
const CREDENTIAL_OLD: SourceRef = { repo: REPO, path: 'internal/provider/s3_credential_resource.go', commit: '4f072037' };
const CLIENT: SourceRef = { repo: REPO, path: 'internal/provider/client.go', commit: 'f12d44c7' };
const API_ERROR: SourceRef = { repo: REPO, path: 'internal/provider/api_error.go', commit: 'ceca89b5' };
const BILLING: SourceRef = { repo: REPO, path: 'internal/provider/billing.go', commit: 'cbd1ca1b' };
const BILLING_OLD: SourceRef = { repo: REPO, path: 'internal/provider/billing.go', commit: 'f12d44c7' };
const BILLING_DATA_SOURCE: SourceRef = { repo: REPO, path: 'internal/provider/billing_data_source.go', commit: '222b370f' };
const MUTATIONS_TEST: SourceRef = { repo: REPO, path: 'internal/provider/authoritative_mutations_test.go', commit: '3eaa0553' };
const PROVIDER_DOCS: SourceRef = { repo: REPO, path: 'docs/index.md', commit: 'd8329a01' };

const HEADERS = {
  Authorization: 'Bearer {token}',
  Accept: 'application/json',
  'User-Agent': 'terraform-provider-ibee/{version}',
} as const;
const JSON_HEADERS = { ...HEADERS, 'Content-Type': 'application/json' } as const;
const WS = { workspace_id: '{workspace_id}' } as const;

const ACCEPTS = { min: 200, max: 299, note: 'Anything outside 2xx is an error; redirects are not followed (CheckRedirect returns the 3xx).' };

const JSON_REQUIRED: ResponseRequirement = {
  kind: 'json-body',
  shape: 'any',
  enforcement: 'runtime',
  note: 'An empty 2xx body ("empty response where JSON was required") and a literal null are errors; then encoding/json decodes into the struct, so a wrong type for a decoded field is an error too.',
};

const READ_RETRIES: RetryPolicy = {
  retried: true,
  statuses: [429, 502, 503, 504],
  maxRetries: 3,
  note: 'GET and HEAD only; 250 ms doubling, or Retry-After seconds / HTTP date, capped at 30 s. Transport errors are never retried.',
};
const WRITE_RETRIES: RetryPolicy = { retried: false, note: 'POST, PATCH and DELETE are never retried (no idempotency key on these routes).' };

/** parseAPIError reads these; guidance() words the diagnostic per code. */
const COMMON_ERRORS: readonly ErrorExpectation[] = [
  { status: 403, code: 'insufficient_scope', reads: ['error', 'required_scope'], effect: 'raise', raises: 'diagnostic: token lacks the required permission' },
  { status: 403, code: 'workspace_not_allowed', reads: ['error'], effect: 'raise', raises: 'diagnostic: check workspace_id' },
  { status: 402, code: 'billing_denied', reads: ['error', 'billing_reason', 'billing_sku_code', 'admission_context_id'], effect: 'raise', raises: 'diagnostic: billing denied this request' },
];

/** bucketAPI.apply: the fields every bucket answer must carry. */
const BUCKET_APPLY: readonly ResponseRequirement[] = [
  JSON_REQUIRED,
  { kind: 'field', path: 'name', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime' },
  { kind: 'field', path: 'region', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime' },
  { kind: 'field', path: 'is_public', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'bucket_lock_enabled', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'status', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'plan', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'site_id', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'object_count', type: 'integer', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'total_size', type: 'integer', optional: true, nullable: true, enforcement: 'runtime' },
  {
    kind: 'rule', id: 'same-bucket', paths: ['name'], enforcement: 'runtime',
    rule: 'name must equal the bucket the provider asked for (its state ID, which on create is the planned name); else "identifies a different bucket".',
  },
];

/** s3CredentialResource.applyMetadata. */
const CREDENTIAL_APPLY: readonly ResponseRequirement[] = [
  JSON_REQUIRED,
  { kind: 'field', path: 'access_key_id', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime' },
  { kind: 'field', path: 'name', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime' },
  { kind: 'field', path: 'organization_id', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime' },
  { kind: 'field', path: 'workspace_id', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime', note: 'a JSON string: a number fails to decode' },
  { kind: 'field', path: 'allowed_buckets', type: 'array', optional: false, nullable: false, enforcement: 'runtime', note: 'an array of strings; [] for all-bucket scope, never null' },
  { kind: 'field', path: 'status', type: 'string', optional: false, nullable: false, oneOf: ['active', 'revoked'], enforcement: 'runtime' },
  { kind: 'field', path: 'permission_type', type: 'string', optional: false, nullable: false, oneOf: ['object_ro', 'object_rw', 'admin_ro', 'admin_rw'], enforcement: 'runtime' },
  { kind: 'field', path: 'bucket_scope', type: 'string', optional: false, nullable: false, oneOf: ['specific', 'all'], enforcement: 'runtime' },
  {
    kind: 'rule', id: 'workspace-matches', paths: ['workspace_id', 'organization_id'], enforcement: 'runtime',
    rule: 'workspace_id must equal the provider workspace_id; organization_id must equal the provider organization_id when one is configured.',
  },
  {
    kind: 'rule', id: 'same-key', paths: ['access_key_id'], enforcement: 'runtime',
    rule: 'access_key_id must equal the key in state (after create: the key just returned).',
  },
  {
    kind: 'rule', id: 'scope-combination', paths: ['permission_type', 'bucket_scope', 'allowed_buckets'], enforcement: 'runtime',
    rule: 'admin_* needs bucket_scope "all" and no buckets; specific needs at least one bucket; all needs none; each bucket is non-empty, without surrounding spaces, "/" or "\\".',
  },
];

/** checkBillingEligibility (billing.go). */
const ELIGIBILITY_CHECKS: readonly ResponseRequirement[] = [
  JSON_REQUIRED,
  { kind: 'field', path: 'allowed', type: 'boolean', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'organization_id', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime' },
  { kind: 'field', path: 'reason', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime' },
  { kind: 'field', path: 'currency', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime', note: 'empty string refused (not trimmed)' },
  { kind: 'field', path: 'billing_state', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime', note: 'any non-empty value' },
  { kind: 'field', path: 'billing_mode', type: 'string', optional: false, nullable: false, oneOf: ['PREPAID', 'POSTPAID'], enforcement: 'runtime' },
  { kind: 'field', path: 'evaluated_at', type: 'string', format: 'rfc3339', optional: false, nullable: false, enforcement: 'runtime' },
  { kind: 'field', path: 'sku_code', type: 'string', optional: true, nullable: true, enforcement: 'runtime' },
  { kind: 'field', path: 'estimated_cost_minor', type: 'integer', optional: true, nullable: true, enforcement: 'runtime' },
  {
    kind: 'rule', id: 'organization-matches', paths: ['organization_id'], enforcement: 'runtime',
    rule: 'When the provider has organization_id (or IBEE_ORGANIZATION_ID), the decision must carry exactly that organization.',
  },
  {
    kind: 'rule', id: 'sku-echo', paths: ['sku_code'], enforcement: 'runtime',
    rule: 'When sku_code was sent, the decision must carry it (strings.EqualFold, case-insensitive).',
  },
  {
    kind: 'rule', id: 'estimate-echo', paths: ['estimated_cost_minor'], enforcement: 'runtime',
    rule: 'When estimated_cost_minor was sent and the decision carries one, they must be equal.',
  },
];

export const terraformProviderContract: ClientContract = {
  client: 'terraform-provider',
  version: 'Resources at cbd1ca1b (newest stored); transport client.go at f12d44c7, error parsing api_error.go at ceca89b5.',
  transport: [
    'URL is endpoint + path with the endpoint\'s trailing / removed; endpoint from the provider block, IBEE_ENDPOINT, IBEE_BASE_URL, then IBEE_ENV. A mock endpoint must end in /v1; HTTPS is required except for local test servers.',
    'workspace_id (provider block or IBEE_WORKSPACE_ID) is set as the only query parameter, as configured; the provider does not check its format.',
    'Go net/http adds Accept-Encoding: gzip and Content-Length; a request without a body sends no Content-Type.',
    'Responses are read up to 16 MiB. request_timeout 90 s by default (1 s-10 m).',
    'Path parameters use url.PathEscape; the provider refuses names and IDs containing / or \\.',
  ],
  sharedSources: [CLIENT, API_ERROR, PROVIDER_DOCS],
  calls: [
    {
      name: 'billing preflight before create (up to 4f072037)',
      entryPoint: 'ibee_bucket / ibee_s3_credential Create',
      source: BUCKET_OLD,
      alsoSee: [CREDENTIAL_OLD, BILLING_OLD, MUTATIONS_TEST],
      when: 'Only builds at or before 4f072037: requireBillingEligibility(ctx, "", nil) before the create POST. cbd1ca1b sends no eligibility request from any resource.',
      method: 'POST',
      path: '/v1/billing/resource-eligibility',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: {} },
      accepts: ACCEPTS,
      requires: [
        ...ELIGIBILITY_CHECKS,
        {
          kind: 'rule', id: 'allowed-exactly-true', paths: ['allowed'], enforcement: 'runtime',
          rule: 'allowed false stops the create with "billing denied the purchase: <reason>" and a remedy for the reason.',
        },
      ],
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
      notes: ['No SKU is sent: the public contract has no object-storage catalog.'],
    },
    {
      name: 'create bucket',
      entryPoint: 'resource ibee_bucket Create',
      source: BUCKET,
      alsoSee: [CLIENT],
      flow: { name: 'create bucket', step: 1, of: 2 },
      method: 'POST',
      path: '/v1/object-storage/buckets',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { is_public: false, name: '{name}', object_lock_enabled: false, region: '{region}' } },
      accepts: ACCEPTS,
      requires: [
        ...BUCKET_APPLY,
        {
          kind: 'rule', id: 'state-kept', paths: ['name'], enforcement: 'runtime',
          rule: 'The planned name is saved as the ID before the answer is checked, so a 2xx with a bad body leaves a resource to refresh or destroy.',
        },
      ],
      errors: [...COMMON_ERRORS, { status: 409, effect: 'raise', raises: 'diagnostic: Failed to create bucket' }],
      retries: WRITE_RETRIES,
      notes: [
        'All four keys are always sent; is_public and object_lock_enabled default to false. region is required by the schema (no default), name 3-63 characters.',
        'tags and default_retention are never sent (retention is the separate ibee_bucket_retention resource).',
      ],
    },
    {
      name: 'create bucket: refresh',
      entryPoint: 'resource ibee_bucket Create',
      source: BUCKET,
      flow: { name: 'create bucket', step: 2, of: 2 },
      method: 'GET',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_APPLY,
      errors: [{ status: 404, effect: 'raise', raises: 'diagnostic: Bucket created but refresh failed' }],
      retries: READ_RETRIES,
    },
    {
      name: 'get bucket',
      entryPoint: 'resource ibee_bucket Read (refresh, import)',
      source: BUCKET,
      method: 'GET',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: BUCKET_APPLY,
      errors: [...COMMON_ERRORS, { status: 404, effect: 'remove-from-state', note: 'The bucket is planned for re-creation.' }],
      retries: READ_RETRIES,
    },
    {
      name: 'update bucket (is_public)',
      entryPoint: 'resource ibee_bucket Update',
      source: BUCKET,
      when: 'Only when is_public changed; otherwise Update sends the GET above instead. Every other attribute change replaces the bucket.',
      method: 'PATCH',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { is_public: false } },
      accepts: ACCEPTS,
      requires: BUCKET_APPLY,
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
    },
    {
      name: 'delete bucket: pre-read',
      entryPoint: 'resource ibee_bucket Delete',
      source: BUCKET,
      when: 'Unless force_destroy = true.',
      flow: { name: 'delete bucket', step: 1, of: 2 },
      method: 'GET',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        ...BUCKET_APPLY,
        { kind: 'field', path: 'object_count', type: 'integer', optional: false, nullable: false, oneOf: [0], enforcement: 'runtime' },
        { kind: 'field', path: 'total_size', type: 'integer', optional: false, nullable: false, oneOf: [0], enforcement: 'runtime' },
        {
          kind: 'rule', id: 'verified-empty', paths: ['object_count', 'total_size'], enforcement: 'runtime',
          rule: 'Both counters present, non-null and 0, or "Bucket deletion blocked" and no DELETE. bucket_lock_enabled is not looked at.',
        },
      ],
      errors: [
        { status: 404, effect: 'stop', note: 'The bucket is gone: destroy succeeds without a DELETE.' },
        { status: 403, effect: 'raise', raises: 'diagnostic: Cannot verify bucket is empty' },
      ],
      retries: READ_RETRIES,
    },
    {
      name: 'delete bucket',
      entryPoint: 'resource ibee_bucket Delete',
      source: BUCKET,
      flow: { name: 'delete bucket', step: 2, of: 2 },
      method: 'DELETE',
      path: '/v1/object-storage/buckets/{bucket_name}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: { ...ACCEPTS, note: 'Any 2xx; the body is not read, so 204 and an empty 200 are fine.' },
      requires: [],
      errors: [
        { status: 404, effect: 'success', note: 'Counts as deleted.' },
        { status: 409, effect: 'raise', raises: 'diagnostic: Failed to delete bucket (provider does not purge objects)' },
      ],
      retries: WRITE_RETRIES,
    },
    {
      name: 'create S3 credential (all buckets)',
      entryPoint: 'resource ibee_s3_credential Create',
      source: CREDENTIAL,
      method: 'POST',
      path: '/v1/object-storage/credentials',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { allowed_buckets: [], bucket_scope: 'all', name: '{name}', permission_type: 'admin_rw' } },
      accepts: ACCEPTS,
      requires: [
        ...CREDENTIAL_APPLY,
        { kind: 'field', path: 'secret_access_key', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime' },
        { kind: 'field', path: 'status', type: 'string', optional: false, nullable: false, oneOf: ['active'], enforcement: 'runtime', note: 'on create' },
      ],
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
      notes: [
        'name (1-128 characters), permission_type and bucket_scope have no defaults: the configuration must give all three. Any change replaces the key; there is no update call.',
        'When access_key_id is present the key is written to state before the other checks, so a bad answer still leaves a key to revoke.',
      ],
    },
    {
      name: 'create S3 credential (bucket-scoped)',
      entryPoint: 'resource ibee_s3_credential Create',
      source: CREDENTIAL,
      method: 'POST',
      path: '/v1/object-storage/credentials',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { allowed_buckets: ['{bucket_name}'], bucket_scope: 'specific', name: '{name}', permission_type: 'object_rw' } },
      accepts: ACCEPTS,
      requires: [
        ...CREDENTIAL_APPLY,
        { kind: 'field', path: 'secret_access_key', type: 'string', optional: false, nullable: false, nonEmpty: true, enforcement: 'runtime' },
        { kind: 'field', path: 'status', type: 'string', optional: false, nullable: false, oneOf: ['active'], enforcement: 'runtime', note: 'on create' },
      ],
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
      notes: ['allowed_buckets is a Terraform set: its order on the wire is not the configuration order.'],
    },
    {
      name: 'get S3 credential',
      entryPoint: 'resource ibee_s3_credential Read (refresh, import)',
      source: CREDENTIAL,
      method: 'GET',
      path: '/v1/object-storage/credentials/{access_key_id}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        ...CREDENTIAL_APPLY,
        {
          kind: 'rule', id: 'revoked-is-gone', paths: ['status'], enforcement: 'runtime',
          rule: 'status "revoked" drops the key from state (planned for re-creation).',
        },
      ],
      errors: [...COMMON_ERRORS, { status: 404, effect: 'remove-from-state' }],
      retries: READ_RETRIES,
    },
    {
      name: 'revoke S3 credential',
      entryPoint: 'resource ibee_s3_credential Delete',
      source: CREDENTIAL,
      flow: { name: 'revoke S3 credential', step: 1, of: 2 },
      method: 'POST',
      path: '/v1/object-storage/credentials/{access_key_id}/revoke',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        JSON_REQUIRED,
        { kind: 'field', path: 'success', type: 'boolean', optional: false, nullable: false, oneOf: [true], enforcement: 'runtime' },
      ],
      errors: [
        { status: 404, effect: 'continue', note: 'Treated as already revoked; the confirming GET is still sent.' },
        ...COMMON_ERRORS,
      ],
      retries: WRITE_RETRIES,
      notes: ['No body and no Content-Type (Content-Length: 0). The native DELETE is deliberately not used: the provider keeps a revoked record.'],
    },
    {
      name: 'revoke S3 credential: confirm',
      entryPoint: 'resource ibee_s3_credential Delete',
      source: CREDENTIAL,
      flow: { name: 'revoke S3 credential', step: 2, of: 2 },
      method: 'GET',
      path: '/v1/object-storage/credentials/{access_key_id}',
      query: { ...WS },
      headers: HEADERS,
      body: { kind: 'none' },
      accepts: ACCEPTS,
      requires: [
        ...CREDENTIAL_APPLY,
        { kind: 'field', path: 'status', type: 'string', optional: false, nullable: false, oneOf: ['revoked'], enforcement: 'runtime', note: '"active" fails destroy: "S3 credential is still active"' },
      ],
      errors: [{ status: 404, effect: 'success', note: 'A deleted key also counts as revoked.' }],
      retries: READ_RETRIES,
    },
    {
      name: 'check resource eligibility',
      entryPoint: 'data source ibee_billing_eligibility',
      source: BILLING_DATA_SOURCE,
      alsoSee: [BILLING, MUTATIONS_TEST],
      method: 'POST',
      path: '/v1/billing/resource-eligibility',
      query: { ...WS },
      headers: JSON_HEADERS,
      body: { kind: 'json', json: { sku_code: '{sku_code}' } },
      accepts: ACCEPTS,
      requires: ELIGIBILITY_CHECKS,
      errors: COMMON_ERRORS,
      retries: WRITE_RETRIES,
      notes: [
        'Body keys in order sku_code (trimmed, max 64), operation (trimmed, upper-cased), estimated_cost_minor (>= 0); empty ones are omitted, so no argument sends {}.',
        'allowed: false is data, not an error; no resource consults this data source.',
      ],
    },
  ],
  absent: [
    'GET /v1/object-storage/buckets (no list; no data source for buckets)',
    'GET /v1/object-storage/credentials (no list)',
    'DELETE /v1/object-storage/credentials/{access_key_id} (revokes through POST .../revoke instead)',
  ],
};
