/**
 * The whole lifecycle of a `provider: sagemaker` project against moto in
 * server mode: the project workflow on the real Temporal server, the
 * activities with the SageMaker provider, and every AWS call through the
 * SDK v3 clients to moto on 127.0.0.1. The spec is the image-classification
 * example.
 *
 * Moto completes a training job at once and has no UpdateEndpoint, so the
 * test plays SageMaker's part where moto cannot. It writes each job's
 * model.tar.gz and the endpoint's data capture files into moto's S3. An
 * in-process shim handles UpdateEndpoint by replacing the endpoint in moto.
 * The first create call of every resource "loses its response" (the call
 * reaches moto, then the client throws), so each activity is retried and
 * must adopt what it created instead of creating a second.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeTrainingJobCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTagsCommand,
  ListTrainingJobsCommand,
  UpdateEndpointCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { create as createTar } from 'tar';
import { sageMakerProviders } from '../../activities/provider/registry';
import { createAwsClients } from '../../activities/provider/sagemaker';
import { createCostExplorerClient, createCostExplorerReader } from '../../activities/provider/sagemaker/costs';
import type { SageMakerProviderClients } from '../../activities/provider/sagemaker/clients';
import { MANAGED_BY_VALUE, TAG_KEYS } from '../../domain/constants';
import { maxRuntimeForCap } from '../../domain/cost-cap';
import { resolvePrice } from '../../domain/prices';
import { endpointName, trainingJobName } from '../../domain/names';
import { parseSpec, type ProjectSpec } from '../../domain/spec';
import { allowLocalhostOnly, useMoto, useMotoEnvironment } from '../support/moto';
import { Harness, REPO_ROOT } from '../support/harness';

jest.setTimeout(5 * 60_000);

const EXAMPLE_DIR = path.join(REPO_ROOT, 'examples', 'image-classification');
const BUCKET = 'example-bucket';
const BASELINE = { rows: 100, features: { width: { edges: [200, 400], expected: [0.3, 0.4, 0.3] } } };

const moto = useMoto();
const harness = new Harness();
/** Create calls whose response the shim dropped once, by operation and resource name. */
const dropped: string[] = [];
let sagemaker: SageMakerClient;
/** When true, UpdateEndpoint leaves the endpoint on its old config, as SageMaker does after rolling a failed update back. */
let rollBackUpdates = false;
let s3: SageMakerProviderClients['s3'];

/** The SDK command classes whose first call per resource loses its response. */
const CREATE_COMMANDS: Record<string, string> = {
  CreateTrainingJobCommand: 'TrainingJobName',
  CreateModelCommand: 'ModelName',
  CreateEndpointConfigCommand: 'EndpointConfigName',
  CreateEndpointCommand: 'EndpointName',
};

/**
 * Wraps the SageMaker client. The first create of each resource reaches
 * moto and then fails as a lost response would. UpdateEndpoint, which moto
 * lacks, replaces the endpoint (same name and tags, new config): the state
 * SageMaker reaches once an update finished.
 */
function withShims(client: SageMakerClient): SageMakerClient {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  (client as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    const commandName = (command as object).constructor.name;
    const input = (command as { input: Record<string, string> }).input;
    if (command instanceof UpdateEndpointCommand) {
      if (rollBackUpdates) return {};
      const existing = await send(new DescribeEndpointCommand({ EndpointName: input.EndpointName }));
      const arn = (existing as { EndpointArn: string }).EndpointArn;
      const tags = ((await send(new ListTagsCommand({ ResourceArn: arn }))) as { Tags?: { Key: string; Value: string }[] }).Tags;
      await send(new DeleteEndpointCommand({ EndpointName: input.EndpointName }));
      await send(new CreateEndpointCommand({ EndpointName: input.EndpointName, EndpointConfigName: input.EndpointConfigName, Tags: tags }));
      return { EndpointArn: arn };
    }
    const nameField = CREATE_COMMANDS[commandName];
    const key = nameField && `${commandName}:${input[nameField]}`;
    const result = await send(command);
    if (key && !dropped.includes(key)) {
      dropped.push(key);
      throw Object.assign(new Error(`test shim: the response of ${commandName} was lost`), { name: 'TimeoutError' });
    }
    return result;
  };
  return client;
}

function motoClients(region: string): SageMakerProviderClients {
  const clients = createAwsClients({ region, endpoint: moto.url, maxAttempts: 1 });
  return {
    sagemaker: withShims(allowLocalhostOnly(clients.sagemaker)),
    cloudwatch: allowLocalhostOnly(clients.cloudwatch),
    s3: allowLocalhostOnly(clients.s3),
    runtime: allowLocalhostOnly(clients.runtime),
  };
}

async function modelArchive(): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-model-'));
  fs.writeFileSync(path.join(dir, 'baseline.json'), JSON.stringify(BASELINE));
  fs.writeFileSync(path.join(dir, 'model.bin'), 'weights');
  const chunks: Buffer[] = [];
  const stream = createTar({ gzip: true, cwd: dir, portable: true }, ['baseline.json', 'model.bin']);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes what a finished training job leaves in S3: model.tar.gz under <output>/<job>/output/, where moto points ModelArtifacts. */
async function putModel(spec: ProjectSpec, jobName: string): Promise<void> {
  const prefix = spec.sagemaker!.outputS3Uri.replace(`s3://${BUCKET}/`, '');
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${jobName}/output/model.tar.gz`, Body: await modelArchive() }));
}

/** Writes one data capture file the way SageMaker does: JSON Lines under <capture>/<endpoint>/<variant>/yyyy/mm/dd/hh/. */
async function putCapturedRequests(spec: ProjectSpec, widths: number[]): Promise<void> {
  const at = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const hour = `${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}/${pad(at.getUTCHours())}`;
  const prefix = spec.sagemaker!.outputS3Uri.replace(`s3://${BUCKET}/`, '');
  const lines = widths.map((width, i) =>
    JSON.stringify({
      captureData: {
        endpointInput: {
          observedContentType: 'application/json',
          mode: 'INPUT',
          data: Buffer.from(JSON.stringify({ width })).toString('base64'),
          encoding: 'BASE64',
        },
      },
      eventMetadata: { eventId: `event-${i}`, inferenceTime: new Date(at.getTime() + i).toISOString() },
      eventVersion: '0',
    }),
  );
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: `${prefix}/data-capture/${endpointName(spec.id)}/AllTraffic/${hour}/capture-${Date.now()}.jsonl`,
      Body: lines.join('\n'),
    }),
  );
}

function exampleSpec(): ProjectSpec {
  const spec = parseSpec(fs.readFileSync(path.join(EXAMPLE_DIR, 'project.yaml'), 'utf8'), 'project.yaml');
  spec.id = `imgcls-${Date.now().toString(36)}`;
  // Moto reports no final metrics, so the objective is dropped: the benchmark then recommends on cost and a retraining deploys.
  spec.training.objective = undefined;
  spec.monitoring.intervalSeconds = 1;
  spec.monitoring.driftMinSamples = 20;
  // A short load test through InvokeEndpoint, on a temporary endpoint that must be gone afterwards.
  spec.loadTest = { payloadFile: '../quickstart/requests/load-test.jsonl', requests: 20, concurrency: 2 };
  return spec;
}

async function tagsOf(arn: string): Promise<Record<string, string>> {
  const result = await sagemaker.send(new ListTagsCommand({ ResourceArn: arn }));
  return Object.fromEntries((result.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
}

beforeAll(async () => {
  useMotoEnvironment(moto.url);
  const clients = motoClients('us-east-1');
  sagemaker = allowLocalhostOnly(createAwsClients({ region: 'us-east-1', endpoint: moto.url, maxAttempts: 1 }).sagemaker);
  s3 = clients.s3;
  harness.sagemakerProvider = sageMakerProviders({ logger: harness.logger, clients: motoClients });
  const costExplorerClient = allowLocalhostOnly(createCostExplorerClient({ endpoint: moto.url, maxAttempts: 1 }));
  harness.costExplorer = (settings) => createCostExplorerReader({ client: costExplorerClient, settings, logger: harness.logger });
  await harness.start();
});
afterAll(() => harness.stop());

test('sagemaker project runs its whole lifecycle', async () => {
  const spec = exampleSpec();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  // Benchmark jobs are numbered from 1, in candidate order.
  const benchmarkNames = spec.training.candidates.map((_, i) => trainingJobName(spec.id, 'benchmark', i + 1));
  for (const name of benchmarkNames) await putModel(spec, name);
  await putModel(spec, trainingJobName(spec.id, 'retraining', 1));

  await harness.projects.start(spec, EXAMPLE_DIR);
  await harness.approveGate(spec.id, 'requirements');
  await harness.approveGate(spec.id, 'cost');
  await harness.approveGate(spec.id, 'deployment');
  const serving = await harness.waitForPhase(spec.id, 'monitoring', 120_000);

  // Benchmark: one job per candidate, whatever the retries, each tagged and with its cost cap as MaxRuntime.
  const jobs = (await sagemaker.send(new ListTrainingJobsCommand({}))).TrainingJobSummaries ?? [];
  expect(jobs.map((job) => job.TrainingJobName).sort()).toEqual([...benchmarkNames].sort());
  for (const job of jobs) {
    expect(await tagsOf(job.TrainingJobArn!)).toMatchObject({ [TAG_KEYS.project]: spec.id, [TAG_KEYS.managedBy]: MANAGED_BY_VALUE });
  }
  const candidate = spec.training.candidates[0];
  const price = resolvePrice(spec.prices, spec.region, candidate.instanceType, 'training', candidate.spot).pricePerHourUsd;
  const first = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: benchmarkNames[0] }));
  expect(first.StoppingCondition?.MaxRuntimeInSeconds).toBe(
    Math.min(spec.training.maxRuntimeSeconds, maxRuntimeForCap(spec.budgets.perTrainingJobUsd, price, candidate.instanceCount)),
  );
  expect(dropped.filter((key) => key.startsWith('CreateTrainingJobCommand:')).sort()).toEqual(benchmarkNames.map((n) => `CreateTrainingJobCommand:${n}`).sort());
  expect(serving.trainingJobs.map((job) => job.status)).toEqual(['Completed', 'Completed', 'Completed']);
  expect(serving.endpoint).toMatchObject({ name: endpointName(spec.id), status: 'InService', instanceType: 'ml.m5.large' });
  expect(serving.loadTests).toHaveLength(1);
  expect(serving.loadTests![0]).toMatchObject({ instanceType: 'ml.m5.large', requests: 20, errors: 0 });

  // Drift in the captured requests (every width far above the baseline's bins) triggers a retraining and a blue/green update.
  await putCapturedRequests(spec, Array.from({ length: 30 }, () => 900));
  const retrained = await harness.waitFor(spec.id, 'a deployed retraining', (s) => s.retrainings.some((r) => r.outcome === 'deployed'), 120_000);
  expect(retrained.retrainings[0].driftScore).toBeGreaterThan(spec.monitoring.driftThreshold);
  const updated = await harness.waitFor(spec.id, 'the update to revision 2', (s) => s.endpoint?.configName.endsWith('-2') === true && s.phase === 'monitoring');
  const configs = (await sagemaker.send(new ListEndpointConfigsCommand({}))).EndpointConfigs ?? [];
  // The first config was deleted once the update finished; the new one is the endpoint's.
  expect(configs.map((c) => c.EndpointConfigName)).toEqual([updated.endpoint!.configName]);

  // Every model, config and endpoint exists once and carries the project's tags. The load test's model stays (it bills
  // nothing), while its endpoint and config were deleted.
  const models = (await sagemaker.send(new ListModelsCommand({}))).Models ?? [];
  expect(models).toHaveLength(3);
  const endpoints = (await sagemaker.send(new ListEndpointsCommand({}))).Endpoints ?? [];
  expect(endpoints).toHaveLength(1);
  for (const arn of [...models.map((m) => m.ModelArn!), ...configs.map((c) => c.EndpointConfigArn!), endpoints[0].EndpointArn!]) {
    expect(await tagsOf(arn)).toMatchObject({ [TAG_KEYS.project]: spec.id, [TAG_KEYS.managedBy]: MANAGED_BY_VALUE });
  }
  expect(dropped).toEqual(expect.arrayContaining([`CreateEndpointCommand:${endpointName(spec.id)}`]));

  // Hosting is metered by the workflow: spend grows while the endpoint serves.
  const before = (await harness.projects.getStatus(spec.id)).spendUsd;
  const later = await harness.waitFor(spec.id, 'metered hosting spend', (s) => s.spendUsd > before, 30_000);
  expect(later.spendUsd).toBeGreaterThan(0);

  // Cost Explorer was asked once (the interval is hours): moto reports no spend under the tag, which the check explains instead of showing $0.
  expect(later.costCheck).toMatchObject({ metric: 'UnblendedCost', meteredUsd: expect.any(Number) });
  expect(later.costCheck!.notes.join(' ')).toMatch(/tag/i);

  // Closing deletes the endpoint in SageMaker and keeps models and configs for a redeploy.
  await harness.projects.stop(spec.id, 'test finished');
  const closed = await harness.waitForPhase(spec.id, 'closed', 60_000);
  expect(closed.endpoint?.status).toBe('Deleted');
  expect((await sagemaker.send(new ListEndpointsCommand({}))).Endpoints ?? []).toEqual([]);
  expect((await sagemaker.send(new ListModelsCommand({}))).Models ?? []).toHaveLength(3);
});

test('rolled-back update keeps serving model', async () => {
  const spec = exampleSpec();
  spec.loadTest = undefined;
  rollBackUpdates = true;
  try {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (let i = 1; i <= spec.training.candidates.length; i++) await putModel(spec, trainingJobName(spec.id, 'benchmark', i));
    await putModel(spec, trainingJobName(spec.id, 'retraining', 1));
    await harness.projects.start(spec, EXAMPLE_DIR);
    await harness.approveGate(spec.id, 'requirements');
    await harness.approveGate(spec.id, 'cost');
    await harness.approveGate(spec.id, 'deployment');
    const serving = await harness.waitForPhase(spec.id, 'monitoring', 120_000);
    const firstConfig = serving.endpoint!.configName;

    await putCapturedRequests(spec, Array.from({ length: 30 }, () => 900));
    const after = await harness.waitFor(spec.id, 'a finished retraining', (s) => s.retrainings.length > 0 && s.phase === 'monitoring', 120_000);

    expect(after.retrainings[0].outcome).toBe('failed');
    expect(after.retrainings[0].reason).toMatch(/did not take effect and the endpoint serves .*-config-1 again/);
    expect(after.endpoint!.configName).toBe(firstConfig);
    // The serving config stays; the unused new one is deleted.
    const configs = (await sagemaker.send(new ListEndpointConfigsCommand({}))).EndpointConfigs ?? [];
    expect(configs.map((c) => c.EndpointConfigName)).toEqual([firstConfig]);
    expect(await harness.waitForSubject(/model update rolled back/)).toContain(`[mlops] ${spec.name}: model update rolled back`);

    await harness.projects.stop(spec.id, 'test finished');
    await harness.waitForPhase(spec.id, 'closed', 60_000);
  } finally {
    rollBackUpdates = false;
  }
});
