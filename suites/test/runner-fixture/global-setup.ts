import type { TestProject } from 'vitest/node';
import { settleRun } from '../../target/run.js';

/**
 * Settles and provides the run the way the conformance global setup does (`ibeeRun`), from the settings the runner
 * provides, for a target that is not up.
 */
export default async function setup(project: TestProject): Promise<void> {
  const configuration = project.getProvidedContext().ibeeRunConfiguration;
  if (!configuration) throw new Error('the runner provides no run configuration');
  const run = await settleRun({
    endpoint: { apiUrl: 'http://127.0.0.1:9/fixture', s3Endpoint: 'http://127.0.0.1:9', projectId: 'p1', managementToken: 'fixture-management-token', apiToken: '', region: 'us-east-1', embedded: true },
    settings: configuration.settings,
    journalFile: null,
  });
  project.provide('ibeeRun', run);
}
