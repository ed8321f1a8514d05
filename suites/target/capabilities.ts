import type { TargetEndpoint } from './config.js';
import { httpRequest } from './http.js';

/**
 * Capabilities are probed, not assumed. Time travel exists where GET /_mock/clock answers `{ now }` to the
 * management token (the mock; never a real deployment), and then the suites move the target's clock instead of
 * sleeping.
 */

export interface Capabilities {
  readonly timeTravel: boolean;
  /** Why time travel is missing, for not_applicable records. */
  readonly timeTravelReason: string | null;
}

/** The target's idea of now, as an offset from this machine's clock. */
export class TargetClock {
  offsetMs = 0;
  /** How far this process has moved the target's clock. */
  advancedSeconds = 0;

  constructor(
    private readonly target: TargetEndpoint,
    readonly timeTravel: boolean,
  ) {}

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Re-reads the target's clock (mock only); elsewhere the local clock is assumed right. */
  async refresh(): Promise<void> {
    if (!this.timeTravel) return;
    const exchange = await httpRequest('GET', `${this.target.apiUrl}/_mock/clock`, { headers: this.auth() });
    const now = readNow(exchange.json);
    if (exchange.response.status !== 200 || now === null) throw new Error(`GET /_mock/clock answered ${exchange.response.status}`);
    this.offsetMs = now - Date.now();
  }

  /** Moves the target's clock forward. */
  async advance(seconds: number): Promise<void> {
    if (!this.timeTravel) throw new Error('the target has no time travel');
    const exchange = await httpRequest('POST', `${this.target.apiUrl}/_mock/clock`, { headers: this.auth(), json: { advance_seconds: seconds } });
    if (exchange.response.status < 300) this.advancedSeconds += seconds;
    if (exchange.response.status >= 300) throw new Error(`POST /_mock/clock answered ${exchange.response.status}: ${exchange.response.body.slice(0, 200)}`);
    const now = readNow(exchange.json);
    if (now !== null) this.offsetMs = now - Date.now();
    else await this.refresh();
  }

  private auth(): Record<string, string> {
    return { authorization: `Bearer ${this.target.managementToken}` };
  }
}

function readNow(body: unknown): number | null {
  if (body === null || typeof body !== 'object' || !('now' in body)) return null;
  const value = (body as { now: unknown }).now;
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? ms : null;
}

export async function probeCapabilities(target: TargetEndpoint): Promise<Capabilities> {
  try {
    const exchange = await httpRequest('GET', `${target.apiUrl}/_mock/clock`, { headers: { authorization: `Bearer ${target.managementToken}` } });
    if (exchange.response.status === 200 && readNow(exchange.json) !== null) return { timeTravel: true, timeTravelReason: null };
    return { timeTravel: false, timeTravelReason: `the target has no time travel (GET /_mock/clock answered ${exchange.response.status})` };
  } catch (error) {
    return { timeTravel: false, timeTravelReason: `the target has no time travel (GET /_mock/clock failed: ${(error as Error).message})` };
  }
}
