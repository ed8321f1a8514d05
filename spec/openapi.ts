import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OpenAPIV3_1 } from 'openapi-types';
import { parse } from 'yaml';

/** Path of the REST contract; it sits beside this module in the source tree and two levels up from dist/spec. */
export const openApiPath: string = (() => {
  const candidates = ['./openapi.yaml', '../../spec/openapi.yaml'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  for (const candidate of candidates) {
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      // try the next location
    }
  }
  return candidates[0]!;
})();

let cached: OpenAPIV3_1.Document | undefined;

/** The REST contract (spec/openapi.yaml), parsed and typed. Callers must not mutate it. */
export function loadOpenApi(): OpenAPIV3_1.Document {
  cached ??= parse(readFileSync(openApiPath, 'utf8')) as OpenAPIV3_1.Document;
  return cached;
}
