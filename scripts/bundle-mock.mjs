// Build step (after tsc): bundles the `ibee-mock` CLI into DIST/bundle/ with rolldown. Start-up is mostly Node's
// ESM loader resolving and compiling hundreds of module files (Express, Ajv, pino, the project's own); one bundled
// file cuts that by about a third (bench/README.md, "Start-up"). The library entry (dist/index.js) stays unbundled.
// Usage: node scripts/bundle-mock.mjs [DIST] (default: the package's dist/).
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(process.argv[2] ?? join(root, 'dist'));
const outDir = join(dist, 'bundle');
rmSync(outDir, { recursive: true, force: true });
await build({
  input: join(dist, 'mock-server', 'cli.js'),
  platform: 'node',
  // A native addon: loaded from node_modules at run time.
  external: ['better-sqlite3'],
  logLevel: 'warn',
  output: { dir: outDir, format: 'esm', entryFileNames: 'ibee-mock.js' },
});
// spec/openapi.ts looks for the REST contract beside the module that contains it: the JSON the build wrote, or
// (for a build without that step) the YAML.
const json = join(dist, 'spec', 'openapi.json');
if (existsSync(json)) copyFileSync(json, join(outDir, 'openapi.json'));
else copyFileSync(join(root, 'spec', 'openapi.yaml'), join(outDir, 'openapi.yaml'));
