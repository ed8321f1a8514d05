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
  defaultRetentionBounds,
  restBucketRegions,
  restErrors,
  restRoutes,
  restScopes,
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
    expect(schemas.RequiredScope!.enum).toEqual([...restScopes]);
    expect((schemas.CreateBucketRequest!.properties!.region as Schema).enum).toEqual([...restBucketRegions.value.regions]);
    expect((schemas.DefaultRetention!.properties!.mode as Schema).enum).toEqual([...defaultRetentionBounds.value.modes]);
    const { days, years } = defaultRetentionBounds.value;
    const retention = schemas.DefaultRetention!.properties as Record<string, Schema>;
    expect([retention.days!.minimum, retention.days!.maximum, retention.years!.minimum, retention.years!.maximum]).toEqual([days.min, days.max, years.min, years.max]);
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

  it('every REST route, with the scope spec requires and the workspace_id it takes', () => {
    const paths = loadOpenApi().paths!;
    for (const route of restRoutes) {
      const item = paths[route.path] as Record<string, OpenAPIV3_1.OperationObject & { 'x-required-scope'?: string }> & { parameters?: { $ref?: string }[] };
      const operation = item[route.method.toLowerCase()];
      expect(operation?.['x-required-scope'], `${route.method} ${route.path}`).toBe(route.requiredScope);
      expect(item.parameters?.some((p) => p.$ref === '#/components/parameters/WorkspaceId'), route.path).toBe(true);
    }
  });

  it('documents every error code spec lists', () => {
    const text = JSON.stringify(loadOpenApi());
    for (const { error } of restErrors) expect(text, error).toContain(`\`${error}\``);
  });

  it('every path keeps its /v1 prefix or is a mock-only route', () => {
    for (const [path, item] of Object.entries(loadOpenApi().paths!)) {
      if (path.startsWith('/_mock/')) expect((item as { 'x-mock-only'?: boolean })['x-mock-only'], path).toBe(true);
      else expect(path.startsWith('/v1/'), path).toBe(true);
    }
  });
});
