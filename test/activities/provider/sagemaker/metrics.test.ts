/**
 * Endpoint metrics of the SageMaker provider: datapoints put into moto's
 * CloudWatch with PutMetricData and read back through getEndpointMetrics.
 */
import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { alignWindow, createSageMakerProvider, DEFAULT_METRICS_WINDOW } from '../../../../activities/provider/sagemaker';
import { useMoto } from '../../../support/moto';
import { motoProvider, SETTINGS, silentLogger } from './fixtures';

const moto = useMoto();

const MINUTE = 60_000;
/** Start of the current (newest, incomplete) one-minute bucket; "now" is 30 s into it. */
const currentBucket = Math.floor(Date.now() / MINUTE) * MINUTE;
const now = new Date(currentBucket + 30_000);
const bucket = (minutesBefore: number) => new Date(currentBucket - minutesBefore * MINUTE);

function datum(endpoint: string, metricName: string, value: number, at: Date, unit: 'Count' | 'Microseconds' = 'Count'): MetricDatum {
  return {
    MetricName: metricName,
    Dimensions: [
      { Name: 'EndpointName', Value: endpoint },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ],
    Timestamp: at,
    Value: value,
    Unit: unit,
  };
}

async function putTraffic(cloudwatch: CloudWatchClient): Promise<void> {
  const at = (minutesBefore: number) => new Date(bucket(minutesBefore).getTime() + 5_000);
  const data = [
    datum('churn-endpoint', 'Invocations', 5, at(3)),
    datum('churn-endpoint', 'Invocation5XXErrors', 1, at(3)),
    datum('churn-endpoint', 'ModelLatency', 2000, at(3), 'Microseconds'),
    datum('churn-endpoint', 'ModelLatency', 4000, at(3), 'Microseconds'),
    datum('churn-endpoint', 'Invocations', 3, at(2)),
    datum('churn-endpoint', 'ModelLatency', 6000, at(2), 'Microseconds'),
    // The bucket just before the current one may still be filling.
    datum('churn-endpoint', 'Invocations', 100, at(1)),
    datum('churn-endpoint', 'ModelLatency', 900000, at(1), 'Microseconds'),
    // The current bucket is incomplete.
    datum('churn-endpoint', 'Invocations', 1000, new Date(currentBucket + 1_000)),
    datum('other-endpoint', 'Invocations', 7, at(3)),
  ];
  await cloudwatch.send(new PutMetricDataCommand({ Namespace: 'AWS/SageMaker', MetricData: data }));
}

test('metrics skip settling and current buckets', async () => {
  const { provider, cloudwatch } = motoProvider(moto, () => now);
  await putTraffic(cloudwatch);

  const metrics = await provider.getEndpointMetrics('churn-endpoint', bucket(10).toISOString(), now.toISOString());

  expect(metrics.invocations).toBe(8);
  expect(metrics.errors).toBe(1);
  expect(metrics.latencyMsAvg).toBeCloseTo(4, 10);
  expect(metrics.latencyMsMax).toBeCloseTo(6, 10);
});

test('settle zero still skips current bucket', async () => {
  const { sagemaker, cloudwatch } = motoProvider(moto);
  const provider = createSageMakerProvider({
    sagemaker,
    cloudwatch,
    settings: SETTINGS,
    logger: silentLogger,
    clock: () => now,
    metricsWindow: { settlePeriods: 0 },
  });
  await putTraffic(cloudwatch);

  const metrics = await provider.getEndpointMetrics('churn-endpoint', bucket(10).toISOString(), now.toISOString());

  expect(metrics.invocations).toBe(108);
  expect(metrics.latencyMsMax).toBeCloseTo(900, 10);
});

test('unaligned start drops partial bucket', async () => {
  const { provider, cloudwatch } = motoProvider(moto, () => now);
  await putTraffic(cloudwatch);

  const start = new Date(bucket(3).getTime() + 10_000);
  const metrics = await provider.getEndpointMetrics('churn-endpoint', start.toISOString(), now.toISOString());

  expect(metrics.invocations).toBe(3);
  expect(metrics.errors).toBe(0);
  expect(metrics.latencyMsAvg).toBeCloseTo(6, 10);
});

test('no datapoints means zero invocations', async () => {
  const { provider } = motoProvider(moto, () => now);

  const metrics = await provider.getEndpointMetrics('churn-endpoint', bucket(10).toISOString(), now.toISOString());

  expect(metrics).toEqual({ invocations: 0, errors: 0 });
});

test('window inside newest buckets is empty', async () => {
  const { provider, cloudwatch } = motoProvider(moto, () => now);
  await putTraffic(cloudwatch);

  const metrics = await provider.getEndpointMetrics('churn-endpoint', bucket(1).toISOString(), now.toISOString());

  expect(metrics).toEqual({ invocations: 0, errors: 0 });
});

test('invalid window time is InvalidInput', async () => {
  const { provider } = motoProvider(moto, () => now);

  await expect(provider.getEndpointMetrics('churn-endpoint', 'yesterday', now.toISOString())).rejects.toMatchObject({ name: 'InvalidInput' });
});

test('alignWindow rounds inward to periods', () => {
  const t = (iso: string) => new Date(iso);
  const window = alignWindow(t('2026-01-01T10:00:10Z'), t('2026-01-01T10:05:50Z'), t('2026-01-01T12:00:00Z'), DEFAULT_METRICS_WINDOW);

  expect(window?.start.toISOString()).toBe('2026-01-01T10:01:00.000Z');
  expect(window?.end.toISOString()).toBe('2026-01-01T10:05:00.000Z');
});

test('alignWindow ends before settling buckets', () => {
  const t = (iso: string) => new Date(iso);
  const window = alignWindow(t('2026-01-01T10:00:00Z'), t('2026-01-01T11:00:00Z'), t('2026-01-01T10:30:30Z'), {
    periodSeconds: 300,
    settlePeriods: 2,
  });

  // The current bucket starts 10:30; two more five-minute buckets are left out.
  expect(window?.end.toISOString()).toBe('2026-01-01T10:20:00.000Z');
  expect(alignWindow(t('2026-01-01T10:25:00Z'), t('2026-01-01T11:00:00Z'), t('2026-01-01T10:30:30Z'), { periodSeconds: 300, settlePeriods: 2 })).toBeUndefined();
});
