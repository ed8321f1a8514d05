/**
 * Every check module, so that importing this one fills the registry (e.g. for listing which checks speak for which
 * requirement). Conformance files import the modules they run directly.
 */
export * from './auth.js';
export * from './expiry.js';
export * from './permissions.js';
export * from './public-api.js';
export * from './revocation.js';
export * from './scoping.js';
export * from './secrets.js';
export * from './storage.js';
export * from './tokens.js';
export { registeredChecks, type CheckDefinition } from './registry.js';
