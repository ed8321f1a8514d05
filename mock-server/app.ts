import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createClock } from './clock.js';
import type { MockContext } from './context.js';
import { createLogger, type LogLevel } from './logger.js';
import { answerMalformedRequests, restMalformedAnswer, s3MalformedAnswer, type MalformedRenderer } from './reliability/malformed-requests.js';
import { managementCredential } from './rest/auth.js';
import { createRestApp } from './rest/app.js';
import { createS3App } from './s3/app.js';
import { workspaceIdFormat } from '../spec/index.js';
import { createBillingControl } from './billing-control.js';
import { clockOffsetStore, openDatabase, rememberedOrganizationId, rememberedProjectIds } from './store/database.js';
import { createStorage } from './store/storage.js';
import { createTokenStore } from './tokens/token-store.js';

export interface MockServerOptions {
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** REST API port; 0 (default) picks a free one. */
  readonly apiPort?: number;
  /** S3 port; 0 (default) picks a free one. */
  readonly s3Port?: number;
  /** Projects to serve; the first is the default. Default: one generated id (remembered in the data dir). */
  readonly projectIds?: readonly string[];
  /** The organisation the projects belong to (`organization_id` in the public API). Default: generated (remembered in the data dir). */
  readonly organizationId?: string;
  /** The management token (the portal user). Default: a generated one, returned in the handle. */
  readonly managementToken?: string;
  /** Where durable state lives; without it, everything is in memory. */
  readonly dataDir?: string;
  /** Serve the mock-only /_mock control routes (default true). */
  readonly control?: boolean;
  /** Base domain for virtual-hosted-style S3 requests (`bucket.DOMAIN`). */
  readonly s3Domain?: string;
  /**
   * Also accept AWS Signature Version 2 on S3 (default false: such requests answer InvalidRequest, as on AWS
   * today). For tools that still sign or presign with it, e.g. older AWS CLI and boto3 versions for us-east-1.
   */
  readonly allowSigV2?: boolean;
  /** Log level of the default logger (default `warn`). */
  readonly logLevel?: LogLevel;
  /** A logger to use instead of the default (pino to stderr). */
  readonly logger?: Logger;
}

export interface MockServer {
  /** Base URL of the REST API, e.g. http://127.0.0.1:PORT (paths start with /v1). */
  readonly apiUrl: string;
  /** The S3 endpoint, e.g. http://127.0.0.1:PORT. */
  readonly s3Endpoint: string;
  /** The default project (IBEE's clients call it the workspace). */
  readonly projectId: string;
  readonly projectIds: readonly string[];
  readonly organizationId: string;
  readonly managementToken: string;
  /** The shared state, for tests that look inside. */
  readonly context: MockContext;
  /** Stops both servers and closes storage; safe to call twice. */
  close(): Promise<void>;
}

/** A project id is used as a DNS label (`{project_id}.blob.ibeestorage.com`). */
const projectIdPattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function checkOptions(options: MockServerOptions): void {
  for (const id of options.projectIds ?? []) {
    if (!projectIdPattern.test(id)) throw new TypeError(`Invalid project id ${JSON.stringify(id)}: use letters, digits and hyphens (a DNS label).`);
  }
  if (options.projectIds && new Set(options.projectIds).size !== options.projectIds.length) {
    throw new TypeError('Project ids must be distinct.');
  }
  if (options.projectIds?.length === 0) throw new TypeError('projectIds, when given, must name at least one project.');
  if (options.organizationId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(options.organizationId)) {
    throw new TypeError(`Invalid organization id ${JSON.stringify(options.organizationId)}: use up to 128 letters, digits, '-' and '_'.`);
  }
  if (options.managementToken !== undefined && !/^\S{16,}$/.test(options.managementToken)) {
    throw new TypeError('The management token must be at least 16 characters, without spaces.');
  }
  for (const [name, port] of [['apiPort', options.apiPort], ['s3Port', options.s3Port]] as const) {
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new TypeError(`${name} must be a port number (0-65535).`);
  }
}

/** A host as it goes in a URL: wildcard addresses become loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** How long an idle keep-alive connection is kept open. */
const idleKeepAliveMs = 65_000;

function listen(app: RequestListener, port: number, host: string, malformed: MalformedRenderer): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(app);
    // Idle keep-alive connections stay open well beyond Node's 5 s: a client that reuses one after a pause (an SDK
    // between a test's steps) would otherwise meet a connection the server is closing, an ECONNRESET.
    server.keepAliveTimeout = idleKeepAliveMs;
    answerMalformedRequests(server, app, malformed);
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function createMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  checkOptions(options);
  const host = options.host ?? '127.0.0.1';
  const dataDir = options.dataDir ?? null;
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? 'warn' });
  const db = openDatabase(dataDir);
  const savedOffset = dataDir === null ? null : clockOffsetStore(db);
  const clock = createClock(Date.now, savedOffset ? { offsetMs: savedOffset.offsetMs, onChange: savedOffset.save } : {});
  const servers: Server[] = [];
  let storageClose: (() => Promise<void>) | undefined;
  try {
    const generateProjectId = () => String(randomInt(1000, 10000));
    const projectIds = dataDir
      ? rememberedProjectIds(db, options.projectIds, generateProjectId)
      : [...(options.projectIds ?? [generateProjectId()])];
    const managementToken = options.managementToken ?? `ibee_mock_mgmt_${randomBytes(32).toString('base64url')}`;
    const nonNumeric = projectIds.filter((id) => !workspaceIdFormat.value.pattern.test(id));
    if (nonNumeric.length > 0) {
      logger.warn(
        { projectIds: nonNumeric },
        'project ids that are not positive whole numbers work here, but IBEE\'s clients refuse them as workspace_id',
      );
    }
    const organizationId = rememberedOrganizationId(db, options.organizationId, () => String(randomInt(100_000, 1_000_000)));
    const tokens = createTokenStore({ db, clock, servedProjectIds: projectIds });
    const storage = await createStorage({ db, dataDir, clock, logger });
    storageClose = () => storage.close();

    let s3Endpoint = '';
    const context: MockContext = {
      clock,
      logger,
      db,
      dataDir,
      projectIds,
      organizationId,
      billing: createBillingControl(db),
      tokens,
      storage,
      s3Domain: options.s3Domain ?? null,
      allowSigV2: options.allowSigV2 ?? false,
      // Bucket names are unique across projects and keys say whose they are, so one endpoint serves them all.
      s3EndpointFor: () => s3Endpoint,
    };

    // S3 first, so that the endpoint handed out with credentials is live before the API is.
    const s3Server = await listen(createS3App(context), options.s3Port ?? 0, host, s3MalformedAnswer);
    servers.push(s3Server);
    s3Endpoint = `http://${urlHost(host)}:${(s3Server.address() as AddressInfo).port}`;
    const apiServer = await listen(
      createRestApp(context, { tokens, management: managementCredential(managementToken), control: options.control ?? true }),
      options.apiPort ?? 0,
      host,
      restMalformedAnswer,
    );
    servers.push(apiServer);
    const apiUrl = `http://${urlHost(host)}:${(apiServer.address() as AddressInfo).port}`;
    logger.info(
      { apiUrl, s3Endpoint, projectIds, dataDir, control: options.control ?? true, allowSigV2: context.allowSigV2 },
      'ibee-mock ready',
    );

    let closing: Promise<void> | undefined;
    return {
      apiUrl,
      s3Endpoint,
      projectId: projectIds[0]!,
      projectIds,
      organizationId,
      managementToken,
      context,
      close() {
        closing ??= (async () => {
          await Promise.all(servers.map(stop));
          await storage.close();
          db.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await Promise.all(servers.map(stop));
    await storageClose?.();
    db.close();
    throw error;
  }
}
