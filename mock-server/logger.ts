import { pino, type DestinationStream, type Level, type Logger } from 'pino';

/**
 * The mock's logger: pino, JSON lines on stderr (stdout carries only the ready line). Secrets never reach it:
 * routes log no headers or bodies, and redaction is a second line of defence for any field that could hold one.
 */

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = Level | 'silent';

/** Field paths censored wherever they appear (one level deep, and in req/res/headers objects). */
const secretFields = [
  'authorization',
  'Authorization',
  'bearer_token',
  'bearerToken',
  'secret_access_key',
  'secretAccessKey',
  'managementToken',
  'management_token',
  'x-amz-signature',
  'X-Amz-Signature',
  'signature',
];

/** `a.b` for identifiers, `a["x-y"]` otherwise (fast-redact's path syntax). */
const member = (field: string) => (/^[A-Za-z_$][\w$]*$/.test(field) ? `.${field}` : `["${field}"]`);

export const redactPaths: readonly string[] = secretFields.flatMap((f) => [
  /^[A-Za-z_$][\w$]*$/.test(f) ? f : `["${f}"]`,
  `*${member(f)}`,
  `*.headers${member(f)}`,
  `*.*.headers${member(f)}`,
]);

export function createLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: 'ibee-mock',
      level: options.level ?? 'warn',
      redact: { paths: [...redactPaths], censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}
