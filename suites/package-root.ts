import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (where package.json and vitest.config.ts live), found from this module's own location so that
 * the CLI works from the sources (suites/), from the build (dist/suites/) and from an installed package.
 */

const packageName = 'ibee-conformance';

export interface PackageInfo {
  readonly root: string;
  readonly name: string;
  readonly version: string;
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const json = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (json.name === packageName) {
        cached = { root: dir, name: packageName, version: json.version ?? '0.0.0' };
        return cached;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the ${packageName} package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
