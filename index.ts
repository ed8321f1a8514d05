/** Package entry: the embeddable mock server, and the spec (requirements, permission matrix, bounds, OpenAPI). */
export { createMockServer } from './mock-server/app.js';
export { DataDirError, DataDirInUseError } from './mock-server/store/database.js';
export type { MockServer, MockServerOptions } from './mock-server/app.js';
export type { CliIo } from './mock-server/cli.js';
export type { LogLevel } from './mock-server/logger.js';
export * from './spec/index.js';
