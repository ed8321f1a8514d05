import fc from 'fast-check';
import { permissionTypes, type PermissionType } from '../../spec/index.js';

/** One of the four documented Object Storage levels. */
export function permissionType(): fc.Arbitrary<PermissionType> {
  return fc.constantFrom(...permissionTypes);
}
