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

/**
 * The latest time the clock may show: the start of year 9999, so that what the mock dates from it (a token expiring
 * up to a year later, a presigned URL's window) still has the four-digit year that SigV4, ISO 8601 and HTTP dates
 * need.
 */
export const latestClockMs = Date.UTC(9999, 0, 1);

/** An advance that would take the clock past `latestClockMs`; nothing changed. */
export class ClockRangeError extends RangeError {
  constructor(seconds: number) {
    super(`advancing by ${seconds} seconds would take the clock past ${new Date(latestClockMs).toISOString()}, the latest time it can show`);
    this.name = 'ClockRangeError';
  }
}

export function createClock(realNow: () => number = Date.now, options: ClockOptions = {}): Clock {
  const saved = options.offsetMs ?? 0;
  // An offset saved by an older mock that let the clock leave the range is dropped rather than kept for good.
  let offset = Number.isFinite(saved) && realNow() + saved <= latestClockMs ? saved : 0;
  if (offset !== saved) options.onChange?.(offset);
  return {
    nowMs: () => realNow() + offset,
    now: () => new Date(realNow() + offset),
    advance(seconds: number) {
      if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('advance_seconds must be a non-negative number');
      const next = offset + Math.round(seconds * 1000);
      if (realNow() + next > latestClockMs) throw new ClockRangeError(seconds);
      offset = next;
      options.onChange?.(offset);
    },
    offsetMs: () => offset,
    reset() {
      offset = 0;
      options.onChange?.(offset);
    },
  };
}
