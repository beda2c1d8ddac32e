/**
 * The activity factory prices with the table the worker loaded (a refreshed
 * $MLOPS_HOME/prices.json), not only with the bundled one. It reports the
 * spot saving of a job from its billable and training time, and reads a
 * model's drift baseline once.
 */
import { createActivities } from '../../activities';
import type { Mailer } from '../../activities/mail';
import type { ComputeProvider, TrainingJobDescription } from '../../activities/provider/types';
import { createLogger } from '../../client/logger';
import type { CostEstimate } from '../../domain/estimate';
import { PRICE_TABLE, type PriceTable } from '../../domain/prices';
import { quickstartSpec } from '../support/harness';

function activitiesWith(priceTable?: PriceTable, provider = {} as ComputeProvider) {
  return createActivities({
    // estimateCost touches neither the provider nor the mailer.
    provider,
    mailer: {} as Mailer,
    secret: Buffer.alloc(32, 1),
    publicUrl: 'http://127.0.0.1:8787',
    logger: createLogger('test', { write: () => undefined }),
    priceTable,
  });
}

test('estimate uses the loaded price table', async () => {
  const spec = quickstartSpec('prices');
  const region = PRICE_TABLE.regions[spec.region];
  const doubled: PriceTable = {
    ...PRICE_TABLE,
    regions: {
      ...PRICE_TABLE.regions,
      [spec.region]: { ...region, hosting: Object.fromEntries(Object.entries(region.hosting).map(([type, price]) => [type, price * 2])) },
    },
  };
  const bundled = (await activitiesWith().estimateCost(spec)) as CostEstimate;
  const refreshed = (await activitiesWith(doubled).estimateCost(spec)) as CostEstimate;
  expect(refreshed.inference.perHourUsd).toBeCloseTo(bundled.inference.perHourUsd * 2, 6);
});

test('spot saving from billable time', async () => {
  const described: TrainingJobDescription = {
    name: 'churn-bench-1',
    status: 'Completed',
    instanceType: 'ml.m5.xlarge',
    instanceCount: 2,
    spot: true,
    startTime: '2026-03-01T10:00:00.000Z',
    endTime: '2026-03-01T10:25:00.000Z',
    billableSeconds: 1200,
    trainingSeconds: 3000,
    costUsd: 0.12,
    metrics: {},
    stopRequested: false,
  };
  const provider = { describeTrainingJob: async () => described } as unknown as ComputeProvider;

  const check = await activitiesWith(undefined, provider).checkTrainingJob({
    name: described.name,
    capUsd: 1,
    pricePerHourUsd: 0.36,
    instanceCount: 2,
    pollSeconds: 30,
  });

  expect(check.job.billableSeconds).toBe(1200);
  expect(check.job.trainingSeconds).toBe(3000);
  // 1 - 1200 / 3000 = 60 % of the training time was not billed.
  expect(check.job.spotSavingsPercent).toBe(60);
});

test('baseline read once per model', async () => {
  let reads = 0;
  const baseline = { rows: 10, features: { width: { edges: [200, 400], expected: [0.3, 0.4, 0.3] } } };
  const provider = {
    name: 'local',
    describeEndpoint: async () => undefined,
    getEndpointMetrics: async () => ({ invocations: 3, errors: 0 }),
    getCapturedRequests: async () => [{ at: '2026-03-01T10:00:00.000Z', body: '{"width":900}' }],
    readModelFile: async () => {
      reads += 1;
      return JSON.stringify(baseline);
    },
    getProjectSpend: async () => ({ totalUsd: 0, byResource: {} }),
  } as unknown as ComputeProvider;
  const activities = activitiesWith(undefined, provider);
  const input = {
    projectId: 'churn',
    endpointName: 'churn-endpoint',
    windowStart: '2026-03-01T09:00:00.000Z',
    windowEnd: '2026-03-01T11:00:00.000Z',
    driftSince: '2026-03-01T09:00:00.000Z',
    modelArtifacts: '/models/churn-1',
    driftMinSamples: 1,
  };

  const first = await activities.collectMonitoring(input);
  const second = await activities.collectMonitoring(input);
  await activities.collectMonitoring({ ...input, modelArtifacts: '/models/churn-2' });

  expect(first.driftScore).toBeGreaterThan(0.2);
  expect(second.driftScore).toBe(first.driftScore);
  // One read per model: churn-1 once for both checks, churn-2 once.
  expect(reads).toBe(2);
});
