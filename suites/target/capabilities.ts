import { restRoutes } from '../../spec/index.js';
import { concurrencyOf, mapConcurrently } from './concurrency.js';
import { noRestApiReason, type TargetEndpoint } from './config.js';
import type { SuiteContext } from './context.js';
import { httpRequest, publicApiUrl, restErrorCode } from './http.js';

/**
 * Capabilities are probed, not assumed. Time travel exists where GET /_mock/clock answers `{ now }` to the
 * management token (the mock; never a real deployment), and then the suites move the target's clock instead of
 * sleeping. The billing routes of the mock only (invoices, orders, balance: no IBEE client calls them) are judged
 * where a Billing token's GET finds them served.
 */

export interface Capabilities {
  readonly timeTravel: boolean;
  /** Why time travel is missing, for not_applicable records. */
  readonly timeTravelReason: string | null;
  /** The paths of the mock-only billing routes (spec's restRoutes) the target serves. */
  readonly billingReadRoutes: readonly string[];
  /** Why some of them are not judged (not served, or not probed), for not_applicable records; null when all are. */
  readonly billingReadRoutesReason: string | null;
}

/** The capabilities of `probeCapabilities`; those that need a token come from `probeBillingReadRoutes`. */
export type ProbedWithoutToken = Pick<Capabilities, 'timeTravel' | 'timeTravelReason'>;

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
    const exchange = await httpRequest('GET', this.clockUrl(), { headers: this.auth() });
    const now = readNow(exchange.json);
    if (exchange.response.status !== 200 || now === null) throw new Error(`GET /_mock/clock answered ${exchange.response.status}`);
    this.offsetMs = now - Date.now();
  }

  /** Moves the target's clock forward. */
  async advance(seconds: number): Promise<void> {
    if (!this.timeTravel) throw new Error('the target has no time travel');
    const exchange = await httpRequest('POST', this.clockUrl(), { headers: this.auth(), json: { advance_seconds: seconds } });
    if (exchange.response.status < 300) this.advancedSeconds += seconds;
    if (exchange.response.status >= 300) throw new Error(`POST /_mock/clock answered ${exchange.response.status}: ${exchange.response.body.slice(0, 200)}`);
    const now = readNow(exchange.json);
    if (now !== null) this.offsetMs = now - Date.now();
    else await this.refresh();
  }

  /** Time travel is probed on the REST API, so a clock that has it has one. */
  private clockUrl(): string {
    if (this.target.apiUrl === null) throw new Error('the target has no time travel: no REST API given');
    return `${this.target.apiUrl}/_mock/clock`;
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

export async function probeCapabilities(target: TargetEndpoint): Promise<ProbedWithoutToken> {
  if (target.apiUrl === null) return { timeTravel: false, timeTravelReason: `the target has no time travel (${noRestApiReason})` };
  try {
    const exchange = await httpRequest('GET', `${target.apiUrl}/_mock/clock`, { headers: { authorization: `Bearer ${target.managementToken}` } });
    if (exchange.response.status === 200 && readNow(exchange.json) !== null) return { timeTravel: true, timeTravelReason: null };
    return { timeTravel: false, timeTravelReason: `the target has no time travel (GET /_mock/clock answered ${exchange.response.status})` };
  } catch (error) {
    return { timeTravel: false, timeTravelReason: `the target has no time travel (GET /_mock/clock failed: ${(error as Error).message})` };
  }
}

/** The mock-only billing reads of spec's restRoutes: served by the mock, called by no IBEE client. */
export const mockOnlyBillingReads = restRoutes.filter((route) => route.mockOnly && route.grant.kind === 'billing' && route.method === 'GET');

/**
 * Which mock-only billing reads the target serves, asked once with a Billing-only token from the run's driver
 * (created and revoked here on a driver that makes tokens). A route is missing when it answers 404, 405 or 403
 * `unknown_route` (IBEE's gateway's word for a route it does not have); any other answer, a refusal included, is a
 * served route for the checks to judge.
 */
export async function probeBillingReadRoutes(ctx: SuiteContext): Promise<Pick<Capabilities, 'billingReadRoutes' | 'billingReadRoutesReason'>> {
  const token = await ctx.token({ billing: { permission_type: 'read_only' } });
  const served: string[] = [];
  const missing: string[] = [];
  const answers = await mapConcurrently(mockOnlyBillingReads, concurrencyOf(ctx.settings), (route) =>
    httpRequest('GET', publicApiUrl(ctx.rest(), route.path), { headers: { authorization: `Bearer ${token.bearerToken}` } }),
  );
  mockOnlyBillingReads.forEach((route, i) => {
    const exchange = answers[i]!;
    const { status } = exchange.response;
    if (status === 404 || status === 405 || (status === 403 && restErrorCode(exchange) === 'unknown_route')) missing.push(`GET ${route.path} (${status})`);
    else served.push(route.path);
  });
  return {
    billingReadRoutes: served,
    billingReadRoutesReason: missing.length === 0 ? null : `the target does not serve ${missing.join(', ')}, which no IBEE client calls`,
  };
}
