import { describe } from 'vitest';
import { areaTests } from './target/suite.js';

/**
 * Authentication: Bearer on REST; SigV4 (wrong secret, unknown key, none, tampering, skew); presigned URLs and POST
 * policies; what SigV2 gets.
 */

describe('auth', () => areaTests('auth'));
