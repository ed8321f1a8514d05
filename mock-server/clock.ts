/**
 * The mock's one clock. Everything time-based (token expiry, presigned URLs, SigV4 date checks, Date headers)
 * reads it, so that tests can move time forward through /_mock/clock without sleeping.
 */
export interface Clock {
  /** Current mock time in epoch milliseconds. */
  nowMs(): number;
  now(): Date;
  /** Moves the clock forward; time never goes back. */
  advance(seconds: number): void;
  /** Total offset from the real clock, in milliseconds. */
  offsetMs(): number;
  reset(): void;
}

export interface ClockOptions {
  /** Offset to start from, e.g. the one a durable mock saved before a restart. */
  readonly offsetMs?: number;
  /** Called with the new offset whenever it changes, so that a durable mock can keep it. */
  readonly onChange?: (offsetMs: number) => void;
}

export function createClock(realNow: () => number = Date.now, options: ClockOptions = {}): Clock {
  let offset = options.offsetMs ?? 0;
  return {
    nowMs: () => realNow() + offset,
    now: () => new Date(realNow() + offset),
    advance(seconds: number) {
      if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('advance_seconds must be a non-negative number');
      offset += Math.round(seconds * 1000);
      options.onChange?.(offset);
    },
    offsetMs: () => offset,
    reset() {
      offset = 0;
      options.onChange?.(offset);
    },
  };
}
