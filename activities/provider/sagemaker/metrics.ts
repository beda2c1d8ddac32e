/**
 * Endpoint metrics from CloudWatch (namespace AWS/SageMaker, dimensions
 * EndpointName and VariantName). Windows are aligned to the period and end
 * before the newest buckets, which CloudWatch is still filling.
 */
import { GetMetricDataCommand, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { EndpointMetrics } from '../types';
import type { SageMakerContext } from './context';
import { classifyAwsError, InvalidInputError } from './errors';
import { VARIANT_NAME } from './endpoints';

export interface MetricsWindowSettings {
  /** Bucket length in seconds, a multiple of 60. CloudWatch keeps 60-second data for 15 days only. */
  periodSeconds: number;
  /** Whole buckets before the current one that are still left out, because CloudWatch may still be filling them. */
  settlePeriods: number;
}

export const DEFAULT_METRICS_WINDOW: MetricsWindowSettings = { periodSeconds: 60, settlePeriods: 1 };

/**
 * Returns the part of [start, end) that is safe to judge: start rounded up
 * and end rounded down to the period, and end no later than the start of the
 * current bucket minus `settlePeriods` buckets. Returns undefined when
 * nothing is left.
 */
export function alignWindow(start: Date, end: Date, now: Date, window: MetricsWindowSettings): { start: Date; end: Date } | undefined {
  const periodMs = window.periodSeconds * 1000;
  const alignedStart = Math.ceil(start.getTime() / periodMs) * periodMs;
  const latestSettled = Math.floor(now.getTime() / periodMs) * periodMs - window.settlePeriods * periodMs;
  const alignedEnd = Math.min(Math.floor(end.getTime() / periodMs) * periodMs, latestSettled);
  if (alignedEnd <= alignedStart) return undefined;
  return { start: new Date(alignedStart), end: new Date(alignedEnd) };
}

export async function getEndpointMetrics(
  ctx: SageMakerContext,
  window: MetricsWindowSettings,
  name: string,
  start: string,
  end: string,
): Promise<EndpointMetrics> {
  const startDate = parseTime('start', start);
  const endDate = parseTime('end', end);
  const range = alignWindow(startDate, endDate, ctx.clock(), window);
  if (!range) return { invocations: 0, errors: 0 };

  const results = await fetchAll(ctx, name, range, window.periodSeconds);
  // A guard only: GetMetricData should return no bucket outside [StartTime, EndTime), and moto 5.2.5 returns none.
  const values = (id: string) => {
    const result = results.get(id);
    return (result?.Values ?? []).filter((_, i) => {
      const at = result?.Timestamps?.[i];
      return at !== undefined && at.getTime() >= range.start.getTime() && at.getTime() < range.end.getTime();
    });
  };
  const sum = (list: number[]) => list.reduce((total, value) => total + value, 0);

  const invocations = sum(values('invocations'));
  const errors = sum(values('errors'));
  const latencySum = sum(values('latencySum'));
  const latencyCount = sum(values('latencyCount'));
  const latencyMax = values('latencyMax');

  // ModelLatency is reported in microseconds.
  return {
    invocations,
    errors,
    ...(latencyCount > 0 ? { latencyMsAvg: latencySum / latencyCount / 1000 } : {}),
    ...(latencyMax.length > 0 ? { latencyMsMax: Math.max(...latencyMax) / 1000 } : {}),
  };
}

async function fetchAll(
  ctx: SageMakerContext,
  name: string,
  range: { start: Date; end: Date },
  periodSeconds: number,
): Promise<Map<string, MetricDataResult & { Values: number[]; Timestamps: Date[] }>> {
  const query = (id: string, metricName: string, stat: string): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/SageMaker',
        MetricName: metricName,
        Dimensions: [
          { Name: 'EndpointName', Value: name },
          { Name: 'VariantName', Value: VARIANT_NAME },
        ],
      },
      Period: periodSeconds,
      Stat: stat,
    },
    ReturnData: true,
  });
  const queries = [
    query('invocations', 'Invocations', 'Sum'),
    query('errors', 'Invocation5XXErrors', 'Sum'),
    query('latencySum', 'ModelLatency', 'Sum'),
    query('latencyCount', 'ModelLatency', 'SampleCount'),
    query('latencyMax', 'ModelLatency', 'Maximum'),
  ];

  const merged = new Map<string, MetricDataResult & { Values: number[]; Timestamps: Date[] }>();
  let nextToken: string | undefined;
  do {
    let page;
    try {
      page = await ctx.cloudwatch.send(
        new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: range.start, EndTime: range.end, NextToken: nextToken }),
      );
    } catch (err) {
      throw classifyAwsError(err, { operation: 'GetMetricData', resource: `endpoint ${name}` });
    }
    for (const result of page.MetricDataResults ?? []) {
      const id = result.Id as string;
      const entry = merged.get(id) ?? { ...result, Values: [], Timestamps: [] };
      entry.Values.push(...(result.Values ?? []));
      entry.Timestamps.push(...(result.Timestamps ?? []));
      merged.set(id, entry);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return merged;
}

function parseTime(field: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new InvalidInputError(`invalid ${field} time "${value}" for endpoint metrics: expected an ISO-8601 time such as 2026-01-31T12:00:00Z`);
  }
  return date;
}
