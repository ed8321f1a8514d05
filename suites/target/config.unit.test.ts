import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requirements } from '../../spec/index.js';
import { defaultConcurrency, maxConcurrency } from './concurrency.js';
import { ConfigError, defaultRuns, parseOnly, parseRunPrefix, parseSeed, readRunSettings, readTargetEndpoint, restApiOf, settingFlags, targetSettings, withFlags } from './config.js';

describe('run settings from the environment', () => {
  it('uses defaults: rest driver, default runs, a random seed, a fresh prefix', () => {
    const settings = readRunSettings({});
    expect(settings.driver).toBe('rest');
    expect(settings.runs).toBe(defaultRuns);
    expect(Number.isInteger(settings.seed)).toBe(true);
    expect(settings.runPrefix).toMatch(/^[a-z0-9]+$/);
    expect(settings.only).toBeNull();
  });

  it('round-trips any 32-bit seed', () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (seed) => {
        expect(parseSeed(String(seed))).toBe(seed);
      }),
    );
  });

  it('refuses malformed seeds, runs and drivers with a clear error', () => {
    expect(() => parseSeed('12abc')).toThrow(ConfigError);
    expect(() => parseSeed(String(2 ** 40))).toThrow(ConfigError);
    expect(() => readRunSettings({ IBEE_RUNS: '0' })).toThrow(ConfigError);
    expect(() => readRunSettings({ IBEE_RUNS: 'many' })).toThrow(ConfigError);
    expect(() => readRunSettings({ IBEE_DRIVER: 'portal' })).toThrow(ConfigError);
    expect(() => readRunSettings({ IBEE_DRIVER: 'manual' })).toThrow(/IBEE_CREDENTIALS_FILE/);
  });

  it('accepts IBEE_ONLY lists of known requirement ids and names unknown ones', () => {
    const ids = requirements.map((r) => r.id);
    fc.assert(fc.property(fc.subarray(ids, { minLength: 1 }), (picked) => {
        expect(parseOnly(picked.join(' , '))).toEqual(picked);
      }),
    );
    expect(() => parseOnly('REVOKE-IMMEDIATE,NOT-A-REQ')).toThrow(/NOT-A-REQ/);
  });

  it('keeps run prefixes usable inside bucket names', () => {
    expect(parseRunPrefix('ci-42')).toBe('ci-42');
    for (const bad of ['UPPER', 'has_underscore', 'trailing-', 'x'.repeat(21), '-lead']) expect(() => parseRunPrefix(bad)).toThrow(ConfigError);
  });

  it('reads an external target only when a target setting is set, and then needs the rest', () => {
    expect(readTargetEndpoint({})).toBeNull();
    expect(() => readTargetEndpoint({ IBEE_API_URL: 'https://api.example' })).toThrow(/IBEE_S3_ENDPOINT/);
    const target = readTargetEndpoint({
      IBEE_API_URL: 'https://api.example/',
      IBEE_S3_ENDPOINT: 'https://p1.blob.example',
      IBEE_PROJECT_ID: 'p1',
      IBEE_MANAGEMENT_TOKEN: 'mgmt',
    });
    expect(target).toMatchObject({ apiUrl: 'https://api.example', region: 'us-east-1', embedded: false });
    expect(() => readTargetEndpoint({ IBEE_API_URL: 'not a url', IBEE_S3_ENDPOINT: 'x', IBEE_PROJECT_ID: 'p', IBEE_MANAGEMENT_TOKEN: 't' })).toThrow(ConfigError);
  });

  it('property: any target setting given means an external target; the missing ones are named, with their flags', () => {
    const full: Record<string, string> = {
      IBEE_API_URL: 'https://api.example',
      IBEE_S3_ENDPOINT: 'https://p1.blob.example',
      IBEE_PROJECT_ID: 'p1',
      IBEE_WORKSPACE_ID: 'p1',
      IBEE_MANAGEMENT_TOKEN: 'mgmt',
      IBEE_API_TOKEN: 'api-token',
      IBEE_REGION: 'eu-west-1',
    };
    const driverToken: Record<string, string[]> = { rest: ['IBEE_MANAGEMENT_TOKEN'], manual: [], credentials: ['IBEE_API_TOKEN'] };
    fc.assert(
      fc.property(fc.subarray([...targetSettings], { minLength: 1 }), fc.constantFrom('rest', 'manual', 'credentials'), (given, driver) => {
        const env: Record<string, string> = { ...Object.fromEntries(given.map((name) => [name, full[name]!])), IBEE_DRIVER: driver };
        // The workspace id stands for the project id.
        const has = (name: string) => given.includes(name as (typeof targetSettings)[number]) || (name === 'IBEE_PROJECT_ID' && given.includes('IBEE_WORKSPACE_ID'));
        // The manual driver needs the REST API only when half of it (URL or project) is given: then the other half.
        const rest = ['IBEE_API_URL', 'IBEE_PROJECT_ID'];
        const wantsRest = driver !== 'manual' || rest.some(has);
        const needed = [...(wantsRest ? rest : []), 'IBEE_S3_ENDPOINT', ...driverToken[driver]!];
        const missing = needed.filter((name) => !has(name));
        if (missing.length === 0) {
          expect(readTargetEndpoint(env)).toMatchObject({ apiUrl: wantsRest ? 'https://api.example' : null, projectId: wantsRest ? 'p1' : null, embedded: false });
          return;
        }
        let message = '';
        try {
          readTargetEndpoint(env);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          message = (error as Error).message;
        }
        const neededPart = message.slice(message.indexOf('needed too: '));
        for (const name of needed) expect(neededPart.includes(name)).toBe(missing.includes(name));
        expect(message.startsWith(`${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} set`)).toBe(true);
        // As the CLI shows it: each variable once, followed by its flag, never cut apart.
        const shown = withFlags(message);
        for (const name of [...given, ...missing]) expect(shown.split(`${name} (${settingFlags[name]})`).length - 1).toBe(1);
        expect(shown.replace(/IBEE_[A-Z0-9_]+ \(--[a-z0-9-]+\)/g, '')).not.toMatch(/IBEE_|--/);
      }),
    );
  });

  it('takes IBEE_WORKSPACE_ID for IBEE_PROJECT_ID, refuses the two when they differ, and the credentials driver needs IBEE_API_TOKEN', () => {
    const base = { IBEE_API_URL: 'https://api.example', IBEE_S3_ENDPOINT: 'https://p1.blob.example', IBEE_DRIVER: 'credentials' };
    expect(readTargetEndpoint({ ...base, IBEE_WORKSPACE_ID: '42', IBEE_API_TOKEN: 'tok' })).toMatchObject({ projectId: '42', apiToken: 'tok', managementToken: '' });
    expect(readTargetEndpoint({ ...base, IBEE_WORKSPACE_ID: '42', IBEE_PROJECT_ID: '42', IBEE_API_TOKEN: 'tok' })).toMatchObject({ projectId: '42' });
    expect(() => readTargetEndpoint({ ...base, IBEE_WORKSPACE_ID: '42', IBEE_PROJECT_ID: '43', IBEE_API_TOKEN: 'tok' })).toThrow(/IBEE_PROJECT_ID and IBEE_WORKSPACE_ID .* differ/);
    expect(() => readTargetEndpoint({ ...base, IBEE_WORKSPACE_ID: '42', IBEE_MANAGEMENT_TOKEN: 'mgmt' })).toThrow(/needed too: IBEE_API_TOKEN/);
    expect(readRunSettings({ IBEE_DRIVER: 'credentials' }).driver).toBe('credentials');
  });

  it('reads IBEE_ALLOW_CONFIG_WRITES as a yes/no switch, off when absent, and refuses anything else naming its flag', () => {
    expect(readRunSettings({}).allowConfigWrites).toBe(false);
    for (const yes of ['1', 'true', 'YES', ' True ']) expect(readRunSettings({ IBEE_ALLOW_CONFIG_WRITES: yes }).allowConfigWrites, yes).toBe(true);
    for (const no of ['0', 'false', 'No', '']) expect(readRunSettings({ IBEE_ALLOW_CONFIG_WRITES: no }).allowConfigWrites, no).toBe(false);
    let message = '';
    try {
      readRunSettings({ IBEE_ALLOW_CONFIG_WRITES: 'maybe' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = withFlags((error as Error).message);
    }
    expect(message).toMatch(/^IBEE_ALLOW_CONFIG_WRITES \(--allow-config-writes\) must be 1, true or yes/);
  });

  it('reads IBEE_CONCURRENCY, the default when absent, and refuses anything but 1 to the maximum naming its flag', () => {
    expect(readRunSettings({}).concurrency).toBe(defaultConcurrency);
    expect(readRunSettings({ IBEE_CONCURRENCY: '1' }).concurrency).toBe(1);
    expect(readRunSettings({ IBEE_CONCURRENCY: String(maxConcurrency) }).concurrency).toBe(maxConcurrency);
    for (const bad of ['0', String(maxConcurrency + 1), 'many', '1.5']) {
      let message = '';
      try {
        readRunSettings({ IBEE_CONCURRENCY: bad });
      } catch (error) {
        expect(error, bad).toBeInstanceOf(ConfigError);
        message = withFlags((error as Error).message);
      }
      expect(message, bad).toMatch(/^IBEE_CONCURRENCY \(--concurrency\) must be/);
    }
  });

  it('takes an S3 endpoint alone with the manual driver (an S3-only run), and a REST API only with its project', () => {
    const s3Only = readTargetEndpoint({ IBEE_DRIVER: 'manual', IBEE_S3_ENDPOINT: 'https://p1.blob.example/' });
    expect(s3Only).toMatchObject({ apiUrl: null, projectId: null, s3Endpoint: 'https://p1.blob.example', embedded: false });
    expect(restApiOf(s3Only!)).toBeNull();
    const withApi = readTargetEndpoint({ IBEE_DRIVER: 'manual', IBEE_S3_ENDPOINT: 'https://s3.example', IBEE_API_URL: 'https://api.example', IBEE_WORKSPACE_ID: 'w1' });
    expect(restApiOf(withApi!)).toEqual({ apiUrl: 'https://api.example', projectId: 'w1' });
    expect(() => readTargetEndpoint({ IBEE_DRIVER: 'manual', IBEE_S3_ENDPOINT: 'https://s3.example', IBEE_API_URL: 'https://api.example' })).toThrow(
      /needed too: IBEE_PROJECT_ID .*its URL and the project go together/,
    );
    expect(() => readTargetEndpoint({ IBEE_DRIVER: 'manual', IBEE_S3_ENDPOINT: 'https://s3.example', IBEE_PROJECT_ID: 'p1' })).toThrow(/needed too: IBEE_API_URL/);
    // The drivers that manage tokens do it through the REST API, and say how to run S3 alone.
    expect(() => readTargetEndpoint({ IBEE_S3_ENDPOINT: 'https://s3.example' })).toThrow(/IBEE_API_URL.*the rest driver manages tokens through the REST API; an S3-only run takes the manual driver/);
    expect(() => readTargetEndpoint({ IBEE_DRIVER: 'manual', IBEE_S3_ENDPOINT: 'not a url' })).toThrow(/IBEE_S3_ENDPOINT is not a URL/);
  });

  it('names variables with their flags, digits included (IBEE_S3_ENDPOINT)', () => {
    expect(withFlags('needed too: IBEE_S3_ENDPOINT, IBEE_PROJECT_ID')).toBe('needed too: IBEE_S3_ENDPOINT (--s3-endpoint), IBEE_PROJECT_ID (--project-id)');
    expect(withFlags('IBEE_RUN_PREFIX must be short')).toBe('IBEE_RUN_PREFIX must be short');
  });
});
