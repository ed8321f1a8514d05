import express, { type Express } from 'express';
import { controlRouter } from './routes/control.js';
import type { MockContext } from '../context.js';
import { tokenRouter } from './routes/tokens.js';
import type { ManagedTokenStore } from '../tokens/token-store.js';
import type { ManagementCredential } from './auth.js';
import { errorHandler, notFound, requestContext } from './http.js';
import { publicApiRouter } from './public-api.js';
import { schemaValidator } from './schemas.js';

export interface RestAppOptions {
  /** The token store with its management operations (create, revoke); ctx.tokens is the same store. */
  readonly tokens: ManagedTokenStore;
  readonly management: ManagementCredential;
  /** Mount the /_mock control routes. */
  readonly control: boolean;
}

/** Request schemas, compiled at start-up rather than on the first request that needs them. */
const requestSchemas = [
  'CreateApiTokenRequest',
  'EmptyRequest',
  'CreateBucketRequest',
  'UpdateBucketRequest',
  'CreateCredentialRequest',
  'ResourceEligibilityRequest',
  'AdvanceClockRequest',
  'SetBillingRequest',
];

/** The REST API server (api port): IBEE's public API, the portal's token management, and the mock-only control routes. */
export function createRestApp(ctx: MockContext, options: RestAppOptions): Express {
  for (const name of requestSchemas) schemaValidator(name);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  // Every time the mock shows reads its one clock, the Date header too (as on S3), so clients and suites see the
  // same time that decides expiry.
  app.use((_req, res, next) => {
    res.setHeader('Date', ctx.clock.now().toUTCString());
    next();
  });
  app.use(requestContext(ctx.logger));
  if (options.control) app.use(controlRouter(ctx, options.management));
  app.use(tokenRouter(ctx, options.tokens, options.management));
  app.use(publicApiRouter(ctx, options.tokens, options.management));
  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
