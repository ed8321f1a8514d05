import { describe } from 'vitest';
import { areaTests } from './target/suite.js';

/** Expiry bounds (1..365, refused outside, never clamped), the 90-day default, and enforcement with time travel. */

describe('expiry', () => areaTests('expiry'));
