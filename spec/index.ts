/** spec/: the single source of truth. Mock and suites import from here; nothing restates these facts. */
export * from './basis.js';
export * from './sources.js';
export * from './limits.js';
export * from './checksums.js';
export * from './permissions.js';
export * from './public-api.js';
export * from './requirements.js';
export { loadOpenApi, openApiPath } from './openapi.js';
export * from './iam-policy.js';
