import fc from 'fast-check';
import { clockSkewSeconds } from '../../spec/index.js';

/** Signing-time offsets (seconds, either direction) beyond the allowed clock skew, up to a week. */
export function excessiveClockSkew(): fc.Arbitrary<number> {
  const beyond = fc.integer({ min: clockSkewSeconds.value.max + 60, max: 7 * 24 * 3600 });
  return fc.tuple(beyond, fc.boolean()).map(([seconds, ahead]) => (ahead ? seconds : -seconds));
}

/** Offsets comfortably inside the allowed skew. */
export function tolerableClockSkew(): fc.Arbitrary<number> {
  const margin = 60;
  return fc.integer({ min: -(clockSkewSeconds.value.max - margin), max: clockSkewSeconds.value.max - margin });
}
