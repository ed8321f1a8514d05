import { createHash } from 'node:crypto';

/**
 * Seeded billing data: plausible invoices, orders and balance per project, in INR (amounts in paise). IBEE
 * documents only that the Billing read-only scope can "view invoices, orders, and account balance", so these
 * shapes are ours (spec/openapi.yaml). The data is a pure function of the project id and the mock's month, so it
 * is stable across requests and restarts.
 */

export interface Invoice {
  readonly id: string;
  readonly number: string;
  readonly status: 'paid' | 'due' | 'overdue';
  readonly currency: 'INR';
  readonly period_start: string;
  readonly period_end: string;
  readonly issued_at: string;
  readonly due_at: string;
  readonly subtotal_minor: number;
  readonly tax_minor: number;
  readonly total_minor: number;
}

export interface Order {
  readonly id: string;
  readonly created_at: string;
  readonly status: 'completed' | 'pending' | 'cancelled';
  readonly description: string;
  readonly sku_code: string;
  readonly quantity: number;
  readonly unit: string;
  readonly currency: 'INR';
  readonly amount_minor: number;
}

export interface Balance {
  readonly currency: 'INR';
  readonly balance_minor: number;
  readonly updated_at: string;
}

/** GST on cloud services in India. */
const gstRate = 0.18;
const invoiceMonths = 6;
const dayMs = 86_400_000;

/** A small deterministic generator (mulberry32) seeded from the project id. */
function random(seedText: string): () => number {
  let seed = createHash('sha256').update(seedText).digest().readUInt32BE(0);
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function between(next: () => number, min: number, max: number): number {
  return min + Math.floor(next() * (max - min + 1));
}

function monthStart(year: number, month: number): Date {
  return new Date(Date.UTC(year, month, 1));
}

export function invoicesFor(projectId: string, now: Date): Invoice[] {
  const invoices: Invoice[] = [];
  for (let back = 1; back <= invoiceMonths; back++) {
    const start = monthStart(now.getUTCFullYear(), now.getUTCMonth() - back);
    const end = monthStart(start.getUTCFullYear(), start.getUTCMonth() + 1);
    const period = `${start.getUTCFullYear()}${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
    const next = random(`${projectId}:invoice:${period}`);
    const subtotal = between(next, 5_000, 2_500_000);
    const tax = Math.round(subtotal * gstRate);
    const issued = new Date(end.getTime() + dayMs);
    const due = new Date(issued.getTime() + 15 * dayMs);
    invoices.push({
      id: `inv_${projectId}_${period}`,
      number: `IBEE/${period}/${projectId}`,
      status: back === 1 && now.getTime() < due.getTime() ? 'due' : 'paid',
      currency: 'INR',
      period_start: start.toISOString(),
      period_end: end.toISOString(),
      issued_at: issued.toISOString(),
      due_at: due.toISOString(),
      subtotal_minor: subtotal,
      tax_minor: tax,
      total_minor: subtotal + tax,
    });
  }
  return invoices;
}

export function ordersFor(projectId: string, now: Date): Order[] {
  const orders: Order[] = [];
  for (let back = 0; back < invoiceMonths; back++) {
    const start = monthStart(now.getUTCFullYear(), now.getUTCMonth() - back);
    const period = `${start.getUTCFullYear()}${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
    const next = random(`${projectId}:order:${period}`);
    const created = new Date(start.getTime() + between(next, 0, 20) * dayMs + between(next, 0, dayMs - 1));
    if (created.getTime() > now.getTime()) continue;
    const topUp = next() < 0.5;
    const quantity = topUp ? 1 : between(next, 10, 5_000);
    orders.push({
      id: `ord_${projectId}_${period}`,
      created_at: created.toISOString(),
      status: 'completed',
      description: topUp ? 'Prepaid credit top-up' : 'Object Storage Standard, storage',
      sku_code: topUp ? 'CREDIT-TOPUP' : 'OBJECTST-STD',
      quantity,
      unit: topUp ? 'each' : 'GB-month',
      currency: 'INR',
      amount_minor: topUp ? between(next, 1, 50) * 100_000 : quantity * between(next, 150, 250),
    });
  }
  return orders;
}

export function balanceFor(projectId: string, now: Date): Balance {
  const next = random(`${projectId}:balance`);
  return { currency: 'INR', balance_minor: between(next, -50_000, 5_000_000), updated_at: now.toISOString() };
}
