import type { OpenAPIV3_1 } from 'openapi-types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  billingPermissionTypes,
  bucketNameRules,
  bucketScopes,
  isValidBucketName,
  loadOpenApi,
  permissionTypes,
  restRoutes,
  tokenDescriptionLength,
  tokenExpiryDays,
  tokenNameLength,
} from '../../spec/index.js';
import { schemaValidator } from './schemas.js';

/**
 * spec/openapi.yaml states bounds and formats for its readers; spec/*.ts holds them for code. These tests keep the
 * two equal, so that the document never drifts from what the mock enforces and the suites check.
 */

type Schema = OpenAPIV3_1.SchemaObject;
const schemas = loadOpenApi().components!.schemas! as Record<string, Schema>;
const props = (name: string) => schemas[name]!.properties as Record<string, Schema>;

describe('spec/openapi.yaml agrees with spec/', () => {
  it('token bounds', () => {
    expect([schemas.TokenName!.minLength, schemas.TokenName!.maxLength]).toEqual([tokenNameLength.value.min, tokenNameLength.value.max]);
    expect(schemas.TokenDescription!.maxLength).toBe(tokenDescriptionLength.value.max);
    const days = props('CreateApiTokenRequest').expires_in_days!;
    expect([days.minimum, days.maximum, days.default]).toEqual([tokenExpiryDays.value.min, tokenExpiryDays.value.max, tokenExpiryDays.value.default]);
  });

  it('enumerations', () => {
    expect(schemas.PermissionType!.enum).toEqual([...permissionTypes]);
    expect(schemas.BucketScope!.enum).toEqual([...bucketScopes]);
    expect(props('BillingScope').permission_type!.enum).toEqual([...billingPermissionTypes]);
    const scopes = [...new Set([...permissionTypes.map((p) => `object_storage:${p}`), ...billingPermissionTypes.map((b) => `billing:${b}`)])];
    expect(schemas.RequiredScope!.enum).toEqual(scopes);
  });

  it('bucket names: the schema accepts exactly what isValidBucketName accepts', () => {
    const rules = bucketNameRules.value;
    expect([schemas.BucketName!.minLength, schemas.BucketName!.maxLength, schemas.BucketName!.pattern]).toEqual([rules.minLength, rules.maxLength, rules.pattern.source]);
    const validate = schemaValidator('BucketName');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[a-z0-9.-]{0,66}$/)), (name) => {
        expect(validate(name)).toBe(isValidBucketName(name));
      }),
      { numRuns: 500 },
    );
  });

  it('every REST route, with the scope spec requires', () => {
    const paths = loadOpenApi().paths!;
    for (const route of restRoutes) {
      const operation = (paths[route.path] as Record<string, OpenAPIV3_1.OperationObject & { 'x-required-scope'?: string }>)[route.method.toLowerCase()];
      expect(operation?.['x-required-scope'], `${route.method} ${route.path}`).toBe(route.requiredScope);
    }
  });

  it('every path keeps its /v1 prefix or is a mock-only route', () => {
    for (const [path, item] of Object.entries(loadOpenApi().paths!)) {
      if (path.startsWith('/_mock/')) expect((item as { 'x-mock-only'?: boolean })['x-mock-only'], path).toBe(true);
      else expect(path.startsWith('/v1/'), path).toBe(true);
    }
  });
});
