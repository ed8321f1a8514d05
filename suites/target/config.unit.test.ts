import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requirements } from '../../spec/index.js';
import { ConfigError, defaultRuns, parseOnly, parseRunPrefix, parseSeed, readRunSettings, readTargetEndpoint } from './config.js';

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

  it('reads an external target only when IBEE_API_URL is set, and then needs the rest', () => {
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
});
