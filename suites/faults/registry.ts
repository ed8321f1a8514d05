import { allScopeConfigWrite } from './all-scope-config-write.js';
import { billingWriteAllowed } from './billing-write-allowed.js';
import { bucketDeleteWithoutBody } from './bucket-delete-without-body.js';
import { bucketListWithoutIsTruncated } from './bucket-list-without-is-truncated.js';
import { checksumIgnored } from './checksum-ignored.js';
import { clampExpiry } from './clamp-expiry.js';
import { corruptGetBody } from './corrupt-get-body.js';
import { createdAtShiftedDay } from './created-at-shifted-day.js';
import { defaultExpiry30 } from './default-expiry-30.js';
import { deleteScopeNamedWrite } from './delete-scope-named-write.js';
import { deletedCredentialStillUsable } from './deleted-credential-still-usable.js';
import { eligibilityWithoutBillingState } from './eligibility-without-billing-state.js';
import { expiryGrace } from './expiry-grace.js';
import { headBucketRefused } from './head-bucket-refused.js';
import { inactiveTokenAsScopeRefusal } from './inactive-token-as-scope-refusal.js';
import { invalidBucketNameAccepted } from './invalid-bucket-name-accepted.js';
import { nonemptyBucketDeleted } from './nonempty-bucket-deleted.js';
import { roWrite } from './ro-write.js';
import { s3SecretInXmlBody } from './s3-secret-in-xml-body.js';
import { scopelessTokenDefaulted } from './scopeless-token-defaulted.js';
import { secretLeakOnGet } from './secret-leak-on-get.js';
import { specialKeysRefused } from './special-keys-refused.js';
import { staleRevoked } from './stale-revoked.js';
import { workspaceIdDefaulted } from './workspace-id-defaulted.js';
import { workspaceIdIgnored } from './workspace-id-ignored.js';

/**
 * Every fault the proxy can inject: violations of documented or inferred rules of the kind a real deployment could
 * plausibly ship, one file each. The faults test proves that each one is caught under its requirement id.
 */
export const faults = [
  secretLeakOnGet,
  clampExpiry,
  staleRevoked,
  roWrite,
  defaultExpiry30,
  scopelessTokenDefaulted,
  billingWriteAllowed,
  expiryGrace,
  nonemptyBucketDeleted,
  invalidBucketNameAccepted,
  checksumIgnored,
  corruptGetBody,
  allScopeConfigWrite,
  s3SecretInXmlBody,
  createdAtShiftedDay,
  inactiveTokenAsScopeRefusal,
  workspaceIdDefaulted,
  workspaceIdIgnored,
  bucketListWithoutIsTruncated,
  bucketDeleteWithoutBody,
  deleteScopeNamedWrite,
  deletedCredentialStillUsable,
  eligibilityWithoutBillingState,
  headBucketRefused,
  specialKeysRefused,
] as const;

export type FaultName = (typeof faults)[number]['name'];
