import { writeFileSync } from 'node:fs';
import { loadOpenApi, openApiJsonPath } from './openapi.js';

/** Build step: writes the parsed REST contract as JSON beside the compiled spec module (see openapi.ts). */
writeFileSync(openApiJsonPath, JSON.stringify(loadOpenApi()));
