import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { noRestApiUrl, readRunConfiguration } from './config.js';
import type { EmbeddedMock } from './embedded-mock.js';
import { guardAgainstInterrupts } from './interrupt.js';
import { settleRun } from './run.js';
import { sweepJournal } from './sweep.js';

/**
 * vitest globalSetup of the `conformance` project: settles the run once for all test files and provides it to them
 * (`ibeeRun`): the settings and target the CLI runner settled (`ibeeRunConfiguration`), or the IBEE_* variables when
 * vitest runs the project directly; the embedded mock, started in-process, when there is no external target; and
 * the target's capabilities. At the end it removes whatever the run created (journaled by the workers), also after
 * failed or cancelled runs, and after SIGINT or SIGTERM (interrupt.ts: vitest exits on those without any teardown).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { settings, target: external } = project.getProvidedContext().ibeeRunConfiguration ?? readRunConfiguration();
  let mock: EmbeddedMock | null = null;
  // The mock (and everything it loads) only when the run has no target of its own.
  if (!external) mock = await (await import('./embedded-mock.js')).startEmbeddedMock({ apiToken: settings.driver === 'credentials' });
  const endpoint = external ?? mock!.endpoint;
  const journalDir = mkdtempSync(join(tmpdir(), 'ibee-conformance-'));
  const run = await settleRun({ endpoint, settings, journalFile: join(journalDir, 'created.jsonl') }, { probeWithToken: true });
  project.provide('ibeeRun', run);
  console.log(
    `ibee-conformance: target ${endpoint.embedded ? 'embedded mock ' : ''}${endpoint.apiUrl ?? `REST API ${noRestApiUrl}`} (S3 ${endpoint.s3Endpoint}), driver ${settings.driver}, seed ${settings.seed}, runs ${settings.runs}, prefix ${settings.runPrefix}`,
  );

  // Guarded until the teardown below has finished: a signal during its sweep hands the rest to the cleaner.
  const interrupts = guardAgainstInterrupts(run, journalDir);
  let finishing: Promise<void> | null = null;
  return () =>
    (finishing ??= (async () => {
      try {
        const left = await sweepJournal(run);
        if (left.tokenIds.length > 0 || left.buckets.length > 0) {
          console.error(`ibee-conformance: could not remove ${left.buckets.length} bucket(s) and ${left.tokenIds.length} token(s) under prefix ${settings.runPrefix}`);
        }
        if (left.configurations.length > 0) console.error(`ibee-conformance: could not restore ${left.configurations.join('; ')}`);
      } finally {
        interrupts.dispose();
        // After an interrupt the folder is the detached cleaner's to remove.
        if (!interrupts.interrupted) rmSync(journalDir, { recursive: true, force: true });
        await mock?.close();
      }
    })());
}
