import fc from 'fast-check';
import { billableSku, loadOpenApi } from '../../spec/index.js';

/** A `POST /v1/billing/resource-eligibility` body, as IBEE's clients send one. */
export interface EligibilityRequest {
  readonly sku_code?: string;
  readonly estimated_cost_minor?: number;
  readonly operation?: string;
}

/** The operations a decision may be asked about: the request schema's enum (spec/openapi.yaml). */
export function eligibilityOperations(): readonly string[] {
  const schema = loadOpenApi().components?.schemas?.['ResourceEligibilityRequest'] as { properties?: { operation?: { enum?: unknown } } } | undefined;
  const operations = schema?.properties?.operation?.enum;
  if (!Array.isArray(operations) || operations.length === 0) throw new Error('spec/openapi.yaml: ResourceEligibilityRequest.operation has no enum');
  return operations.filter((operation): operation is string => typeof operation === 'string');
}

/**
 * Valid eligibility requests: any of the three fields or none; a SKU code (IBEE's own, or another in any case,
 * up to 64 characters, never blank: clients leave a blank one out), a non-negative cost in minor units, an operation.
 */
export function eligibilityRequest(): fc.Arbitrary<EligibilityRequest> {
  const sku = fc.oneof(fc.constant(billableSku.value.skuCode), fc.constant(billableSku.value.skuCode.toLowerCase()), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/));
  return fc.record(
    {
      sku_code: sku,
      estimated_cost_minor: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.maxSafeNat()),
      operation: fc.constantFrom(...eligibilityOperations()),
    },
    { requiredKeys: [] },
  );
}
