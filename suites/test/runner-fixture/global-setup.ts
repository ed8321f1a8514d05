import type { TestProject } from 'vitest/node';
import { settleRun } from '../../target/run.js';

/** Settles and provides the run the way the conformance global setup does (`ibeeRun`), for a target that is not up. */
export default async function setup(project: TestProject): Promise<void> {
  const run = await settleRun({
    endpoint: { apiUrl: 'http://127.0.0.1:9/fixture', s3Endpoint: 'http://127.0.0.1:9', projectId: 'p1', managementToken: 'fixture-management-token', region: 'us-east-1', embedded: true },
    settings: { driver: 'rest', credentialsFile: null, seed: Number(process.env['IBEE_SEED']), runs: 3, only: null, runPrefix: 'ibcfixture', checksFile: process.env['IBEE_CHECKS_FILE'] ?? null },
    journalFile: null,
  });
  project.provide('ibeeRun', run);
}
