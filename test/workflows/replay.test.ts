/**
 * Replays every committed history in test/histories/ against the current
 * workflow code. A change that would break running workflows fails here
 * until it is gated with patched().
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { temporal } from '@temporalio/proto';
import { WORKFLOWS_PATH } from '../../workers/worker';
import { installQuietRuntime, workflowBundle } from '../support/harness';

const HISTORIES = path.join(__dirname, '..', 'histories');

/** A recorded history with the id of its workflow, which child workflow ids derive from. */
interface RecordedHistory {
  name: string;
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

function loadHistories(): RecordedHistory[] {
  return fs
    .readdirSync(HISTORIES)
    .filter((f) => f.endsWith('.json'))
    .map((name) => ({ name, ...(JSON.parse(fs.readFileSync(path.join(HISTORIES, name), 'utf8')) as Omit<RecordedHistory, 'name'>) }));
}

describe('workflow replay', () => {
  const histories = loadHistories();

  test('committed histories exist', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  beforeAll(() => installQuietRuntime());

  test.each(histories.map((h) => [h.name, h] as const))('%s replays on current code', async (_name, recorded) => {
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, recorded.history, recorded.workflowId);
  });

  test('reordered activities fail the replay', async () => {
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/reordered-workflows'),
      logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, histories[0].history, histories[0].workflowId)).rejects.toBeInstanceOf(
      DeterminismViolationError,
    );
  });

  test('workflow bundle builds from the entry module', async () => {
    const bundle = await workflowBundle();
    expect(bundle.code).toContain('projectWorkflow');
    expect(WORKFLOWS_PATH).toMatch(/workflows/);
  });
});
