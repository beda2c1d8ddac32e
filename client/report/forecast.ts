/**
 * Reconstructs the cumulative spend of a project over time from what its
 * status carries, and fits a straight line to it to forecast the spend at
 * the end of the month. Pure functions without I/O.
 */
import { END_PHASES, type Phase } from '../../domain/constants';
import { formatDuration, roundUsd } from '../../domain/money';
import type { ProjectStatus } from '../../domain/status';

const MS_PER_DAY = 24 * 60 * 60 * 1000;

/** Phases in which no training job or endpoint runs, so the spend does not grow (apart from storage). */
const IDLE_PHASES: readonly Phase[] = ['requirements-review', 'cost-review', 'deployment-review', 'shut-down'];

/**
 * Shortest time the spend points must span before their slope is
 * extrapolated to the month end. A benchmark of a few minutes gives a
 * steep slope that predicts nothing about a month.
 */
export const MIN_TREND_HOURS = 24;

/** One known or reconstructed value of the cumulative spend. */
export interface SpendPoint {
  /** ISO-8601 time. */
  at: string;
  /** Cumulative spend in US dollars at that time. */
  spendUsd: number;
  /** Origin of the figure, such as `benchmark jobs` or `lastMonitoring`. */
  source: string;
}

export interface SpendForecast {
  /** ISO-8601 start of the next calendar month in UTC: the month end the forecast is for. */
  monthEnd: string;
  /** Forecast cumulative spend at `monthEnd`, rounded to cents; undefined when there is no trend to fit. */
  forecastUsd?: number;
  /** Slope of the fitted line in US dollars per day, never negative. */
  slopeUsdPerDay?: number;
  /** Number of spend points the line was fitted to. */
  pointCount: number;
  /** True when the forecast exceeds the budget. */
  overBudget: boolean;
  /** One sentence on how the forecast was computed. */
  method: string;
  /** Limits of the method, one sentence each. */
  limits: string[];
}

/**
 * Lists the cumulative spend points the status supports, oldest first.
 * The series starts at zero when the first benchmarking phase started,
 * because the review phases before it bill nothing. Then come the benchmark
 * jobs' costs when the phase after benchmarking started, each retraining
 * job's cost at its retraining time, and the last monitoring snapshot. It
 * ends with the current spend at `now`, or at the end phase's start when
 * the project has ended.
 * A point lower than an earlier one is raised to it, because spend never
 * decreases.
 */
export function spendSeries(status: ProjectStatus, now: Date): SpendPoint[] {
  const points: SpendPoint[] = [];
  const history = status.phaseHistory;
  const benchmarkIndex = history.findIndex((entry) => entry.phase === 'benchmarking');
  if (benchmarkIndex < 0) {
    return status.spendUsd > 0 ? [{ at: currentTime(status, now), spendUsd: status.spendUsd, source: 'spendUsd' }] : [];
  }
  points.push({ at: history[benchmarkIndex].at, spendUsd: 0, source: 'benchmarking started' });

  let jobsUsd = 0;
  const afterBenchmark = history[benchmarkIndex + 1];
  const benchmarkUsd = status.trainingJobs.filter((job) => job.purpose === 'benchmark').reduce((sum, job) => sum + job.costUsd, 0);
  if (afterBenchmark && benchmarkUsd > 0) {
    jobsUsd += benchmarkUsd;
    points.push({ at: afterBenchmark.at, spendUsd: jobsUsd, source: 'benchmark jobs' });
  }

  for (const retraining of status.retrainings) {
    const job = status.trainingJobs.find((candidate) => candidate.name === retraining.jobName);
    if (!job) continue;
    jobsUsd += job.costUsd;
    points.push({ at: retraining.at, spendUsd: jobsUsd, source: `retraining job ${job.name}` });
  }

  if (status.lastMonitoring) {
    points.push({ at: status.lastMonitoring.at, spendUsd: status.lastMonitoring.spendUsd, source: 'lastMonitoring' });
  }
  points.push({ at: currentTime(status, now), spendUsd: status.spendUsd, source: 'spendUsd' });

  points.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  let highest = 0;
  return points.map((point) => {
    highest = Math.max(highest, point.spendUsd);
    return { ...point, spendUsd: roundUsd(highest) };
  });
}

/** Time the current spend refers to: the start of the end phase for an ended project, else `now`. */
function currentTime(status: ProjectStatus, now: Date): string {
  const last = status.phaseHistory.at(-1);
  if (last && END_PHASES.includes(status.phase)) return last.at;
  return now.toISOString();
}

/** Returns the start of the calendar month after `now`, in UTC. */
export function nextMonthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

/**
 * Forecasts the cumulative spend at the end of the current UTC month: the
 * current spend plus the least-squares slope of `points` (dollars per day)
 * times the days left. A project that ended or waits in a phase where
 * nothing runs keeps its spend. Points spanning less than MIN_TREND_HOURS
 * give no forecast.
 */
export function forecastMonthEnd(status: ProjectStatus, points: SpendPoint[], now: Date): SpendForecast {
  const monthEnd = nextMonthStart(now);
  const daysLeft = (monthEnd.getTime() - now.getTime()) / MS_PER_DAY;
  const limits = [
    'The status keeps only the latest monitoring snapshot, so the spend between the listed points is not known and the line fits few points.',
    'Benchmark job costs are placed when the phase after benchmarking started, and retraining job costs at the retraining decision, not when they were billed.',
    'A linear trend misses steps ahead: a new retraining, an endpoint shut down for idleness or budget, or a change of instance type.',
    "Spend so far is the provider's project spend as the workflow last refreshed it, so costs billed since then are missing.",
  ];
  const base = { monthEnd: monthEnd.toISOString(), pointCount: points.length, limits };

  if (END_PHASES.includes(status.phase)) {
    return {
      ...base,
      forecastUsd: roundUsd(status.spendUsd),
      slopeUsdPerDay: 0,
      overBudget: status.spendUsd > status.budgetUsd,
      method: `The project ended (${status.phase}), so nothing bills any more and the forecast is the spend so far.`,
    };
  }

  if (IDLE_PHASES.includes(status.phase)) {
    return {
      ...base,
      forecastUsd: roundUsd(status.spendUsd),
      slopeUsdPerDay: 0,
      overBudget: status.spendUsd > status.budgetUsd,
      method:
        `No training job or endpoint runs in phase ${status.phase}, so the forecast is the spend so far ` +
        '(storage aside); it grows once the project moves on.',
    };
  }

  const spanMs = points.length > 0 ? Date.parse(points.at(-1)!.at) - Date.parse(points[0].at) : 0;
  if (points.length >= 2 && spanMs < MIN_TREND_HOURS * 3600 * 1000) {
    return {
      ...base,
      overBudget: false,
      method: `No forecast: the spend points span ${formatDuration(spanMs / 1000)}, and a trend needs at least ${MIN_TREND_HOURS} hours of them.`,
    };
  }
  const slope = leastSquaresSlope(points.map((point) => [Date.parse(point.at) / MS_PER_DAY, point.spendUsd]));
  if (slope === undefined) {
    return {
      ...base,
      overBudget: false,
      method: `No forecast: a trend needs at least two spend points at different times, and the status yields ${points.length}.`,
    };
  }
  const slopeUsdPerDay = Math.max(0, slope);
  const forecastUsd = roundUsd(status.spendUsd + slopeUsdPerDay * daysLeft);
  return {
    ...base,
    forecastUsd,
    slopeUsdPerDay,
    overBudget: forecastUsd > status.budgetUsd,
    method:
      `Least-squares line through ${points.length} cumulative spend points since benchmarking started; ` +
      'the forecast is the spend so far plus its slope times the days left in the month (UTC).',
  };
}

/** Returns the least-squares slope of y over x, or undefined for fewer than two distinct x values. */
export function leastSquaresSlope(pairs: [number, number][]): number | undefined {
  if (pairs.length < 2) return undefined;
  const meanX = pairs.reduce((sum, [x]) => sum + x, 0) / pairs.length;
  const meanY = pairs.reduce((sum, [, y]) => sum + y, 0) / pairs.length;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of pairs) {
    sxx += (x - meanX) * (x - meanX);
    sxy += (x - meanX) * (y - meanY);
  }
  return sxx === 0 ? undefined : sxy / sxx;
}
