import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';
import { createMockServer, type MockServer } from './app.js';
import { createLogger, logLevels, type LogLevel } from './logger.js';

/**
 * `ibee-mock`: starts the mock. The first line on stdout is the ready line (one JSON object); everything else goes
 * to stderr: pino logs, and the management token when it was generated (never to stdout, never into the logs).
 */

export interface CliIo {
  /** One line to stdout (the ready line only). */
  stdout(line: string): void;
  /** One line to stderr. */
  stderr(line: string): void;
}

const processIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535 (0: any free port).');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function program(io: CliIo): Command {
  return new Command('ibee-mock')
    .description('A local mock of IBEE Cloud API tokens (REST) and S3-compatible Object Storage.')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--api-port <port>', 'REST API port (0: any free port)', port, 0)
    .option('--s3-port <port>', 'S3 port (0: any free port)', port, 0)
    .option('--project-id <id>', 'a project (workspace) to serve (repeatable; the first is the default)', collect, [] as string[])
    .option('--organization-id <id>', 'the organisation the projects belong to (default: generated)')
    .addOption(
      new Option('--management-token <token>', 'the management token (default: generated and printed to stderr)').env(
        'IBEE_MOCK_MANAGEMENT_TOKEN',
      ),
    )
    .option('--data-dir <dir>', 'keep state in this directory (default: in memory)')
    .option('--s3-domain <domain>', 'serve virtual-hosted-style S3 requests for BUCKET.DOMAIN')
    .option('--allow-sigv2', 'also accept AWS Signature Version 2 on S3 (for tools that still sign or presign with it)')
    .option('--no-control', 'disable the mock-only /_mock control routes (clock, reset)')
    .addOption(new Option('--log-level <level>', 'log level on stderr').choices(logLevels).default('info'))
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text.replace(/\n$/, '')),
      writeErr: (text) => io.stderr(text.replace(/\n$/, '')),
    });
}

interface CliOptions {
  host: string;
  apiPort: number;
  s3Port: number;
  projectId: string[];
  organizationId?: string;
  managementToken?: string;
  dataDir?: string;
  s3Domain?: string;
  allowSigv2?: boolean;
  control: boolean;
  logLevel: LogLevel;
}

/**
 * Parses the arguments (without `node` and the script) and starts the mock. Resolves to the running server, or
 * to undefined when only help was asked for. Throws CommanderError on bad arguments.
 */
export async function runCli(args: readonly string[], io: CliIo = processIo, logger?: Logger): Promise<MockServer | undefined> {
  const command = program(io);
  try {
    command.parse([...args], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return undefined;
    throw error;
  }
  const options = command.opts<CliOptions>();
  const server = await createMockServer({
    host: options.host,
    apiPort: options.apiPort,
    s3Port: options.s3Port,
    ...(options.projectId.length > 0 ? { projectIds: options.projectId } : {}),
    ...(options.organizationId === undefined ? {} : { organizationId: options.organizationId }),
    ...(options.managementToken === undefined ? {} : { managementToken: options.managementToken }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.s3Domain === undefined ? {} : { s3Domain: options.s3Domain }),
    allowSigV2: options.allowSigv2 === true,
    control: options.control,
    logger: logger ?? createLogger({ level: options.logLevel }),
  });
  io.stdout(
    JSON.stringify({
      event: 'ready',
      api_url: server.apiUrl,
      s3_endpoint: server.s3Endpoint,
      project_id: server.projectId,
      project_ids: server.projectIds,
      organization_id: server.organizationId,
    }),
  );
  if (options.managementToken === undefined) io.stderr(`ibee-mock: generated management token: ${server.managementToken}`);
  return server;
}

/** The `ibee-mock` executable (bin/ibee-mock.js): runs until SIGINT or SIGTERM, then closes cleanly. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  let server: MockServer | undefined;
  try {
    server = await runCli(argv.slice(2));
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`ibee-mock: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    return;
  }
  if (!server) return;
  const running = server;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: the user insists.
      process.exit(130);
    }
    stopping = true;
    running.context.logger.info({ signal }, 'stopping');
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`ibee-mock: error while closing: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
