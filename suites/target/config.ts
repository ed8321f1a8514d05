import { randomBytes, randomInt } from 'node:crypto';
import { isRequirementId, s3SigningRegion } from '../../spec/index.js';
import { parseConcurrency } from './concurrency.js';

/**
 * What a conformance run is pointed at and how hard it pushes, read from the IBEE_* variables: by the CLI (its
 * flags over the variables) or, when vitest runs the conformance project directly, by the global setup. One place
 * for every IBEE_* variable the suites read.
 */

export const driverNames = ['rest', 'manual', 'credentials'] as const;
export type DriverName = (typeof driverNames)[number];

/** The target's REST API: its base URL and the project every call names. */
export interface RestApi {
  readonly apiUrl: string;
  /** The project, which IBEE's public API calls the workspace (`workspace_id`). */
  readonly projectId: string;
}

export interface TargetEndpoint {
  /** The REST API's base URL; null for an S3-only run (the manual driver without one). */
  readonly apiUrl: string | null;
  readonly s3Endpoint: string;
  /** The project, which IBEE's public API calls the workspace (`workspace_id`); null exactly when apiUrl is. */
  readonly projectId: string | null;
  /** The token-management token (rest driver); empty when not given. */
  readonly managementToken: string;
  /** A Bearer API token that may write S3 credentials (credentials driver); empty when not given. */
  readonly apiToken: string;
  readonly region: string;
  /** True when the global setup started the embedded mock for this run. */
  readonly embedded: boolean;
}

export interface RunSettings {
  readonly driver: DriverName;
  readonly credentialsFile: string | null;
  /** fast-check seed shared by every property of the run; always reported. */
  readonly seed: number;
  /** fast-check numRuns; also bounds how many tokens a run creates on a real endpoint. */
  readonly runs: number;
  /** Requirement ids to restrict the run to, or null for all. */
  readonly only: readonly string[] | null;
  /** Everything the run creates is named `${runPrefix}-…`. */
  readonly runPrefix: string;
  /** JSON-lines file the CheckRecords are appended to (the CLI runner's, or IBEE_CHECKS_FILE), or null for none. */
  readonly checksFile: string | null;
  /**
   * Whether lifecycle rules, and configuration the target offers no way to remove again, may be written to a
   * bucket the run did not create (IBEE_ALLOW_CONFIG_WRITES, --allow-config-writes); false when absent.
   */
  readonly allowConfigWrites?: boolean;
  /**
   * How many checks of a file, and cells or property runs inside one check, run at once (IBEE_CONCURRENCY,
   * --concurrency; concurrency.ts). Absent (settings made by hand): 1, everything one after the other.
   */
  readonly concurrency?: number;
}

/** A target with a REST API (every target but an S3-only one). */
export type RestTarget = TargetEndpoint & RestApi;

/** The reason every check and cell of the REST API gives on an S3-only run. */
export const noRestApiReason = 'no REST API given';

/** What results.json (`target.api_url`) and the progress output say for the REST API of an S3-only run. */
export const noRestApiUrl = 'none';

/** The target's REST API, or null on an S3-only run. */
export function restApiOf(target: TargetEndpoint): RestApi | null {
  return target.apiUrl !== null && target.projectId !== null ? { apiUrl: target.apiUrl, projectId: target.projectId } : null;
}

/** What a run is asked to do: its settings, and the external target, or null for the embedded mock. */
export interface RunConfiguration {
  readonly settings: RunSettings;
  readonly target: TargetEndpoint | null;
}

/** Keeps the whole suite well under a minute against the embedded mock and bounds tokens created elsewhere. */
export const defaultRuns = 15;

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function parseNonNegativeInt(name: string, raw: string, min: number): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`${name} must be at least ${min}, got ${raw}`);
  return value;
}

export function parseSeed(raw: string | undefined): number {
  const given = nonEmpty(raw);
  if (given === undefined) return randomInt(0, 2 ** 31 - 1);
  if (!/^-?\d+$/.test(given)) throw new ConfigError(`IBEE_SEED must be an integer, got ${JSON.stringify(given)}`);
  const seed = Number(given);
  // fast-check seeds are 32-bit integers.
  if (!Number.isSafeInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 31) throw new ConfigError(`IBEE_SEED must fit in 32 bits, got ${given}`);
  return seed;
}

export function parseOnly(raw: string | undefined): readonly string[] | null {
  const given = nonEmpty(raw);
  if (given === undefined) return null;
  const ids = given.split(',').map((id) => id.trim()).filter((id) => id.length > 0);
  const unknown = ids.filter((id) => !isRequirementId(id));
  if (unknown.length > 0) throw new ConfigError(`IBEE_ONLY names unknown requirement ids: ${unknown.join(', ')}`);
  return ids;
}

/** Run prefixes end up in bucket names, so they use only lower-case letters and digits and stay short. */
export function parseRunPrefix(raw: string | undefined): string {
  const given = nonEmpty(raw);
  if (given === undefined) return `ibc${randomBytes(4).toString('hex')}`;
  if (!/^[a-z0-9][a-z0-9-]{0,19}$/.test(given) || given.endsWith('-')) {
    throw new ConfigError('IBEE_RUN_PREFIX must be 1-20 lower-case letters, digits or inner hyphens');
  }
  return given;
}

/** A yes/no setting: 1, true or yes; 0, false or no (any case); absent is no. */
export function parseSwitch(name: string, raw: string | undefined): boolean {
  const given = nonEmpty(raw)?.toLowerCase();
  if (given === undefined || ['0', 'false', 'no'].includes(given)) return false;
  if (['1', 'true', 'yes'].includes(given)) return true;
  throw new ConfigError(`${name} must be 1, true or yes (or 0, false or no), got ${JSON.stringify(raw)}`);
}

function isDriverName(value: string): value is DriverName {
  return (driverNames as readonly string[]).includes(value);
}

export function readRunSettings(env: Env = process.env): RunSettings {
  const driverRaw = nonEmpty(env['IBEE_DRIVER']) ?? 'rest';
  if (!isDriverName(driverRaw)) throw new ConfigError(`IBEE_DRIVER must be one of ${driverNames.join(', ')}, got ${JSON.stringify(driverRaw)}`);
  const credentialsFile = nonEmpty(env['IBEE_CREDENTIALS_FILE']) ?? null;
  if (driverRaw === 'manual' && credentialsFile === null) throw new ConfigError('IBEE_DRIVER=manual needs IBEE_CREDENTIALS_FILE');
  const runsRaw = nonEmpty(env['IBEE_RUNS']);
  return {
    driver: driverRaw,
    credentialsFile,
    seed: parseSeed(env['IBEE_SEED']),
    runs: runsRaw === undefined ? defaultRuns : parseNonNegativeInt('IBEE_RUNS', runsRaw, 1),
    only: parseOnly(env['IBEE_ONLY']),
    runPrefix: parseRunPrefix(env['IBEE_RUN_PREFIX']),
    checksFile: nonEmpty(env['IBEE_CHECKS_FILE']) ?? null,
    allowConfigWrites: parseSwitch('IBEE_ALLOW_CONFIG_WRITES', env['IBEE_ALLOW_CONFIG_WRITES']),
    concurrency: parseConcurrency(env['IBEE_CONCURRENCY'], (message) => new ConfigError(message)),
  };
}

/** The settings that point a run at an external target; setting any of them means the embedded mock is not wanted. */
export const targetSettings = ['IBEE_API_URL', 'IBEE_S3_ENDPOINT', 'IBEE_PROJECT_ID', 'IBEE_WORKSPACE_ID', 'IBEE_MANAGEMENT_TOKEN', 'IBEE_API_TOKEN', 'IBEE_REGION'] as const;

/** The token each driver manages tokens with over the REST API: none for pre-made credentials. */
const driverToken: Readonly<Record<DriverName, 'IBEE_MANAGEMENT_TOKEN' | 'IBEE_API_TOKEN' | null>> = {
  rest: 'IBEE_MANAGEMENT_TOKEN',
  manual: null,
  credentials: 'IBEE_API_TOKEN',
};

/** IBEE_WORKSPACE_ID is another name for IBEE_PROJECT_ID (IBEE's public API says workspace); both given must agree. */
function readProjectId(env: Env): string | undefined {
  const project = nonEmpty(env['IBEE_PROJECT_ID']);
  const workspace = nonEmpty(env['IBEE_WORKSPACE_ID']);
  if (project !== undefined && workspace !== undefined && project !== workspace) {
    throw new ConfigError('IBEE_PROJECT_ID and IBEE_WORKSPACE_ID name the same setting but differ; give one of them');
  }
  return project ?? workspace;
}

/** The `ibee-conformance run` flag of each IBEE_* variable that has one, so that messages can name both. */
export const settingFlags: Readonly<Record<string, string>> = {
  IBEE_API_URL: '--api-url',
  IBEE_S3_ENDPOINT: '--s3-endpoint',
  IBEE_PROJECT_ID: '--project-id',
  IBEE_WORKSPACE_ID: '--workspace-id',
  IBEE_MANAGEMENT_TOKEN: '--management-token',
  IBEE_API_TOKEN: '--api-token',
  IBEE_REGION: '--region',
  IBEE_DRIVER: '--driver',
  IBEE_CREDENTIALS_FILE: '--credentials',
  IBEE_RUNS: '--runs',
  IBEE_SEED: '--seed',
  IBEE_ONLY: '--only',
  IBEE_ALLOW_CONFIG_WRITES: '--allow-config-writes',
  IBEE_CONCURRENCY: '--concurrency',
};

/** A settings message for CLI users: every IBEE_* variable it names is followed by its flag, e.g. `IBEE_S3_ENDPOINT (--s3-endpoint)`. */
export function withFlags(message: string): string {
  return message.replace(/\bIBEE_[A-Z0-9_]*[A-Z0-9]\b/g, (name) => (settingFlags[name] ? `${name} (${settingFlags[name]})` : name));
}

/**
 * The external target from the environment, or null when no target setting is given (the embedded mock is used
 * then). Any target setting given means an external target, so the others it needs must be given too: the S3
 * endpoint always; the REST API (its URL and the project) for the drivers that manage tokens through it, and the
 * token they do it with. The manual driver's pre-made keys need no REST API: without IBEE_API_URL the run judges S3
 * alone; with it, the project must be given too.
 */
export function readTargetEndpoint(env: Env = process.env): TargetEndpoint | null {
  const given = targetSettings.filter((name) => nonEmpty(env[name]) !== undefined);
  if (given.length === 0) return null;
  const driverRaw = nonEmpty(env['IBEE_DRIVER']) ?? 'rest';
  // The manual driver never manages tokens, so it needs no token and no REST API; the others need both.
  const token = isDriverName(driverRaw) ? driverToken[driverRaw] : null;
  const managesTokens = driverRaw !== 'manual';
  const projectId = readProjectId(env);
  const apiUrlGiven = nonEmpty(env['IBEE_API_URL']);
  const wantsRest = managesTokens || apiUrlGiven !== undefined || projectId !== undefined;
  const required = [
    ...(wantsRest && apiUrlGiven === undefined ? ['IBEE_API_URL'] : []),
    ...(nonEmpty(env['IBEE_S3_ENDPOINT']) === undefined ? ['IBEE_S3_ENDPOINT'] : []),
    ...(wantsRest && projectId === undefined ? ['IBEE_PROJECT_ID (or IBEE_WORKSPACE_ID)'] : []),
    ...(token && nonEmpty(env[token]) === undefined ? [token] : []),
  ];
  if (required.length > 0) {
    const why = managesTokens
      ? `the ${driverRaw} driver manages tokens through the REST API; an S3-only run takes the manual driver`
      : 'with the manual driver the REST API is optional, but its URL and the project go together';
    throw new ConfigError(
      `${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} set, so an external target is meant, and these are needed too: ${required.join(', ')} ` +
        `(${wantsRest && required.some((name) => name.startsWith('IBEE_API_URL') || name.startsWith('IBEE_PROJECT_ID')) ? `${why}; ` : ''}with no target setting at all, the embedded mock is used)`,
    );
  }
  for (const [name, url] of [['IBEE_API_URL', apiUrlGiven], ['IBEE_S3_ENDPOINT', env['IBEE_S3_ENDPOINT']]] as const) {
    if (name === 'IBEE_API_URL' && url === undefined) continue;
    try {
      new URL(url ?? '');
    } catch {
      throw new ConfigError(`${name} is not a URL`);
    }
  }
  return {
    apiUrl: apiUrlGiven === undefined ? null : apiUrlGiven.replace(/\/+$/, ''),
    s3Endpoint: (env['IBEE_S3_ENDPOINT'] ?? '').trim().replace(/\/+$/, ''),
    projectId: apiUrlGiven === undefined ? null : (projectId ?? null),
    managementToken: (env['IBEE_MANAGEMENT_TOKEN'] ?? '').trim(),
    apiToken: (env['IBEE_API_TOKEN'] ?? '').trim(),
    region: nonEmpty(env['IBEE_REGION']) ?? s3SigningRegion.value.default,
    embedded: false,
  };
}

/** Settings and target from the IBEE_* variables, validated; the seed and the run prefix are settled here. */
export function readRunConfiguration(env: Env = process.env): RunConfiguration {
  return { settings: readRunSettings(env), target: readTargetEndpoint(env) };
}
