import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { workspaceIdFormat } from '../../spec/index.js';
import { eligibilityOperations, eligibilityRequest } from './eligibilityRequest.js';
import { foreignWorkspaceId } from './foreignWorkspaceId.js';
import { malformedWorkspaceId } from './malformedWorkspaceId.js';

/** The public API's arbitraries generate exactly what their names promise, judged by spec/'s own rules. */

const wellFormed = (id: string) => workspaceIdFormat.value.pattern.test(id);
/** Workspace ids as the mock makes them (numeric), and as a target may name its project otherwise. */
const ownIds = fc.oneof(fc.bigInt({ min: 1n, max: 10n ** 12n }).map(String), fc.constantFrom('1', '9', 'project-a'));

describe('public API arbitraries', () => {
  it('malformed workspace ids are never exactly one well-formed id', () => {
    fc.assert(
      fc.property(ownIds, (own) =>
        fc.assert(
          fc.property(malformedWorkspaceId(own), ({ breaks, values }) => {
            if (breaks === 'repeated') expect(values).toEqual([own, own]);
            else {
              expect(values).toHaveLength(1);
              expect(wellFormed(values[0]!)).toBe(false);
              expect(values[0]).not.toBe(own);
            }
          }),
          { numRuns: 30 },
        ),
      ),
      { numRuns: 20 },
    );
  });

  it('foreign workspace ids are well formed and never the own one', () => {
    fc.assert(
      fc.property(ownIds, fc.nat(), (own, seed) => {
        const ids = fc.sample(foreignWorkspaceId(own), { numRuns: 30, seed });
        for (const id of ids) {
          expect(wellFormed(id)).toBe(true);
          expect(id).not.toBe(own);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('eligibility requests are what IBEE\'s clients send: a non-blank SKU of up to 64 characters, a cost of 0 or more, a known operation', () => {
    const operations = eligibilityOperations();
    expect(operations).toContain('CREATE_RESOURCE');
    fc.assert(
      fc.property(eligibilityRequest(), (request) => {
        for (const key of Object.keys(request)) expect(['sku_code', 'estimated_cost_minor', 'operation']).toContain(key);
        if (request.sku_code !== undefined) {
          expect(request.sku_code.trim().length).toBeGreaterThan(0);
          expect(request.sku_code.length).toBeLessThanOrEqual(64);
        }
        if (request.estimated_cost_minor !== undefined) expect(Number.isSafeInteger(request.estimated_cost_minor) && request.estimated_cost_minor >= 0).toBe(true);
        if (request.operation !== undefined) expect(operations).toContain(request.operation);
      }),
    );
  });
});
