/**
 * Cost Explorer reader of the SageMaker provider.
 *
 * GetCostAndUsage runs through the real SDK client against moto, whose
 * results a test queues with POST /moto-api/static/ce/cost-and-usage-results.
 * moto 5.2.5 returns the next queued result for each request body it has not
 * seen before and checks neither filter nor grouping, so the tests also
 * record each signed request on its way out. moto has no GetCostForecast or
 * ListCostAllocationTags and never throttles or denies access: those cases
 * run through an in-process fake client, and throttling through the real SDK
 * client against a small HTTP server on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import type { HttpRequest } from '@smithy/types';
import {
  COST_EXPLORER_REGION,
  CostExplorerCallBudgetExceededError,
  createCostExplorerClient,
  createCostExplorerReader,
  DEFAULT_COST_EXPLORER_SETTINGS,
  type CostExplorerSettings,
} from '../../../../activities/provider/sagemaker/costs';
import { parseSageMakerSettings } from '../../../../activities/provider/sagemaker';
import { TAG_KEYS } from '../../../../domain/constants';
import { allowLocalhostOnly, useMoto, useMotoEnvironment } from '../../../support/moto';
import { silentLogger } from './fixtures';

const NOW = new Date('2026-03-10T15:00:00Z');
const SINCE = '2026-03-08T00:00:00Z';
const INACTIVE_MESSAGE = 'tag mlops:project is not active for cost allocation: activate it in Billing > Cost allocation tags';

function settingsWith(overrides: Partial<CostExplorerSettings> = {}): CostExplorerSettings {
  return { ...DEFAULT_COST_EXPLORER_SETTINGS, ...overrides };
}

/** Builds one GetCostAndUsage group: a usage type with its unblended and amortized cost in USD. */
function group(usageType: string, unblendedUsd: number, amortizedUsd = unblendedUsd) {
  return {
    Keys: [usageType],
    Metrics: {
      UnblendedCost: { Amount: String(unblendedUsd), Unit: 'USD' },
      AmortizedCost: { Amount: String(amortizedUsd), Unit: 'USD' },
    },
  };
}

function day(date: string, groups: ReturnType<typeof group>[], estimated = false) {
  const end = new Date(Date.parse(`${date}T00:00:00Z`) + 24 * 3600_000).toISOString().slice(0, 10);
  return { TimePeriod: { Start: date, End: end }, Total: {}, Groups: groups, Estimated: estimated };
}

// ---------------------------------------------------------------------------
// Real SDK client against moto
// ---------------------------------------------------------------------------

interface RecordedRequest {
  host: string;
  target: string;
  authorization: string;
  body: Record<string, unknown>;
}

function header(request: HttpRequest, name: string): string {
  const entry = Object.entries(request.headers).find(([key]) => key.toLowerCase() === name);
  return entry?.[1] ?? '';
}

/** Records every request `client` sends, after it is signed. */
function recordRequests(client: CostExplorerClient): RecordedRequest[] {
  const requests: RecordedRequest[] = [];
  const record = (next: (args: { request: unknown }) => Promise<unknown>) => async (args: { request: unknown }) => {
    const request = args.request as HttpRequest;
    requests.push({
      host: request.hostname,
      target: header(request, 'x-amz-target'),
      authorization: header(request, 'authorization'),
      body: JSON.parse(String(request.body)) as Record<string, unknown>,
    });
    return next(args);
  };
  (client.middlewareStack as unknown as { addRelativeTo(middleware: unknown, options: object): void }).addRelativeTo(record, {
    relation: 'after',
    toMiddleware: 'httpSigningMiddleware',
    name: 'recordRequests',
  });
  return requests;
}

describe('GetCostAndUsage against moto', () => {
  const moto = useMoto();

  async function queueCostResults(results: object[]): Promise<void> {
    const response = await fetch(`${moto.url}/moto-api/static/ce/cost-and-usage-results`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ results }),
    });
    expect(response.status).toBe(201);
  }

  /** Builds a reader whose client finds moto through AWS_ENDPOINT_URL, as a worker's client finds a configured endpoint. */
  function motoReader(overrides: Partial<CostExplorerSettings> = {}) {
    useMotoEnvironment(moto.url);
    const client = allowLocalhostOnly(createCostExplorerClient({ maxAttempts: 1 }));
    const requests = recordRequests(client);
    const reader = createCostExplorerReader({ client, settings: settingsWith(overrides), logger: silentLogger, clock: () => NOW });
    return { reader, client, requests };
  }

  test('costs sum daily groups across pages', async () => {
    await queueCostResults([
      {
        ResultsByTime: [day('2026-03-08', [group('USE1-Train:ml.m5.xlarge', 1.25), group('USE1-Host:ml.m5.large', 0.5)]), day('2026-03-09', [group('USE1-Train:ml.m5.xlarge', 2)])],
        NextPageToken: 'page-2',
      },
      { ResultsByTime: [day('2026-03-10', [group('USE1-Host:ml.m5.large', 0.75)], true)] },
    ]);
    const { reader, requests } = motoReader();

    const costs = await reader.projectCosts('churn', SINCE, NOW);

    expect(costs.totalUsd).toBeCloseTo(4.5, 10);
    expect(costs.byUsageTypeUsd['USE1-Train:ml.m5.xlarge']).toBeCloseTo(3.25, 10);
    expect(costs.byUsageTypeUsd['USE1-Host:ml.m5.large']).toBeCloseTo(1.25, 10);
    expect(Object.keys(costs.byUsageTypeUsd)).toHaveLength(2);
    expect(costs.estimated).toBe(true);
    expect(costs.metric).toBe('UnblendedCost');
    expect(costs.period).toEqual({ start: '2026-03-08', end: '2026-03-11' });
    expect(costs.tag).toEqual({ key: TAG_KEYS.project, status: 'active' });
    expect(requests).toHaveLength(2);
    expect(requests[0].body.NextPageToken).toBeUndefined();
    expect(requests[1].body.NextPageToken).toBe('page-2');
    expect(await reader.callsToday()).toBe(2);
  });

  test('request filters by project tag', async () => {
    await queueCostResults([{ ResultsByTime: [day('2026-03-09', [group('USE1-Train:ml.m5.xlarge', 2, 0.25)])] }]);
    const { reader, requests } = motoReader({ metric: 'AmortizedCost' });

    const costs = await reader.projectCosts('churn', SINCE, NOW);

    expect(requests).toHaveLength(1);
    expect(requests[0].host).toBe('127.0.0.1');
    expect(requests[0].target).toBe('AWSInsightsIndexService.GetCostAndUsage');
    expect(requests[0].body).toEqual({
      TimePeriod: { Start: '2026-03-08', End: '2026-03-11' },
      Granularity: 'DAILY',
      Metrics: ['AmortizedCost'],
      Filter: { Tags: { Key: TAG_KEYS.project, Values: ['churn'], MatchOptions: ['EQUALS'] } },
      GroupBy: [{ Type: 'DIMENSION', Key: 'USAGE_TYPE' }],
    });
    expect(costs.metric).toBe('AmortizedCost');
    expect(costs.totalUsd).toBeCloseTo(0.25, 10);
  });

  test('client signs for us-east-1 anywhere', async () => {
    await queueCostResults([{ ResultsByTime: [day('2026-03-09', [group('EUW1-Train:ml.m5.xlarge', 3)])] }]);
    useMotoEnvironment(moto.url);
    process.env.AWS_REGION = 'eu-west-1';
    process.env.AWS_DEFAULT_REGION = 'eu-west-1';
    const client = allowLocalhostOnly(createCostExplorerClient({ maxAttempts: 1 }));
    const requests = recordRequests(client);
    const reader = createCostExplorerReader({ client, settings: settingsWith(), logger: silentLogger, clock: () => NOW });

    const costs = await reader.projectCosts('churn', SINCE, NOW);

    expect(await client.config.region()).toBe(COST_EXPLORER_REGION);
    expect(requests[0].authorization).toContain('/us-east-1/ce/aws4_request');
    expect(costs.totalUsd).toBeCloseTo(3, 10);
  });
});

describe('client endpoint without AWS_ENDPOINT_URL', () => {
  test('default client tries each request once', async () => {
    expect(await createCostExplorerClient().config.maxAttempts()).toBe(1);
  });

  test('default endpoint is ce us-east-1', async () => {
    useMotoEnvironment('http://127.0.0.1:9');
    delete process.env.AWS_ENDPOINT_URL;
    process.env.AWS_REGION = 'eu-west-1';
    // allowLocalhostOnly throws before the request is sent, so nothing reaches AWS.
    const client = allowLocalhostOnly(createCostExplorerClient({ maxAttempts: 1 }));
    const reader = createCostExplorerReader({ client, settings: settingsWith(), logger: silentLogger, clock: () => NOW });

    await expect(reader.projectCosts('churn', SINCE, NOW)).rejects.toThrow('tried to reach ce.us-east-1.amazonaws.com');
  });
});

// ---------------------------------------------------------------------------
// In-process fake client
// ---------------------------------------------------------------------------

type Reply = (input: Record<string, unknown>) => unknown;

/** Builds a fake CostExplorerClient that records its calls. `replies` maps a command name (without `Command`) to its reply. */
function fakeCostExplorer(replies: Record<string, Reply>) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push({ command: name, input: command.input });
      const reply = replies[name];
      if (!reply) throw new Error(`the fake Cost Explorer client has no reply for ${name}`);
      return reply(command.input);
    },
  };
  return {
    client: client as unknown as CostExplorerClient,
    calls,
    commands: () => calls.map((call) => call.command),
    inputOf: (command: string) => calls.find((call) => call.command === command)?.input,
  };
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

const noSpend = () => ({ ResultsByTime: [day('2026-03-08', []), day('2026-03-09', []), day('2026-03-10', [])] });
const spendOf = (usd: number) => () => ({ ResultsByTime: [day('2026-03-09', [group('USE1-Train:ml.m5.xlarge', usd)])] });
const tagListed = (status: 'Active' | 'Inactive', lastUpdated = '2026-01-15T00:00:00Z') => () => ({
  CostAllocationTags: [{ TagKey: TAG_KEYS.project, Type: 'UserDefined', Status: status, LastUpdatedDate: lastUpdated }],
});
const forecastReply = () => ({
  Total: { Amount: '42.5', Unit: 'USD' },
  ForecastResultsByTime: [
    { TimePeriod: { Start: '2026-03-10', End: '2026-04-01' }, MeanValue: '42.5', PredictionIntervalLowerBound: '30', PredictionIntervalUpperBound: '55' },
  ],
});

function fakeReader(
  replies: Record<string, Reply>,
  options: { settings?: Partial<CostExplorerSettings>; clock?: () => Date; callLogPath?: string } = {},
) {
  const fake = fakeCostExplorer(replies);
  const reader = createCostExplorerReader({
    client: fake.client,
    settings: settingsWith(options.settings),
    logger: silentLogger,
    clock: options.clock ?? (() => NOW),
    ...(options.callLogPath ? { callLogPath: options.callLogPath } : {}),
  });
  return { reader, ...fake };
}

describe('cost-allocation tag status', () => {
  test('inactive tag is not zero', async () => {
    const { reader, commands, inputOf } = fakeReader({ GetCostAndUsage: noSpend, ListCostAllocationTags: tagListed('Inactive') });

    const costs = await reader.projectCosts('churn', SINCE, NOW);

    expect(costs.totalUsd).toBeUndefined();
    expect(costs.tag.status).toBe('inactive');
    expect(costs.tag.message).toContain(INACTIVE_MESSAGE);
    expect(costs.tag.message).toContain('Cost Explorer shows spend from activation on');
    expect(commands()).toEqual(['GetCostAndUsage', 'ListCostAllocationTags']);
    expect(inputOf('ListCostAllocationTags')).toMatchObject({ TagKeys: [TAG_KEYS.project] });
  });

  test('reconcile flags inactive tag', async () => {
    const { reader } = fakeReader({ GetCostAndUsage: noSpend, ListCostAllocationTags: tagListed('Inactive') });

    const result = await reader.reconcile('churn', 12.5, SINCE);

    expect(result.meteredUsd).toBe(12.5);
    expect(result.reportedUsd).toBeUndefined();
    expect(result.differenceUsd).toBeUndefined();
    expect(result.differencePercent).toBeUndefined();
    expect(result.notes.some((note) => note.includes(INACTIVE_MESSAGE))).toBe(true);
  });

  test('unlisted tag counts as inactive', async () => {
    const { reader } = fakeReader({ GetCostAndUsage: noSpend, ListCostAllocationTags: () => ({ CostAllocationTags: [] }) });

    const costs = await reader.projectCosts('churn', SINCE, NOW);

    expect(costs.totalUsd).toBeUndefined();
    expect(costs.tag.status).toBe('inactive');
    expect(costs.tag.message).toMatch(/not listed among the account's cost allocation tags/);
  });

  test('active tag without spend is zero', async () => {
    const { reader } = fakeReader({ GetCostAndUsage: noSpend, ListCostAllocationTags: tagListed('Active') });

    const costs = await reader.projectCosts('churn', SINCE, NOW);

    expect(costs.totalUsd).toBe(0);
    expect(costs.tag).toEqual({ key: TAG_KEYS.project, status: 'active', activatedAt: '2026-01-15T00:00:00Z' });
  });

  test('late activation noted in reconcile', async () => {
    const { reader } = fakeReader({ GetCostAndUsage: spendOf(4), ListCostAllocationTags: tagListed('Active', '2026-03-09T00:00:00Z') });

    const result = await reader.reconcile('churn', 10, '2026-03-01T00:00:00Z');

    expect(result.reportedUsd).toBeCloseTo(4, 10);
    expect(result.differenceUsd).toBeCloseTo(-6, 10);
    expect(result.differencePercent).toBeCloseTo(-60, 10);
    expect(result.notes.some((note) => /activated on 2026-03-09T00:00:00Z, after the period start 2026-03-01/.test(note))).toBe(true);
  });

  test('tag status read once a day', async () => {
    let now = NOW;
    const { reader, commands } = fakeReader({ GetCostAndUsage: spendOf(4), ListCostAllocationTags: tagListed('Active') }, { clock: () => now });

    await reader.reconcile('churn', 10, SINCE);
    await reader.reconcile('churn', 10, SINCE);
    now = new Date(NOW.getTime() + 25 * 3600_000);
    await reader.reconcile('churn', 10, SINCE);

    expect(commands().filter((command) => command === 'ListCostAllocationTags')).toHaveLength(2);
  });

  test('denied tag check keeps figures', async () => {
    const { reader } = fakeReader({
      GetCostAndUsage: noSpend,
      ListCostAllocationTags: () => {
        throw awsError('AccessDeniedException', 'User: arn:aws:iam::123456789012:user/worker is not authorized to perform: ce:ListCostAllocationTags');
      },
    });

    const result = await reader.reconcile('churn', 3, SINCE);

    expect(result.reportedUsd).toBe(0);
    expect(result.tag.status).toBe('unknown');
    expect(result.tag.message).toContain('allow the IAM action ce:ListCostAllocationTags');
    expect(result.notes.some((note) => note.includes('may come from an inactive tag'))).toBe(true);
  });
});

describe('tag status from grouped spend', () => {
  const denied = () => {
    throw awsError('AccessDeniedException', 'User: arn:aws:iam::123456789012:user/worker is not authorized to perform: ce:ListCostAllocationTags');
  };
  /** Replies to the tag-filtered query with nothing and to the query grouped by the tag key with `groups`. */
  const groupedBy = (groups: ReturnType<typeof group>[]) => (input: Record<string, unknown>) => {
    const grouping = (input.GroupBy as { Type: string }[])[0];
    return grouping.Type === 'TAG' ? { ResultsByTime: [day('2026-03-01', groups)] } : noSpend();
  };

  test('empty tag value means inactive', async () => {
    const { reader, inputOf } = fakeReader({
      GetCostAndUsage: groupedBy([group(`${TAG_KEYS.project}$`, 12.5)]),
      ListCostAllocationTags: denied,
    });

    const result = await reader.reconcile('churn', 12.5, SINCE);

    expect(result.reportedUsd).toBeUndefined();
    expect(result.tag.status).toBe('inactive');
    expect(result.tag.message).toContain(`under ${TAG_KEYS.project}$ (no value)`);
    expect(inputOf('GetCostAndUsage')).toMatchObject({ Filter: { Tags: { Key: TAG_KEYS.project } } });
  });

  test('project tag value means active', async () => {
    const { reader } = fakeReader({
      GetCostAndUsage: groupedBy([group(`${TAG_KEYS.project}$churn`, 0), group(`${TAG_KEYS.project}$`, 3)]),
      ListCostAllocationTags: denied,
    });

    const costs = await reader.projectCosts('churn', SINCE, NOW);

    expect(costs.totalUsd).toBe(0);
    expect(costs.tag.status).toBe('active');
  });
});

describe('reconcile', () => {
  test('reconcile reports difference and notes', async () => {
    const { reader, commands } = fakeReader({ GetCostAndUsage: spendOf(10.5) });

    const result = await reader.reconcile('churn', 10, '2026-03-08T09:30:00Z');

    expect(result.reportedUsd).toBeCloseTo(10.5, 10);
    expect(result.differenceUsd).toBeCloseTo(0.5, 10);
    expect(result.differencePercent).toBeCloseTo(5, 10);
    expect(result.metric).toBe('UnblendedCost');
    expect(result.period).toEqual({ start: '2026-03-08', end: '2026-03-11' });
    expect(result.notes.some((note) => note.includes('lags by up to 24 hours'))).toBe(true);
    expect(result.notes.some((note) => note.includes('whole UTC days') && note.includes('2026-03-08T09:30:00.000Z'))).toBe(true);
    // Reported spend at or above metered spend needs no tag status read.
    expect(commands()).toEqual(['GetCostAndUsage']);
  });

  test('nothing metered leaves percent undefined', async () => {
    const { reader } = fakeReader({ GetCostAndUsage: spendOf(2) });

    const result = await reader.reconcile('churn', 0, SINCE);

    expect(result.differenceUsd).toBeCloseTo(2, 10);
    expect(result.differencePercent).toBeUndefined();
  });

  test('invalid arguments are InvalidInput', async () => {
    const { reader, calls } = fakeReader({ GetCostAndUsage: spendOf(1) });

    await expect(reader.projectCosts('churn', NOW, SINCE)).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(reader.projectCosts('churn', 'last week', NOW)).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(reader.projectCosts('', SINCE, NOW)).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(reader.reconcile('churn', -1, SINCE)).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(reader.reconcile('churn', Number.NaN, SINCE)).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(calls).toHaveLength(0);
  });

  test('non-USD amounts are rejected', async () => {
    const { reader } = fakeReader({
      GetCostAndUsage: () => ({
        ResultsByTime: [{ ...day('2026-03-09', []), Groups: [{ Keys: ['USE1-Train'], Metrics: { UnblendedCost: { Amount: '3', Unit: 'EUR' } } }] }],
      }),
    });

    await expect(reader.projectCosts('churn', SINCE, NOW)).rejects.toThrow('in EUR; this reader compares USD amounts only');
  });
});

describe('forecast', () => {
  test('forecast spells metric in upper case', async () => {
    const { reader, inputOf } = fakeReader({ GetCostForecast: forecastReply }, { settings: { metric: 'AmortizedCost' } });

    const result = await reader.forecast('churn', NOW);

    expect(result.reason).toBeUndefined();
    expect(result.forecast).toEqual({
      projectId: 'churn',
      metric: 'AmortizedCost',
      period: { start: '2026-03-10', end: '2026-04-01' },
      restOfMonthUsd: 42.5,
      lowerBoundUsd: 30,
      upperBoundUsd: 55,
      predictionIntervalLevel: 80,
    });
    expect(inputOf('GetCostForecast')).toEqual({
      TimePeriod: { Start: '2026-03-10', End: '2026-04-01' },
      Metric: 'AMORTIZED_COST',
      Granularity: 'MONTHLY',
      Filter: { Tags: { Key: TAG_KEYS.project, Values: ['churn'], MatchOptions: ['EQUALS'] } },
      PredictionIntervalLevel: 80,
    });
  });

  test('December forecast ends in January', async () => {
    const { reader, inputOf } = fakeReader({ GetCostForecast: forecastReply });

    const result = await reader.forecast('churn', '2026-12-15T23:59:00Z');

    expect(result.forecast?.period).toEqual({ start: '2026-12-15', end: '2027-01-01' });
    expect(inputOf('GetCostForecast')).toMatchObject({ Metric: 'UNBLENDED_COST', TimePeriod: { Start: '2026-12-15', End: '2027-01-01' } });
  });

  test('forecast without history gives reason', async () => {
    const { reader } = fakeReader({
      GetCostForecast: () => {
        throw awsError('DataUnavailableException', 'Insufficient amount of historical data to generate forecast.');
      },
    });

    const result = await reader.forecast('churn', NOW);

    expect(result.forecast).toBeUndefined();
    expect(result.reason).toMatch(/too little spend history under tag mlops:project=churn/);
  });

  test('forecast skipped on last day', async () => {
    const { reader, calls } = fakeReader({ GetCostForecast: forecastReply });

    const result = await reader.forecast('churn', '2026-03-31T08:00:00Z');

    expect(result.forecast).toBeUndefined();
    expect(result.reason).toMatch(/the month ends today \(2026-03-31 UTC\)/);
    expect(calls).toHaveLength(0);
    expect(await reader.callsToday()).toBe(0);
  });
});

describe('error classification', () => {
  test('access denied names IAM action', async () => {
    const denied = () => {
      throw awsError('AccessDeniedException', 'User: arn:aws:iam::123456789012:user/worker is not authorized');
    };
    const { reader } = fakeReader({ GetCostAndUsage: denied, GetCostForecast: denied });

    await expect(reader.projectCosts('churn', SINCE, NOW)).rejects.toMatchObject({
      name: 'AccessDenied',
      action: 'ce:GetCostAndUsage',
      message: expect.stringContaining('allow the IAM action ce:GetCostAndUsage'),
    });
    await expect(reader.forecast('churn', NOW)).rejects.toMatchObject({
      name: 'AccessDenied',
      action: 'ce:GetCostForecast',
      message: expect.stringContaining('allow the IAM action ce:GetCostForecast'),
    });
  });

  test('limit exceeded becomes Throttled', async () => {
    const { reader } = fakeReader({
      GetCostAndUsage: () => {
        throw awsError('LimitExceededException', 'Rate exceeded');
      },
    });

    // Workflows retry a 'Throttled' activity failure without a bound.
    await expect(reader.projectCosts('churn', SINCE, NOW)).rejects.toMatchObject({ name: 'Throttled', cause: { name: 'LimitExceededException' } });
  });

  test('rejected request is InvalidInput', async () => {
    const { reader } = fakeReader({
      GetCostAndUsage: () => {
        throw awsError('ValidationException', 'Start date is too old');
      },
    });

    await expect(reader.projectCosts('churn', SINCE, NOW)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('Cost Explorer rejected GetCostAndUsage for project churn: Start date is too old'),
    });
  });
});

// ---------------------------------------------------------------------------
// Request budget
// ---------------------------------------------------------------------------

describe('request budget', () => {
  let directory: string;
  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-explorer-calls-'));
  });
  afterEach(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  test('budget stops calls past maximum', async () => {
    const { reader, calls } = fakeReader({ GetCostAndUsage: spendOf(1), GetCostForecast: forecastReply }, { settings: { maxCallsPerDay: 2 } });

    await reader.projectCosts('churn', SINCE, NOW);
    await reader.forecast('churn', NOW);

    await expect(reader.projectCosts('churn', SINCE, NOW)).rejects.toBeInstanceOf(CostExplorerCallBudgetExceededError);
    await expect(reader.forecast('churn', NOW)).rejects.toMatchObject({
      name: 'CostExplorerCallBudgetExceeded',
      callsToday: 2,
      maxCallsPerDay: 2,
      message: expect.stringContaining('2 of the 2 requests allowed on 2026-03-10 (UTC) are used'),
    });
    expect(calls).toHaveLength(2);
  });

  test('budget shared through call log', async () => {
    const callLogPath = path.join(directory, 'nested', 'calls.json');
    const options = { settings: { maxCallsPerDay: 3 }, callLogPath };
    const first = fakeReader({ GetCostAndUsage: spendOf(1) }, options);
    const second = fakeReader({ GetCostAndUsage: spendOf(1) }, options);

    await first.reader.projectCosts('churn', SINCE, NOW);
    await first.reader.projectCosts('churn', SINCE, NOW);
    await second.reader.projectCosts('churn', SINCE, NOW);

    await expect(second.reader.projectCosts('churn', SINCE, NOW)).rejects.toBeInstanceOf(CostExplorerCallBudgetExceededError);
    expect(await first.reader.callsToday()).toBe(3);
    expect(JSON.parse(fs.readFileSync(callLogPath, 'utf8'))).toEqual({ day: '2026-03-10', calls: 3 });
    const restarted = fakeReader({ GetCostAndUsage: spendOf(1) }, options);
    expect(await restarted.reader.callsToday()).toBe(3);
    await expect(restarted.reader.projectCosts('churn', SINCE, NOW)).rejects.toBeInstanceOf(CostExplorerCallBudgetExceededError);
    expect(restarted.calls).toHaveLength(0);
  });

  test('budget restarts next UTC day', async () => {
    let now = NOW;
    const callLogPath = path.join(directory, 'calls.json');
    const { reader, calls } = fakeReader({ GetCostAndUsage: spendOf(1) }, { settings: { maxCallsPerDay: 1 }, callLogPath, clock: () => now });

    await reader.projectCosts('churn', SINCE, NOW);
    await expect(reader.projectCosts('churn', SINCE, NOW)).rejects.toBeInstanceOf(CostExplorerCallBudgetExceededError);
    now = new Date('2026-03-11T00:00:01Z');

    expect(await reader.callsToday()).toBe(0);
    await reader.projectCosts('churn', SINCE, NOW);
    expect(calls).toHaveLength(2);
    expect(JSON.parse(fs.readFileSync(callLogPath, 'utf8'))).toEqual({ day: '2026-03-11', calls: 1 });
  });

  test('corrupt call log is reported', async () => {
    const callLogPath = path.join(directory, 'calls.json');
    fs.writeFileSync(callLogPath, '{"day": "2026-03-10", "calls": ');
    const { reader, calls } = fakeReader({ GetCostAndUsage: spendOf(1) }, { callLogPath });

    await expect(reader.projectCosts('churn', SINCE, NOW)).rejects.toThrow(`invalid Cost Explorer call log ${callLogPath}`);
    await expect(reader.callsToday()).rejects.toThrow('Delete the file to count from zero');
    expect(calls).toHaveLength(0);
  });

  test('processes sharing log lose no count', async () => {
    const callLogPath = path.join(directory, 'calls.json');
    const processes = 4;
    const callsEach = 20;

    const exits = await Promise.all(Array.from({ length: processes }, () => runCountingProcess(callLogPath, callsEach)));

    expect(exits.map((exit) => exit.code)).toEqual(Array(processes).fill(0));
    expect(JSON.parse(fs.readFileSync(callLogPath, 'utf8'))).toEqual({ day: '2026-03-10', calls: processes * callsEach });
    expect(fs.readdirSync(directory)).toEqual(['calls.json']);
  });
});

const COSTS_MODULE = path.resolve(__dirname, '../../../../activities/provider/sagemaker/costs.ts');

/**
 * Runs `calls` GetCostAndUsage reads in a separate Node process through a
 * reader with a fake client that shares `callLogPath`. The child compiles the
 * TypeScript sources with `typescript.transpileModule` as it loads them.
 */
function runCountingProcess(callLogPath: string, calls: number): Promise<{ code: number | null; stderr: string }> {
  const script = `
    const fs = require('node:fs');
    const ts = require('typescript');
    require.extensions['.ts'] = (module, filename) => {
      const source = fs.readFileSync(filename, 'utf8');
      const output = ts.transpileModule(source, {
        fileName: filename,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      module._compile(output.outputText, filename);
    };
    const { createCostExplorerReader, DEFAULT_COST_EXPLORER_SETTINGS } = require(${JSON.stringify(COSTS_MODULE)});
    const groups = [{ Keys: ['USE1-Train:ml.m5.xlarge'], Metrics: { UnblendedCost: { Amount: '1', Unit: 'USD' } } }];
    const response = { ResultsByTime: [{ TimePeriod: { Start: '2026-03-09', End: '2026-03-10' }, Groups: groups, Estimated: false }] };
    const reader = createCostExplorerReader({
      client: { send: async () => response },
      settings: { ...DEFAULT_COST_EXPLORER_SETTINGS, maxCallsPerDay: 1000 },
      callLogPath: ${JSON.stringify(callLogPath)},
      clock: () => new Date('2026-03-10T15:00:00Z'),
      logger: { info() {}, warn() {} },
    });
    (async () => {
      for (let i = 0; i < ${calls}; i += 1) {
        await reader.projectCosts('churn', '2026-03-09T00:00:00Z', '2026-03-10T00:00:00Z');
        // Reads take no lock, so they also check that a reader never meets a half-written file.
        await reader.callsToday();
      }
    })().catch((err) => { console.error(err); process.exit(1); });
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: path.resolve(__dirname, '../../../..'), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

// ---------------------------------------------------------------------------
// Throttling through the real SDK client
// ---------------------------------------------------------------------------

describe('throttling through the real SDK client', () => {
  let server: http.Server;
  let url: string;
  let script: { status: number; body: unknown }[] = [];
  let requests = 0;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        requests += 1;
        const next = script.shift() ?? { status: 500, body: { __type: 'InternalFailure', message: 'script exhausted' } };
        response.writeHead(next.status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(next.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    requests = 0;
    useMotoEnvironment(url);
  });

  const throttled = { status: 400, body: { __type: 'LimitExceededException', message: 'You have exceeded the rate limit.' } };
  const costsReply = { status: 200, body: { ResultsByTime: [day('2026-03-09', [group('USE1-Train:ml.m5.xlarge', 2)])] } };

  function localReader(maxAttempts: number) {
    const client = allowLocalhostOnly(createCostExplorerClient({ endpoint: url, maxAttempts }));
    return createCostExplorerReader({ client, settings: settingsWith(), logger: silentLogger, clock: () => NOW });
  }

  test('retried attempts count against budget', async () => {
    script = [throttled, costsReply];
    const reader = localReader(3);

    const costs = await reader.projectCosts('churn', SINCE, NOW);

    expect(costs.totalUsd).toBeCloseTo(2, 10);
    expect(requests).toBe(2);
    expect(await reader.callsToday()).toBe(2);
  });

  test('exhausted throttling becomes Throttled', async () => {
    script = [throttled, throttled];
    const reader = localReader(2);

    await expect(reader.projectCosts('churn', SINCE, NOW)).rejects.toMatchObject({ name: 'Throttled', cause: { name: 'LimitExceededException' } });
    expect(requests).toBe(2);
    expect(await reader.callsToday()).toBe(2);
  });
});

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

describe('costExplorer settings', () => {
  const VALID = {
    executionRoleArn: 'arn:aws:iam::123456789012:role/SageMakerExecution',
    trainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1',
    inferenceImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1',
    outputS3Uri: 's3://mlops-bucket/output',
  };

  test('settings default cost explorer section', () => {
    expect(parseSageMakerSettings(VALID).costExplorer).toEqual({ metric: 'UnblendedCost', maxCallsPerDay: 12, reconcileIntervalHours: 6 });
    expect(parseSageMakerSettings({ ...VALID, costExplorer: { metric: 'NetAmortizedCost' } }).costExplorer).toEqual({
      metric: 'NetAmortizedCost',
      maxCallsPerDay: 12,
      reconcileIntervalHours: 6,
    });
  });

  test('settings reject bad cost explorer values', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ metric: 'UNBLENDED_COST' }, /sagemaker\.costExplorer\.metric/],
      [{ maxCallsPerDay: 0 }, /sagemaker\.costExplorer\.maxCallsPerDay/],
      [{ reconcileIntervalHours: 0.5 }, /sagemaker\.costExplorer\.reconcileIntervalHours/],
      [{ maxCalls: 5 }, /maxCalls/],
    ];
    for (const [costExplorer, message] of cases) {
      expect(() => parseSageMakerSettings({ ...VALID, costExplorer })).toThrow(message);
    }
  });
});
