/**
 * The benchmark under cost caps and restarts: an expensive configuration is
 * stopped before it passes its cap, and a worker restart in the middle of
 * the benchmark leaves exactly one training job per configuration.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Harness, QUICKSTART_DIR, quickstartSpec } from '../support/harness';

jest.setTimeout(4 * 60_000);

describe('benchmark cost cap', () => {
  const harness = new Harness();
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  test('expensive job is stopped at its cap', async () => {
    const spec = quickstartSpec('cap', (s) => {
      s.training.hyperparameters.sleepSeconds = 30;
      s.budgets.perTrainingJobUsd = 0.01;
      // $3.06 per hour reaches $0.01 in under 12 s; $0.115 per hour needs over 5 minutes.
      s.prices.training = { 'ml.p3.2xlarge': 3.06, 'ml.m5.large': 0.115 };
      s.training.candidates = [
        { instanceType: 'ml.m5.large', instanceCount: 1, spot: false },
        { instanceType: 'ml.p3.2xlarge', instanceCount: 1, spot: false },
      ];
    });
    await harness.projects.start(spec, QUICKSTART_DIR);
    await harness.approveGate(spec.id, 'requirements');
    await harness.approveGate(spec.id, 'cost');
    const status = await harness.waitForPhase(spec.id, 'deployment-review', 180_000);

    const [cheap, expensive] = status.trainingJobs;
    expect(expensive.instanceType).toBe('ml.p3.2xlarge');
    expect(expensive.stopped).toBe(true);
    expect(expensive.status).toBe('Stopped');
    expect(expensive.costUsd).toBeGreaterThan(0);
    expect(expensive.costUsd).toBeLessThanOrEqual(spec.budgets.perTrainingJobUsd);
    expect(expensive.durationSeconds).toBeLessThan(30);

    expect(cheap.status).toBe('Completed');
    expect(cheap.stopped).toBe(false);
    expect(status.recommendation?.instanceType).toBe('ml.m5.large');
    await harness.projects.stop(spec.id, 'test finished');
    await harness.waitForPhase(spec.id, 'closed');
  });
});

describe('benchmark across a worker restart', () => {
  const harness = new Harness();
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  test('restart leaves one job per configuration', async () => {
    const spec = quickstartSpec('restart', (s) => {
      s.training.hyperparameters.sleepSeconds = 8;
      // Configurations that finish within their caps, so every job must complete despite the restart.
      s.training.candidates = s.training.candidates.filter((c) => c.instanceType !== 'ml.p3.2xlarge');
    });
    await harness.projects.start(spec, QUICKSTART_DIR);
    await harness.approveGate(spec.id, 'requirements');
    await harness.approveGate(spec.id, 'cost');
    await harness.waitForRunningBenchmark(spec, 30_000);
    const jobsDir = path.join(harness.home, 'compute', 'training-jobs');
    await harness.stopWorker();
    await new Promise((r) => setTimeout(r, 2000));
    await harness.startWorker();

    const status = await harness.waitForPhase(spec.id, 'deployment-review', 180_000);
    expect(status.trainingJobs).toHaveLength(spec.training.candidates.length);
    expect(fs.readdirSync(jobsDir).sort()).toEqual(status.trainingJobs.map((j) => j.name).sort());
    for (const job of status.trainingJobs) expect(job.status).toBe('Completed');
    await harness.projects.stop(spec.id, 'test finished');
    await harness.waitForPhase(spec.id, 'closed');
  });
});
