import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Express } from 'express';
import type { OpenAPIV3_1 } from 'openapi-types';
import request from 'supertest';
import { loadOpenApi } from '../../../spec/index.js';
import { createBillingControl } from '../../billing-control.js';
import { withWorkspace } from '../../reliability/test/http.js';
import { createClock, type Clock } from '../../clock.js';
import type { MockContext } from '../../context.js';
import { createLogger } from '../../logger.js';
import { openDatabase } from '../../store/database.js';
import { createStorage } from '../../store/storage.js';
import type { Storage } from '../../store/types.js';
import { createTokenStore, type ManagedTokenStore } from '../../tokens/token-store.js';
import { createRestApp } from '../app.js';
import { managementCredential } from '../auth.js';
import { schemaValidator } from '../schemas.js';

/**
 * Test support for the REST layer: the real REST app over the real token store and storage (in memory), driven
 * through supertest; every exchange is recorded so that tests can scan all responses for secrets, and checked
 * against the response schemas of spec/openapi.yaml.
 */

export const managementToken = 'test-management-token-0123456789';

export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
}

export interface CallOptions {
  /** Bearer token; none when undefined. */
  readonly token?: string | undefined;
  /**
   * For IBEE's public routes: the `workspace_id` query parameter to add (default: the harness's first project);
   * null sends none. Ignored on other routes.
   */
  readonly workspace?: string | null;
  /** A JSON value to send, or raw text with `contentType`. */
  readonly json?: unknown;
  readonly raw?: string | Buffer;
  readonly contentType?: string;
}

export interface Response {
  readonly status: number;
  // Tests read arbitrary JSON fields; each response is also checked against the contract schema.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly headers: Record<string, string>;
  readonly text: string;
}

export interface Harness {
  readonly app: Express;
  readonly ctx: MockContext;
  readonly clock: Clock;
  readonly tokens: ManagedTokenStore;
  readonly storage: Storage;
  readonly projectId: string;
  readonly projectIds: readonly string[];
  /** Every exchange so far, in order. */
  readonly transcript: Exchange[];
  call(method: string, path: string, options?: CallOptions): Promise<Response>;
  /** Creates a token through the API (201 expected) and returns the creation response body. */
  createToken(body: Record<string, unknown>, projectId?: string): Promise<CreatedToken>;
  close(): Promise<void>;
}

export interface CreatedToken {
  readonly id: string;
  readonly bearer_token: string;
  readonly access_key_id: string | null;
  readonly secret_access_key?: string;
  readonly s3_endpoint: string;
  readonly created_at: string;
  readonly expires_at: string;
  readonly [field: string]: unknown;
}

export async function createHarness(options: { projectIds?: readonly string[]; control?: boolean } = {}): Promise<Harness> {
  // Time stands still unless a test moves it, so that timestamps can be compared exactly.
  const frozenNow = Date.now();
  const clock = createClock(() => frozenNow);
  const logger = createLogger({ level: 'silent' });
  const db = openDatabase(null);
  const tokens = createTokenStore({ db, clock });
  const storage = await createStorage({ db, dataDir: null, clock, logger });
  const projectIds = [...(options.projectIds ?? ['1001'])];
  const ctx: MockContext = {
    clock,
    logger,
    db,
    dataDir: null,
    projectIds,
    organizationId: '424242',
    billing: createBillingControl(db),
    tokens,
    storage,
    s3Domain: null,
    allowSigV2: false,
    s3EndpointFor: () => 'http://127.0.0.1:9',
  };
  const app = createRestApp(ctx, { tokens, management: managementCredential(managementToken), control: options.control ?? true });
  const transcript: Exchange[] = [];

  async function call(method: string, path: string, callOptions: CallOptions = {}): Promise<Response> {
    const workspace = callOptions.workspace === undefined ? projectIds[0]! : callOptions.workspace;
    path = withWorkspace(path, workspace);
    let req = request(app)[method.toLowerCase() as 'get'](path);
    if (callOptions.token !== undefined) req = req.set('Authorization', `Bearer ${callOptions.token}`);
    if (callOptions.contentType !== undefined) req = req.set('Content-Type', callOptions.contentType);
    if (callOptions.json !== undefined) {
      if (callOptions.contentType === undefined) req = req.set('Content-Type', 'application/json');
      req = req.send(JSON.stringify(callOptions.json));
    } else if (typeof callOptions.raw === 'string') {
      req = req.send(callOptions.raw);
    } else if (callOptions.raw !== undefined) {
      // superagent would serialise a Buffer as JSON ({"type":"Buffer",…}): write its bytes as they are.
      const bytes = callOptions.raw;
      req = req.set('Content-Length', String(bytes.length));
      req.write(bytes);
    }
    const res = await req;
    const headers = res.headers as Record<string, string>;
    transcript.push({ method, path, status: res.status, headers, text: res.text ?? '' });
    return { status: res.status, body: res.body, headers, text: res.text ?? '' };
  }

  return {
    app,
    ctx,
    clock,
    tokens,
    storage,
    projectId: projectIds[0]!,
    projectIds,
    transcript,
    call,
    async createToken(body, projectId = projectIds[0]!) {
      const res = await call('POST', `/v1/projects/${projectId}/api-tokens`, { token: managementToken, json: body });
      if (res.status !== 201) throw new Error(`token creation answered ${res.status}: ${res.text}`);
      return res.body as CreatedToken;
    },
    async close() {
      await storage.close();
      db.close();
    },
  };
}

/** Stores an object through the storage API (as the S3 controllers do), e.g. to make a bucket non-empty. */
export async function putObject(storage: Storage, bucket: string, key: string, bytes: Buffer): Promise<void> {
  const digests = Promise.resolve({ md5Hex: createHash('md5').update(bytes).digest('hex'), checksums: {} });
  await storage.putObject({
    bucket,
    key,
    body: { stream: Readable.from([bytes]), digests },
    metadata: { contentType: 'application/octet-stream', contentEncoding: null, contentDisposition: null, contentLanguage: null, cacheControl: null, expires: null, userMetadata: {} },
  });
}

/** The schema name a `$ref` to `#/components/schemas/X` names. */
function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/**
 * Checks a response against spec/openapi.yaml: the operation must document the status, and a JSON body must match
 * the documented schema. Returns a list of problems (empty when it conforms).
 */
export function contractProblems(method: string, templatePath: string, response: Response): string[] {
  const doc = loadOpenApi();
  const operation = (doc.paths?.[templatePath] as Record<string, OpenAPIV3_1.OperationObject> | undefined)?.[method.toLowerCase()];
  if (!operation) return [`${method} ${templatePath} is not in the OpenAPI document`];
  let documented = operation.responses?.[String(response.status)] as OpenAPIV3_1.ResponseObject | OpenAPIV3_1.ReferenceObject | undefined;
  if (!documented) {
    // 405 and 413/415 on routes without a body are generic conventions described in info.description.
    if ([405].includes(response.status)) documented = { $ref: '#/components/schemas/Error' } as OpenAPIV3_1.ReferenceObject;
    else return [`${method} ${templatePath} does not document status ${response.status}`];
  }
  let schemaName: string | undefined;
  if ('$ref' in documented) {
    const ref = documented.$ref;
    if (ref.startsWith('#/components/schemas/')) schemaName = refName(ref);
    else {
      const named = doc.components?.responses?.[refName(ref)] as OpenAPIV3_1.ResponseObject;
      const schema = named.content?.['application/json']?.schema as OpenAPIV3_1.ReferenceObject | undefined;
      schemaName = schema ? refName(schema.$ref) : undefined;
    }
  } else {
    const schema = documented.content?.['application/json']?.schema as OpenAPIV3_1.ReferenceObject | undefined;
    schemaName = schema ? refName(schema.$ref) : undefined;
  }
  if (schemaName === undefined) return response.text === '' ? [] : [`${method} ${templatePath} ${response.status} should have no body`];
  if (!/^application\/json/.test(response.headers['content-type'] ?? '')) return [`${response.status} is not JSON`];
  const validate = schemaValidator(schemaName);
  return validate(response.body) ? [] : [`${schemaName}: ${JSON.stringify(validate.errors)}`];
}
