/**
 * Cost Explorer reader of the SageMaker provider: the spend AWS reports for
 * a project's cost-allocation tag, its reconciliation with the spend this
 * product meters, and the forecast for the rest of the month.
 *
 * Caps are enforced from metered spend only, because Cost Explorer lags by
 * up to a day. AWS charges $0.01 for each Cost Explorer API request (AWS Cost
 * Explorer pricing page), so the reader counts its requests per UTC day and
 * stops at `maxCallsPerDay`.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  CostExplorerClient,
  GetCostAndUsageCommand,
  GetCostForecastCommand,
  ListCostAllocationTagsCommand,
  type Expression,
  type GetCostAndUsageCommandInput,
  type Metric,
  type MetricValue,
} from '@aws-sdk/client-cost-explorer';
import pino from 'pino';
import { TAG_KEYS } from '../../../domain/constants';
import { awsClientConfig, type AwsClientOptions } from './clients';
import type { ProviderLogger } from './context';
import { awsErrorMessage, awsErrorName, classifyAwsError, InvalidInputError } from './errors';
import { costExplorerSettingsSchema, type COST_EXPLORER_METRICS } from './settings';

// ---------------------------------------------------------------------------
// Settings, client and result types
// ---------------------------------------------------------------------------

/** Cost Explorer metric in GetCostAndUsage spelling, such as 'UnblendedCost'. */
export type CostMetric = (typeof COST_EXPLORER_METRICS)[number];

/** The `sagemaker.costExplorer` settings section. */
export interface CostExplorerSettings {
  /** Metric of every amount the reader returns. Reports show it next to the amounts. */
  metric: CostMetric;
  /** Cost Explorer requests allowed per UTC day, counted across every reader that shares the call log file. */
  maxCallsPerDay: number;
  /** Hours between two reconciliations, read by the scheduler that calls `reconcile` and not by the reader. */
  reconcileIntervalHours: number;
}

export const DEFAULT_COST_EXPLORER_SETTINGS: CostExplorerSettings = costExplorerSettingsSchema.parse({});

/** Cost Explorer is a global service whose API endpoint is in us-east-1 for the aws partition. */
export const COST_EXPLORER_REGION = 'us-east-1';

/** GetCostForecast spells the metrics in upper snake case. */
const FORECAST_METRICS: Record<CostMetric, Metric> = {
  UnblendedCost: 'UNBLENDED_COST',
  AmortizedCost: 'AMORTIZED_COST',
  BlendedCost: 'BLENDED_COST',
  NetUnblendedCost: 'NET_UNBLENDED_COST',
  NetAmortizedCost: 'NET_AMORTIZED_COST',
};

/** Confidence of the forecast's lower and upper bounds, in percent. */
export const FORECAST_PREDICTION_INTERVAL_LEVEL = 80;

/** How long the reader reuses a ListCostAllocationTags result, which costs a request like any other call. */
const TAG_STATUS_TTL_MS = 24 * 3600_000;

/**
 * Builds the Cost Explorer client for us-east-1 whatever the project's
 * region. Credentials come from the SDK's standard chain, and the endpoint
 * from `endpoint`, else from AWS_ENDPOINT_URL_COST_EXPLORER or
 * AWS_ENDPOINT_URL as the SDK reads them. It makes one attempt per request
 * unless `maxAttempts` sets another count, so `maxCallsPerDay` is a hard limit:
 * a failed check is tried again at the next reconciliation.
 */
export function createCostExplorerClient(options: Omit<AwsClientOptions, 'region'> = {}): CostExplorerClient {
  return new CostExplorerClient(awsClientConfig({ maxAttempts: 1, ...options, region: COST_EXPLORER_REGION }));
}

/** Cost Explorer's DateInterval: UTC dates as YYYY-MM-DD, `start` included and `end` excluded. */
export interface CostPeriod {
  start: string;
  end: string;
}

/** Whether Cost Explorer can attribute spend to the project tag key. */
export interface CostAllocationTagState {
  key: string;
  /**
   * 'active' when ListCostAllocationTags lists the key as Active or Cost
   * Explorer reported spend under it. 'inactive' when the key is listed as
   * Inactive or not listed at all, or when grouped spend sits under the
   * empty tag value. 'unknown' when the status could not be read.
   */
  status: 'active' | 'inactive' | 'unknown';
  /** Last activation time (ListCostAllocationTags LastUpdatedDate), when the status was read. */
  activatedAt?: string;
  /** Explanation of an inactive or unknown status, with the action that fixes it. */
  message?: string;
}

export interface ProjectCosts {
  projectId: string;
  metric: CostMetric;
  period: CostPeriod;
  /** Spend over the period in USD. Undefined when the tag is not active and Cost Explorer reports nothing under it, because $0 would then be a guess. */
  totalUsd: number | undefined;
  /** Spend by usage type (such as USE1-Train:ml.m5.xlarge) in USD. */
  byUsageTypeUsd: Record<string, number>;
  /** True when Cost Explorer marks any day of the period as estimated, so its figures may still change. */
  estimated: boolean;
  tag: CostAllocationTagState;
}

export interface CostReconciliation {
  projectId: string;
  metric: CostMetric;
  period: CostPeriod;
  meteredUsd: number;
  /** Spend Cost Explorer reports, or undefined when the tag is not active and nothing is reported. */
  reportedUsd: number | undefined;
  /** Reported minus metered spend, in USD. */
  differenceUsd: number | undefined;
  /** Reported minus metered spend, in percent of metered spend. Undefined when nothing was metered. */
  differencePercent: number | undefined;
  byUsageTypeUsd: Record<string, number>;
  estimated: boolean;
  tag: CostAllocationTagState;
  /** Sentences to show beside the figures: tag status, data lag, whole-day periods. */
  notes: string[];
}

export interface CostForecast {
  projectId: string;
  metric: CostMetric;
  /** From today (UTC) to the first day of next month. */
  period: CostPeriod;
  /** Forecast spend from today to the end of the month, in USD. Month-end spend is month-to-date spend plus this. */
  restOfMonthUsd: number;
  lowerBoundUsd?: number;
  upperBoundUsd?: number;
  /** Confidence of the bounds, in percent. */
  predictionIntervalLevel: number;
}

/** A forecast, or the reason there is none. */
export type CostForecastResult = { forecast: CostForecast; reason?: undefined } | { forecast: undefined; reason: string };

export interface CostExplorerReader {
  /**
   * Reads the project's spend from GetCostAndUsage, filtered by its
   * cost-allocation tag, grouped by usage type, by whole UTC days: from the
   * day of `since` up to and including the day of `until`. When Cost Explorer
   * reports nothing, reads the tag status to tell an inactive tag from a
   * project that spent nothing.
   */
  projectCosts(projectId: string, since: Date | string, until: Date | string): Promise<ProjectCosts>;
  /** Compares metered spend since `since` with the spend Cost Explorer reports up to now. */
  reconcile(projectId: string, meteredUsd: number, since: Date | string): Promise<CostReconciliation>;
  /** Forecasts the project's spend from the UTC day of `now` to the end of that month. */
  forecast(projectId: string, now: Date | string): Promise<CostForecastResult>;
  /** Cost Explorer requests counted so far on the current UTC day. */
  callsToday(): Promise<number>;
}

export interface CostExplorerReaderOptions {
  /** A client for us-east-1, such as `createCostExplorerClient()` returns. */
  client: CostExplorerClient;
  settings: CostExplorerSettings;
  /** JSON file that counts requests per UTC day, so the count survives a restart. Several processes may share it. Counts stay in memory when omitted. */
  callLogPath?: string;
  /** Time source for the UTC day of the call count. */
  clock?: () => Date;
  /** Defaults to a pino logger on stderr named `cost-explorer`. */
  logger?: ProviderLogger;
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/**
 * The reader did not send a request because today's (UTC) request budget is
 * used. Retrying before 00:00 UTC fails the same way, so callers show the
 * message instead of retrying.
 */
export class CostExplorerCallBudgetExceededError extends Error {
  override readonly name = 'CostExplorerCallBudgetExceeded';

  constructor(
    readonly operation: string,
    readonly day: string,
    readonly callsToday: number,
    readonly maxCallsPerDay: number,
  ) {
    super(
      `Cost Explorer ${operation} was not sent: ${callsToday} of the ${maxCallsPerDay} requests allowed on ${day} (UTC) are used, ` +
        'and AWS charges $0.01 for each. The count starts again at 00:00 UTC. Raise sagemaker.costExplorer.maxCallsPerDay to allow more.',
    );
  }
}

/** The worker's AWS identity lacks the IAM permission `action`. Retrying cannot succeed until a policy grants it. */
export class CostExplorerAccessDeniedError extends Error {
  override readonly name = 'AccessDenied';

  constructor(
    readonly action: string,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

const ACCESS_DENIED_NAMES = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);

/**
 * Maps a Cost Explorer SDK error. Access denied names the missing IAM
 * action, and a request Cost Explorer rejects becomes `InvalidInput`. Other
 * errors go through `classifyAwsError`, which turns throttling
 * (LimitExceededException in Cost Explorer) into the retryable `Throttled`.
 */
function classifyCostExplorerError(err: unknown, operation: string, projectId: string): Error {
  const name = awsErrorName(err);
  const message = awsErrorMessage(err);
  if (name !== undefined && ACCESS_DENIED_NAMES.has(name)) {
    const action = `ce:${operation}`;
    return new CostExplorerAccessDeniedError(
      action,
      `Cost Explorer ${operation} for project ${projectId} was denied (${message}): allow the IAM action ${action} for the worker's role or user.`,
      { cause: err },
    );
  }
  if (name === 'ValidationException' || name === 'BillExpirationException') {
    return new InvalidInputError(`Cost Explorer rejected ${operation} for project ${projectId}: ${message}`, { cause: err });
  }
  return classifyAwsError(err, { operation, resource: `project ${projectId}` });
}

// ---------------------------------------------------------------------------
// Request count per UTC day
// ---------------------------------------------------------------------------

interface CallCount {
  day: string;
  calls: number;
}

interface CallCounter {
  /** Counts one request on `day` unless `max` requests are already counted. Returns the count before this request. */
  reserve(day: string, max: number): Promise<{ reserved: boolean; callsBefore: number }>;
  /** Adds requests that were sent beyond the reserved one, such as the SDK's retries. */
  add(day: string, calls: number): Promise<void>;
  read(day: string): Promise<number>;
}

class MemoryCallCounter implements CallCounter {
  private count: CallCount = { day: '', calls: 0 };

  async reserve(day: string, max: number) {
    const callsBefore = await this.read(day);
    if (callsBefore >= max) return { reserved: false, callsBefore };
    this.count = { day, calls: callsBefore + 1 };
    return { reserved: true, callsBefore };
  }

  async add(day: string, calls: number) {
    this.count = { day, calls: (await this.read(day)) + calls };
  }

  async read(day: string) {
    return this.count.day === day ? this.count.calls : 0;
  }
}

/** Time a process may wait for another one to release the call log lock. */
const LOCK_TIMEOUT_MS = 10_000;
/** Age after which a lock file counts as left behind by a crashed process. A holder keeps it for one read and one write. */
const LOCK_STALE_MS = 30_000;

/**
 * Request counts in a JSON file such as {"day":"2026-03-01","calls":3}.
 * Each update holds a lock file (created exclusively) while it reads, then
 * writes a temporary file and renames it over the log, so that processes
 * sharing the file neither lose counts nor read a half-written file.
 */
class FileCallCounter implements CallCounter {
  private readonly lockPath: string;

  constructor(private readonly filePath: string) {
    this.lockPath = `${filePath}.lock`;
  }

  reserve(day: string, max: number) {
    return this.withLock(async () => {
      const callsBefore = await this.read(day);
      if (callsBefore >= max) return { reserved: false, callsBefore };
      await this.write({ day, calls: callsBefore + 1 });
      return { reserved: true, callsBefore };
    });
  }

  add(day: string, calls: number) {
    return this.withLock(async () => this.write({ day, calls: (await this.read(day)) + calls }));
  }

  async read(day: string): Promise<number> {
    let text: string;
    try {
      text = await fs.readFile(this.filePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    const count = parseCallCount(text);
    if (!count) {
      throw new Error(
        `invalid Cost Explorer call log ${this.filePath}: expected JSON such as {"day":"2026-03-01","calls":3}, found ${JSON.stringify(text.slice(0, 80))}. ` +
          'Delete the file to count from zero.',
      );
    }
    return count.day === day ? count.calls : 0;
  }

  private async write(count: CallCount): Promise<void> {
    const temporary = `${this.filePath}.${process.pid}.${randomUUID()}.tmp`;
    await fs.writeFile(temporary, `${JSON.stringify(count)}\n`);
    await fs.rename(temporary, this.filePath);
  }

  private async withLock<T>(action: () => Promise<T>): Promise<T> {
    await fs.mkdir(path.dirname(this.filePath), { recursive: true });
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    for (;;) {
      try {
        await (await fs.open(this.lockPath, 'wx')).close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      await this.removeStaleLock();
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${LOCK_TIMEOUT_MS} ms waiting for the lock ${this.lockPath} of the Cost Explorer call log: ` +
            'delete the lock file if no worker is running',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 10));
    }
    try {
      return await action();
    } finally {
      await fs.rm(this.lockPath, { force: true });
    }
  }

  private async removeStaleLock(): Promise<void> {
    try {
      const { mtimeMs } = await fs.stat(this.lockPath);
      // NOTE: two waiters may both find the lock stale, and the second removal could then drop a fresh lock.
      // That needs a holder to stall for 30 s first.
      if (Date.now() - mtimeMs > LOCK_STALE_MS) await fs.rm(this.lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

function parseCallCount(text: string): CallCount | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { day, calls } = (value ?? {}) as Partial<CallCount>;
  if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  if (typeof calls !== 'number' || !Number.isInteger(calls) || calls < 0) return undefined;
  return { day, calls };
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

const DAY_MS = 24 * 3600_000;

/** Returns the UTC date of `at` as YYYY-MM-DD. */
function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function startOfUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

function parseTime(field: string, value: Date | string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new InvalidInputError(`invalid ${field} time ${JSON.stringify(String(value))} for Cost Explorer: expected an ISO-8601 time such as 2026-03-01T00:00:00Z`);
  }
  return date;
}

/**
 * Returns the whole UTC days that cover [since, until). The period runs from
 * the start of the day of `since` to the end of the day of `until`, or to
 * `until` itself when it is midnight. It ends no later than the end of
 * today, because Cost Explorer has no spend for later days.
 */
function coveringPeriod(since: Date, until: Date, now: Date): CostPeriod {
  const start = startOfUtcDay(since);
  const untilDay = startOfUtcDay(until);
  const end = untilDay.getTime() === until.getTime() ? untilDay : new Date(untilDay.getTime() + DAY_MS);
  const latestEnd = new Date(startOfUtcDay(now).getTime() + DAY_MS);
  const clampedEnd = end > latestEnd ? latestEnd : end;
  if (clampedEnd <= start) {
    throw new InvalidInputError(
      `invalid Cost Explorer period from ${since.toISOString()} to ${until.toISOString()}: since must be before until, and not after today (${utcDay(now)} UTC)`,
    );
  }
  return { start: utcDay(start), end: utcDay(clampedEnd) };
}

// ---------------------------------------------------------------------------
// The reader
// ---------------------------------------------------------------------------

/** Figures of GetCostAndUsage before the tag status is applied. */
interface ReportedSpend {
  period: CostPeriod;
  sumUsd: number;
  byUsageTypeUsd: Record<string, number>;
  /** Number of (day, usage type) rows. Zero when Cost Explorer reports nothing under the tag. */
  rows: number;
  estimated: boolean;
}

export function createCostExplorerReader(options: CostExplorerReaderOptions): CostExplorerReader {
  const { client, settings } = options;
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger ?? pino({ name: 'cost-explorer' }, pino.destination(2));
  const counter: CallCounter = options.callLogPath ? new FileCallCounter(options.callLogPath) : new MemoryCallCounter();
  const tagKey = TAG_KEYS.project;
  let tagStatusCache: { state: CostAllocationTagState; readAt: number } | undefined;

  /** Sends one request through `call` if today's budget allows it, and counts every HTTP attempt the SDK made for it. */
  async function sendCounted<T extends { $metadata?: { attempts?: number } }>(operation: string, projectId: string, call: () => Promise<T>): Promise<T> {
    const day = utcDay(clock());
    const { reserved, callsBefore } = await counter.reserve(day, settings.maxCallsPerDay);
    if (!reserved) {
      throw new CostExplorerCallBudgetExceededError(operation, day, callsBefore, settings.maxCallsPerDay);
    }
    logger.info({ operation, projectId, call: callsBefore + 1, maxCallsPerDay: settings.maxCallsPerDay }, 'sending Cost Explorer request');

    // NOTE: every retried attempt counts as a charged request. AWS may not bill throttled ones, so the count can run high.
    const countRetries = async (attempts: number | undefined) => {
      if (attempts !== undefined && attempts > 1) await counter.add(day, attempts - 1);
    };
    try {
      const response = await call();
      await countRetries(response.$metadata?.attempts);
      return response;
    } catch (err) {
      await countRetries((err as { $metadata?: { attempts?: number } }).$metadata?.attempts);
      throw classifyCostExplorerError(err, operation, projectId);
    }
  }

  function tagFilter(projectId: string): Expression {
    return { Tags: { Key: tagKey, Values: [projectId], MatchOptions: ['EQUALS'] } };
  }

  function amountUsd(value: MetricValue | undefined, what: string): number {
    if (!value?.Amount) return 0;
    if (value.Unit !== undefined && value.Unit !== 'USD') {
      throw new Error(`Cost Explorer returned ${what} in ${value.Unit}; this reader compares USD amounts only`);
    }
    const amount = Number(value.Amount);
    if (!Number.isFinite(amount)) throw new Error(`Cost Explorer returned the amount ${JSON.stringify(value.Amount)} for ${what}, which is not a number`);
    return amount;
  }

  async function readReportedSpend(projectId: string, since: Date | string, until: Date | string): Promise<ReportedSpend> {
    if (!projectId) throw new InvalidInputError('missing project id for Cost Explorer: pass the id the project tag carries');
    const period = coveringPeriod(parseTime('since', since), parseTime('until', until), clock());
    const input: GetCostAndUsageCommandInput = {
      TimePeriod: { Start: period.start, End: period.end },
      Granularity: 'DAILY',
      Metrics: [settings.metric],
      Filter: tagFilter(projectId),
      GroupBy: [{ Type: 'DIMENSION', Key: 'USAGE_TYPE' }],
    };

    const byUsageTypeUsd: Record<string, number> = {};
    let sumUsd = 0;
    let rows = 0;
    let estimated = false;
    let nextPageToken: string | undefined;
    do {
      const page = await sendCounted('GetCostAndUsage', projectId, () =>
        client.send(new GetCostAndUsageCommand({ ...input, ...(nextPageToken ? { NextPageToken: nextPageToken } : {}) })),
      );
      // With GroupBy, Cost Explorer leaves each day's Total empty and puts the amounts in Groups.
      for (const day of page.ResultsByTime ?? []) {
        if (day.Estimated) estimated = true;
        for (const group of day.Groups ?? []) {
          const usageType = group.Keys?.[0] ?? 'unknown';
          const amount = amountUsd(group.Metrics?.[settings.metric], `${settings.metric} of ${usageType} on ${day.TimePeriod?.Start ?? 'an unnamed day'}`);
          byUsageTypeUsd[usageType] = (byUsageTypeUsd[usageType] ?? 0) + amount;
          sumUsd += amount;
          rows += 1;
        }
      }
      nextPageToken = page.NextPageToken;
    } while (nextPageToken);

    return { period, sumUsd, byUsageTypeUsd, rows, estimated };
  }

  /** Reads the project tag key's status with ListCostAllocationTags, reusing a result younger than a day. */
  async function readTagStatus(projectId: string): Promise<CostAllocationTagState> {
    const now = clock().getTime();
    if (tagStatusCache && now - tagStatusCache.readAt < TAG_STATUS_TTL_MS) return tagStatusCache.state;

    let response;
    try {
      response = await sendCounted('ListCostAllocationTags', projectId, () =>
        client.send(new ListCostAllocationTagsCommand({ TagKeys: [tagKey], Type: 'UserDefined' })),
      );
    } catch (err) {
      // The spend figures are already read, so a failed status read (missing permission, used-up budget, an endpoint
      // without this call such as an emulator) leaves the status unknown instead of failing the read. Throttling is retried.
      if ((err as Error).name !== 'Throttled') {
        logger.warn({ projectId, tagKey, err }, 'could not read the cost-allocation tag status');
        const state: CostAllocationTagState = {
          key: tagKey,
          status: 'unknown',
          message: `could not check whether tag ${tagKey} is active for cost allocation: ${(err as Error).message}`,
        };
        // A missing permission stays missing, so the result is kept for a day. A used-up budget is not kept, because the budget check runs first anyway.
        if (err instanceof CostExplorerAccessDeniedError) tagStatusCache = { state, readAt: now };
        return state;
      }
      throw err;
    }

    const entry = response.CostAllocationTags?.find((tag) => tag.TagKey === tagKey);
    let state: CostAllocationTagState;
    if (entry?.Status === 'Active') {
      state = { key: tagKey, status: 'active', ...(entry.LastUpdatedDate ? { activatedAt: entry.LastUpdatedDate } : {}) };
    } else if (entry) {
      state = {
        key: tagKey,
        status: 'inactive',
        message:
          `tag ${tagKey} is not active for cost allocation: activate it in Billing > Cost allocation tags. ` +
          'Cost Explorer shows spend from activation on.',
      };
    } else {
      state = {
        key: tagKey,
        status: 'inactive',
        message:
          `tag ${tagKey} is not listed among the account's cost allocation tags, because AWS lists a key only after a billed resource carried it. ` +
          'Once it is listed, activate it in Billing > Cost allocation tags. Cost Explorer shows spend from activation on.',
      };
    }
    if (state.status === 'inactive') logger.warn({ projectId, tagKey }, state.message ?? 'cost-allocation tag is not active');
    tagStatusCache = { state, readAt: now };
    return state;
  }

  /** Reads the tag's status from ListCostAllocationTags, and from the spend grouped by the tag when that call gave no status. */
  async function tagStatusFor(projectId: string, period: CostPeriod): Promise<CostAllocationTagState> {
    const listed = await readTagStatus(projectId);
    if (listed.status !== 'unknown') return listed;
    const grouped = await tagStatusFromGroups(projectId, period);
    if (!grouped) return listed;
    if (grouped.status === 'inactive') logger.warn({ projectId, tagKey }, grouped.message ?? 'cost-allocation tag is not active');
    return grouped;
  }

  /** Combines reported spend with a tag status. Without a status read, spend reported under the tag shows that it is active. */
  function toProjectCosts(projectId: string, spend: ReportedSpend, tag: CostAllocationTagState | undefined): ProjectCosts {
    const activeTag: CostAllocationTagState = tagStatusCache?.state.status === 'active' ? tagStatusCache.state : { key: tagKey, status: 'active' };
    const state = tag ?? (spend.rows > 0 ? activeTag : { key: tagKey, status: 'unknown' as const });
    return {
      projectId,
      metric: settings.metric,
      period: spend.period,
      totalUsd: state.status === 'inactive' && spend.rows === 0 ? undefined : spend.sumUsd,
      byUsageTypeUsd: spend.byUsageTypeUsd,
      estimated: spend.estimated,
      tag: state,
    };
  }

  /**
   * Reads the tag's status from how Cost Explorer groups SageMaker spend by
   * the tag key: spend of resources whose tag is not active (or missing)
   * lands under the empty value, shown as the key `mlops:project$`. Used
   * when ListCostAllocationTags gave no status. Returns undefined when the
   * grouped spend shows neither case.
   */
  async function tagStatusFromGroups(projectId: string, period: CostPeriod): Promise<CostAllocationTagState | undefined> {
    let response;
    try {
      response = await sendCounted('GetCostAndUsage', projectId, () =>
        client.send(
          new GetCostAndUsageCommand({
            TimePeriod: { Start: period.start, End: period.end },
            Granularity: 'MONTHLY',
            Metrics: [settings.metric],
            Filter: { Dimensions: { Key: 'SERVICE', Values: ['Amazon SageMaker'] } },
            GroupBy: [{ Type: 'TAG', Key: tagKey }],
          }),
        ),
      );
    } catch (err) {
      if ((err as Error).name === 'Throttled') throw err;
      logger.warn({ projectId, tagKey, err }, 'could not group SageMaker spend by the project tag');
      return undefined;
    }
    const keys = new Map<string, number>();
    for (const result of response.ResultsByTime ?? []) {
      for (const group of result.Groups ?? []) {
        const key = group.Keys?.[0] ?? '';
        keys.set(key, (keys.get(key) ?? 0) + amountUsd(group.Metrics?.[settings.metric], `${settings.metric} of ${key}`));
      }
    }
    if (keys.has(`${tagKey}$${projectId}`)) return { key: tagKey, status: 'active' };
    const untaggedUsd = keys.get(`${tagKey}$`) ?? 0;
    if (untaggedUsd > 0) {
      return {
        key: tagKey,
        status: 'inactive',
        message:
          `Cost Explorer puts ${untaggedUsd.toFixed(2)} USD of SageMaker spend under ${tagKey}$ (no value), so tag ${tagKey} is not active for cost allocation ` +
          'or the resources lack it: activate it in Billing > Cost allocation tags. Cost Explorer shows spend from activation on.',
      };
    }
    return undefined;
  }

  async function projectCosts(projectId: string, since: Date | string, until: Date | string): Promise<ProjectCosts> {
    const spend = await readReportedSpend(projectId, since, until);
    const tag = spend.rows === 0 ? await tagStatusFor(projectId, spend.period) : undefined;
    return toProjectCosts(projectId, spend, tag);
  }

  async function reconcile(projectId: string, meteredUsd: number, since: Date | string): Promise<CostReconciliation> {
    if (!Number.isFinite(meteredUsd) || meteredUsd < 0) {
      throw new InvalidInputError(`invalid metered spend ${meteredUsd} USD for project ${projectId}: expected a finite amount of 0 or more`);
    }
    const now = clock();
    const sinceTime = parseTime('since', since);
    const spend = await readReportedSpend(projectId, sinceTime, now);
    // Less spend than metered is also what a tag activated after `since` looks like, so the status is read then too (at most once a day).
    const tag = spend.rows === 0 || spend.sumUsd < meteredUsd ? await tagStatusFor(projectId, spend.period) : undefined;
    const costs = toProjectCosts(projectId, spend, tag);

    const notes: string[] = [];
    if (costs.tag.message) notes.push(costs.tag.message);
    if (costs.tag.status === 'unknown' && spend.rows === 0 && meteredUsd > 0) {
      notes.push(`Cost Explorer reports no spend under tag ${tagKey}=${projectId}, so the reported $0 may come from an inactive tag rather than from no spend`);
    }
    if (costs.tag.activatedAt && costs.tag.activatedAt.slice(0, 10) > costs.period.start) {
      notes.push(
        `tag ${tagKey} was activated on ${costs.tag.activatedAt}, after the period start ${costs.period.start}: ` +
          'Cost Explorer has no tagged spend before activation unless a cost allocation tag backfill was requested',
      );
    }
    notes.push(
      'Cost Explorer data lags by up to 24 hours' +
        (costs.estimated ? ' and some days are still marked estimated' : '') +
        ', so reported spend below metered spend for the last day is normal',
    );
    if (startOfUtcDay(sinceTime).getTime() !== sinceTime.getTime()) {
      notes.push(`Cost Explorer reports whole UTC days, so the reported spend also includes spend on ${costs.period.start} before ${sinceTime.toISOString()}`);
    }

    const differenceUsd = costs.totalUsd === undefined ? undefined : costs.totalUsd - meteredUsd;
    return {
      projectId,
      metric: costs.metric,
      period: costs.period,
      meteredUsd,
      reportedUsd: costs.totalUsd,
      differenceUsd,
      differencePercent: differenceUsd === undefined || meteredUsd === 0 ? undefined : (differenceUsd / meteredUsd) * 100,
      byUsageTypeUsd: costs.byUsageTypeUsd,
      estimated: costs.estimated,
      tag: costs.tag,
      notes,
    };
  }

  async function forecast(projectId: string, now: Date | string): Promise<CostForecastResult> {
    if (!projectId) throw new InvalidInputError('missing project id for the Cost Explorer forecast: pass the id the project tag carries');
    const today = startOfUtcDay(parseTime('now', now));
    const nextMonth = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1));
    const period = { start: utcDay(today), end: utcDay(nextMonth) };
    if (nextMonth.getTime() - today.getTime() <= DAY_MS) {
      return { forecast: undefined, reason: `the month ends today (${period.start} UTC), so month-end spend is month-to-date spend and no forecast was requested` };
    }

    let response;
    try {
      response = await sendCounted('GetCostForecast', projectId, () =>
        client.send(
          new GetCostForecastCommand({
            TimePeriod: { Start: period.start, End: period.end },
            Metric: FORECAST_METRICS[settings.metric],
            Granularity: 'MONTHLY',
            Filter: tagFilter(projectId),
            PredictionIntervalLevel: FORECAST_PREDICTION_INTERVAL_LEVEL,
          }),
        ),
      );
    } catch (err) {
      if (awsErrorName(err) !== 'DataUnavailableException') throw err;
      logger.info({ projectId, tagKey }, 'Cost Explorer has too little data to forecast');
      return {
        forecast: undefined,
        reason:
          `Cost Explorer has too little spend history under tag ${tagKey}=${projectId} to forecast (${awsErrorMessage(err)}). ` +
          'A tag that is not active for cost allocation has no history either.',
      };
    }

    if (!response.Total?.Amount) {
      return { forecast: undefined, reason: `Cost Explorer returned no forecast total for tag ${tagKey}=${projectId}` };
    }
    const restOfMonthUsd = amountUsd(response.Total, 'the forecast total');
    const bound = (field: 'PredictionIntervalLowerBound' | 'PredictionIntervalUpperBound') => {
      const values = (response.ForecastResultsByTime ?? []).map((result) => result[field]);
      if (values.length === 0 || values.some((value) => value === undefined)) return undefined;
      return values.reduce((total, value) => total + amountUsd({ Amount: value, Unit: response.Total?.Unit }, `the forecast ${field}`), 0);
    };
    const lowerBoundUsd = bound('PredictionIntervalLowerBound');
    const upperBoundUsd = bound('PredictionIntervalUpperBound');
    return {
      forecast: {
        projectId,
        metric: settings.metric,
        period,
        restOfMonthUsd,
        ...(lowerBoundUsd !== undefined ? { lowerBoundUsd } : {}),
        ...(upperBoundUsd !== undefined ? { upperBoundUsd } : {}),
        predictionIntervalLevel: FORECAST_PREDICTION_INTERVAL_LEVEL,
      },
    };
  }

  return {
    projectCosts,
    reconcile,
    forecast,
    callsToday: () => counter.read(utcDay(clock())),
  };
}
