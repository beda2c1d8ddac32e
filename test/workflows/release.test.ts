/**
 * Nothing keeps billing when a project stops early: a spent budget shuts the
 * endpoint down and blocks a redeploy, a failed deployment releases what it
 * created, and closing a project mid-benchmark stops its training jobs.
 */
import type { ProjectSpec } from '../../domain/spec';
import { Harness, QUICKSTART_DIR, processesMentioning, quickstartSpec } from '../support/harness';

jest.setTimeout(4 * 60_000);

const harness = new Harness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

function fastSpec(id: string, change: (spec: ProjectSpec) => void = () => undefined): ProjectSpec {
  return quickstartSpec(id, (s) => {
    s.training.hyperparameters.sleepSeconds = 0;
    s.training.candidates = [{ instanceType: 'ml.m5.large', instanceCount: 1, spot: false }];
    s.monitoring.intervalSeconds = 1;
    change(s);
  });
}

test('spent budget shuts the endpoint down', async () => {
  const spec = fastSpec('budget', (s) => {
    // The benchmark alone costs more than this, so the first check finds the budget spent.
    s.budgets.totalUsd = 0.00001;
  });
  await harness.projects.start(spec, QUICKSTART_DIR);
  await harness.approveGate(spec.id, 'requirements');
  await harness.approveGate(spec.id, 'cost');
  await harness.approveGate(spec.id, 'deployment');

  const status = await harness.waitForPhase(spec.id, 'shut-down', 120_000);
  expect(status.shutdownReason).toMatch(/^budget spent/);
  expect(status.spendUsd).toBeGreaterThanOrEqual(spec.budgets.totalUsd);
  expect(await harness.provider.describeEndpoint(status.endpoint!.name)).toBeUndefined();
  await expect(harness.projects.redeploy(spec.id)).rejects.toThrow(/raise budgets.totalUsd/);
  const subjects = await harness.waitForSubject(/endpoint shut down/);
  expect(subjects).toContain(`[mlops] ${spec.name}: 100% of the budget spent`);
  expect(subjects).toContain(`[mlops] ${spec.name}: endpoint shut down`);

  await harness.projects.stop(spec.id, 'test finished');
  await harness.waitForPhase(spec.id, 'closed');
});

test('failed deployment releases the endpoint', async () => {
  const spec = fastSpec('deployfail', (s) => {
    s.inference.command = ['node', '-e', 'process.exit(3)'];
  });
  await harness.projects.start(spec, QUICKSTART_DIR);
  await harness.approveGate(spec.id, 'requirements');
  await harness.approveGate(spec.id, 'cost');
  await harness.approveGate(spec.id, 'deployment');

  const status = await harness.waitForPhase(spec.id, 'failed', 180_000);
  expect(status.failure).toMatch(/endpoint/i);
  expect(status.endpoint?.status).toBe('Deleted');
  expect(await harness.provider.describeEndpoint(status.endpoint!.name)).toBeUndefined();
  expect(processesMentioning(spec.id)).toEqual([]);
  const subjects = await harness.waitForSubject(new RegExp(`${spec.name}.* failed`));
  expect(subjects).toContain(`[mlops] ${spec.name} failed`);
});

test('close during benchmark stops the jobs', async () => {
  const spec = quickstartSpec('closebench', (s) => {
    s.training.hyperparameters.sleepSeconds = 120;
    s.budgets.perTrainingJobUsd = 1;
  });
  await harness.projects.start(spec, QUICKSTART_DIR);
  await harness.approveGate(spec.id, 'requirements');
  await harness.approveGate(spec.id, 'cost');
  await harness.waitForRunningBenchmark(spec, 60_000);

  await harness.projects.stop(spec.id, 'budget withdrawn');
  const status = await harness.waitForPhase(spec.id, 'closed', 60_000);
  expect(status.shutdownReason).toBe('budget withdrawn');
  for (const job of status.trainingJobs) {
    expect(job.status).toBe('Stopped');
    expect((await harness.provider.describeTrainingJob(job.name)).status).toBe('Stopped');
  }
  expect(status.spendUsd).toBeGreaterThan(0);
  await harness.waitFor(spec.id, 'runners gone', () => processesMentioning(`${spec.id}-bench`).length === 0, 30_000);
});
