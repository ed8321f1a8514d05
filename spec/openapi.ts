import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { OpenAPIV3_1 } from 'openapi-types';
import type * as Yaml from 'yaml';

/** Path of the REST contract; it sits beside this module in the source tree and two levels up from dist/spec. */
export const openApiPath: string = (() => {
  const candidates = ['./openapi.yaml', '../../spec/openapi.yaml'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((candidate) => existsSync(candidate)) ?? candidates[0]!;
})();

/**
 * The build (`npm run build`) also writes the document as JSON beside the compiled module: parsing YAML (and
 * loading the parser) is a large share of the mock's start-up. Used only while it is as new as the YAML.
 */
export const openApiJsonPath: string = fileURLToPath(new URL('./openapi.json', import.meta.url));

function readOpenApi(): OpenAPIV3_1.Document {
  if (existsSync(openApiJsonPath) && statSync(openApiJsonPath).mtimeMs >= statSync(openApiPath).mtimeMs) {
    return JSON.parse(readFileSync(openApiJsonPath, 'utf8')) as OpenAPIV3_1.Document;
  }
  const { parse } = createRequire(import.meta.url)('yaml') as typeof Yaml;
  return parse(readFileSync(openApiPath, 'utf8')) as OpenAPIV3_1.Document;
}

let cached: OpenAPIV3_1.Document | undefined;

/** The REST contract (spec/openapi.yaml), parsed and typed. Callers must not mutate it. */
export function loadOpenApi(): OpenAPIV3_1.Document {
  cached ??= readOpenApi();
  return cached;
}
