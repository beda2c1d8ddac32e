/**
 * The quickstart example: its spec, its generated data, and its training
 * and inference containers run through the local provider.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalProvider } from '../../activities/provider/local';
import * as runtime from '../../activities/provider/local/runtime';
import type { TrainingJobDescription, TrainingJobRequest } from '../../activities/provider/types';
import { TAG_KEYS } from '../../domain/constants';
import { computeBaseline, parseBaseline, psi, type Baseline } from '../../domain/drift';
import { parseSpec, type ProjectSpec } from '../../domain/spec';

const QUICKSTART = path.resolve(__dirname, '..', '..', 'examples', 'quickstart');
const FEATURES = ['Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration'];
const GENERATED_FILES = [
  'data/train/cars.csv',
  'data/recent/cars.csv',
  'requests/training-period.jsonl',
  'requests/later-period.jsonl',
  'requests/load-test.jsonl',
];

const specFile = path.join(QUICKSTART, 'project.yaml');
const spec: ProjectSpec = parseSpec(fs.readFileSync(specFile, 'utf8'), specFile);
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-quickstart-'));
const provider = createLocalProvider({
  stateDir,
  logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  settings: { stopGraceSeconds: 1, heartbeatSeconds: 0.2, ledgerIntervalSeconds: 0.5, endpointStartupTimeoutSeconds: 30 },
});

afterAll(() => {
  const leftovers = runtime.findMarkedProcesses(stateDir, true);
  for (const pid of leftovers) runtime.sendSignal(pid, 'SIGKILL');
  expect(leftovers).toEqual([]);
});

function trainingRequest(name: string, overrides: Partial<TrainingJobRequest> = {}): TrainingJobRequest {
  return {
    name,
    command: spec.training.command as string[],
    workingDirectory: QUICKSTART,
    channels: Object.fromEntries(Object.entries(spec.training.channels).map(([channel, location]) => [channel, path.resolve(QUICKSTART, location)])),
    hyperparameters: Object.fromEntries(Object.entries(spec.training.hyperparameters).map(([key, value]) => [key, String(value)])),
    metricDefinitions: spec.training.metrics,
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    spot: false,
    maxRuntimeSeconds: 600,
    pricePerHourUsd: 0.115,
    tags: { [TAG_KEYS.project]: spec.id },
    ...overrides,
  };
}

async function finished(name: string): Promise<TrainingJobDescription> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = await provider.describeTrainingJob(name);
    if (['Completed', 'Failed', 'Stopped'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`gave up waiting for job ${name}; last status ${JSON.stringify(job)}`);
    await runtime.sleep(100);
  }
}

function readRequests(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(path.join(QUICKSTART, 'requests', file), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).instances[0]);
}

function readCsvRows(file: string): Record<string, number>[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const columns = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [columns[i], Number(value)])));
}

let champion: TrainingJobDescription;
let baseline: Baseline;

test('spec parses with existing paths', () => {
  expect(spec.id).toBe('car-mpg');
  expect(spec.training.candidates.map((c) => `${c.instanceType}${c.spot ? ' spot' : ''}`)).toEqual(['ml.m5.large', 'ml.c5.xlarge spot', 'ml.m5.2xlarge', 'ml.p3.2xlarge']);
  for (const location of [...Object.values(spec.training.channels), ...Object.values(spec.retraining.channels ?? {})]) {
    expect(fs.existsSync(path.resolve(QUICKSTART, location))).toBe(true);
  }
  for (const command of [spec.training.command, spec.inference.command]) {
    expect(fs.existsSync(path.join(QUICKSTART, (command as string[])[1]))).toBe(true);
  }
  const metricNames = spec.training.metrics.map((m) => m.name);
  expect(metricNames).toContain(spec.retraining.championMetric);
  expect(spec.monitoring.intervalSeconds).toBeLessThanOrEqual(10);
  expect(spec.monitoring.idleWindowSeconds).toBeLessThanOrEqual(60);
});

test('prepare-data regenerates the committed files', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-quickstart-data-'));
  execFileSync(process.execPath, [path.join(QUICKSTART, 'prepare-data.js'), '--out', out], { stdio: 'pipe' });
  for (const file of GENERATED_FILES) {
    expect({ file, text: fs.readFileSync(path.join(out, file), 'utf8') }).toEqual({ file, text: fs.readFileSync(path.join(QUICKSTART, file), 'utf8') });
  }
  const trainYears = readCsvRows(path.join(out, 'data/train/cars.csv')).map((row) => row.Year);
  expect(Math.max(...trainYears)).toBe(1976);
  const recentYears = readCsvRows(path.join(out, 'data/recent/cars.csv')).map((row) => row.Year);
  expect(Math.max(...recentYears)).toBe(1982);
  fs.rmSync(out, { recursive: true });
});

test('training job writes model and baseline', async () => {
  await provider.createTrainingJob(trainingRequest('car-mpg-bench-1'));
  champion = await finished('car-mpg-bench-1');
  expect(champion.status).toBe('Completed');
  expect(Object.keys(champion.metrics).sort()).toEqual(['validation:mae', 'validation:r2', 'validation:rmse']);
  expect(champion.metrics['validation:rmse']).toBeLessThan(spec.training.objective!.target!);
  expect(champion.costUsd).toBeGreaterThan(0);
  expect(champion.costUsd).toBeCloseTo((0.115 / 3600) * champion.billableSeconds, 12);
  expect(fs.existsSync(path.join(champion.modelArtifacts!, 'model.json'))).toBe(true);

  baseline = parseBaseline(JSON.parse(fs.readFileSync(path.join(champion.modelArtifacts!, 'baseline.json'), 'utf8')));
  const trainingRows = readCsvRows(path.join(QUICKSTART, 'data/train/cars.csv'));
  expect(baseline.rows).toBe(trainingRows.length);
  expect(Object.keys(baseline.features)).toEqual(FEATURES);
  for (const feature of FEATURES) {
    expect(baseline.features[feature].expected.length).toBeLessThanOrEqual(10);
  }
  expect(baseline.features.Displacement.expected).toHaveLength(10);
  const reference = computeBaseline(trainingRows, FEATURES);
  for (const feature of FEATURES) {
    expect(baseline.features[feature].edges).toEqual(reference.features[feature].edges);
    baseline.features[feature].expected.forEach((share, i) => expect(share).toBeCloseTo(reference.features[feature].expected[i], 12));
  }
});

test('drift threshold separates the two periods', () => {
  const trainingPeriod = readRequests('training-period.jsonl');
  const laterPeriod = readRequests('later-period.jsonl');
  const { driftThreshold, driftMinSamples } = spec.monitoring;

  let trainingMax = 0;
  for (let n = driftMinSamples; n <= trainingPeriod.length; n++) {
    trainingMax = Math.max(trainingMax, psi(baseline, trainingPeriod.slice(0, n)).max!);
  }
  expect(trainingMax).toBeLessThan(driftThreshold);
  expect(psi(baseline, laterPeriod).max!).toBeGreaterThan(driftThreshold);
  // As the demo sends it: the whole training period, then the later period twice.
  expect(psi(baseline, [...trainingPeriod, ...laterPeriod, ...laterPeriod]).max!).toBeGreaterThan(driftThreshold);
});

test('retraining scores the champion too', async () => {
  const recent = path.resolve(QUICKSTART, spec.retraining.channels!.train);
  await provider.createTrainingJob(trainingRequest('car-mpg-retrain-1', { channels: { train: recent, champion: champion.modelArtifacts! } }));
  const challenger = await finished('car-mpg-retrain-1');
  expect(challenger.status).toBe('Completed');
  expect(challenger.metrics['champion:rmse']).toBeGreaterThan(challenger.metrics['validation:rmse']);
});

test('unknown hyperparameter fails the job', async () => {
  await provider.createTrainingJob(trainingRequest('car-mpg-typo', { hyperparameters: { nEstimatorz: '5' } }));
  const job = await finished('car-mpg-typo');
  expect(job.status).toBe('Failed');
  expect(job.failureReason).toContain('unknown hyperparameter nEstimatorz');
});

test('slow mode lets a stop land', async () => {
  await provider.createTrainingJob(trainingRequest('car-mpg-slow', { hyperparameters: { sleepSeconds: '60' } }));
  const deadline = Date.now() + 30_000;
  while ((await provider.describeTrainingJob('car-mpg-slow')).secondaryStatus !== 'Training' && Date.now() < deadline) await runtime.sleep(100);
  await provider.stopTrainingJob('car-mpg-slow');
  const job = await finished('car-mpg-slow');
  expect(job.status).toBe('Stopped');
  expect(fs.readFileSync(path.join(stateDir, 'compute', 'training-jobs', 'car-mpg-slow', 'training.log'), 'utf8')).toContain('received SIGTERM');
});

test('endpoint serves predictions and rejects bad input', async () => {
  const from = new Date(Date.now() - 1000).toISOString();
  await provider.createModel({
    name: 'car-mpg-model-1',
    command: spec.inference.command as string[],
    workingDirectory: QUICKSTART,
    modelArtifacts: champion.modelArtifacts!,
    tags: { [TAG_KEYS.project]: spec.id },
  });
  await provider.createEndpointConfig({
    name: 'car-mpg-config-1',
    modelName: 'car-mpg-model-1',
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    pricePerHourUsd: 0.115,
    captureInputs: true,
    tags: { [TAG_KEYS.project]: spec.id },
  });
  await provider.createEndpoint('car-mpg', 'car-mpg-config-1', { [TAG_KEYS.project]: spec.id });
  const deadline = Date.now() + 60_000;
  let endpoint = await provider.describeEndpoint('car-mpg');
  while (endpoint?.status !== 'InService' && Date.now() < deadline) {
    await runtime.sleep(100);
    endpoint = await provider.describeEndpoint('car-mpg');
  }
  expect(endpoint?.status).toBe('InService');

  const body = fs.readFileSync(path.join(QUICKSTART, 'requests', 'training-period.jsonl'), 'utf8').split('\n')[0];
  const good = await fetch(`${endpoint!.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(good.status).toBe(200);
  const { predictions } = (await good.json()) as { predictions: number[] };
  expect(predictions).toHaveLength(1);
  expect(predictions[0]).toBeGreaterThan(5);
  expect(predictions[0]).toBeLessThan(50);

  const bad = await fetch(`${endpoint!.url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [{ Cylinders: 4, Displacement: 97, Horsepower: 'fast', Weight_in_lbs: 2130, Acceleration: 14.5 }] }),
  });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: string }).error).toBe('instances[0].Horsepower is "fast"; expected a finite number');

  const to = new Date(Date.now() + 1000).toISOString();
  expect(await provider.getEndpointMetrics('car-mpg', from, to)).toMatchObject({ invocations: 2, errors: 0 });
  expect((await provider.getCapturedRequests('car-mpg', from, to, 10)).map((c) => c.body)).toEqual([body]);

  await provider.deleteEndpoint('car-mpg');
  expect(await provider.describeEndpoint('car-mpg')).toBeUndefined();
  expect((await provider.getProjectSpend(spec.id)).byResource['car-mpg']).toBeGreaterThan(0);
});
