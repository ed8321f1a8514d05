import { cliContract } from './cli.js';
import type { ClientContract, ClientId } from './contract.js';
import { pythonSdkContract } from './python-sdk.js';
import { terraformProviderContract } from './terraform-provider.js';
import { typescriptSdkContract } from './typescript-sdk.js';

export type * from './contract.js';
export { PLACEHOLDERS } from './contract.js';
export { cliContract, pythonSdkContract, terraformProviderContract, typescriptSdkContract };

/** Every official client's contract, by client id. */
export const clientContracts: Readonly<Record<ClientId, ClientContract>> = {
  'python-sdk-0.4': pythonSdkContract,
  'typescript-sdk-0.4': typescriptSdkContract,
  'cli-0.4': cliContract,
  'terraform-provider': terraformProviderContract,
};
