/**
 * The lifecycle activities, built by a factory that receives its providers
 * (compute, mail, approval-link signing), so tests pass real emulators or
 * small fakes without module mocking.
 */
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../client/logger';
import { approvalLink, reportLink } from '../client/approvals/server';
import { signApprovalToken, tokenExpiry } from '../client/approvals/tokens';
import { MANAGED_BY_VALUE, TAG_KEYS } from '../domain/constants';
import { maxRuntimeForCap, shouldStopForCap } from '../domain/cost-cap';
import { parseBaseline, psi, type Baseline } from '../domain/drift';
import { estimateCost } from '../domain/estimate';
import { endpointConfigName, endpointName, modelName, trainingJobName } from '../domain/names';
import { PriceNotFoundError, resolvePrice, type PriceTable } from '../domain/prices';
import { recommend } from '../domain/recommend';
import { buildReviewSummary } from '../domain/review';
import { providerTarget, type ProviderTarget } from '../domain/provider-target';
import type { ProjectSpec } from '../domain/spec';
import type { CostCheck, EndpointSummary, TrainingJobSummary } from '../domain/status';
import type { LifecycleActivities, ResourceRef, SpecContext } from './contracts';
import { loadTestEndpoint } from './load-test-endpoint';
import type { Mailer } from './mail';
import type { CostExplorerReader, CostExplorerSettings } from './provider/sagemaker/costs';
import type { ComputeProvider, TrainingJobDescription } from './provider/types';

export interface ActivityDependencies {
  /** The local provider, for projects whose spec says `provider: local`. */
  provider: ComputeProvider;
  /** Builds (or returns a cached) SageMaker provider for a project's region and settings; absent where AWS is not configured. */
  sagemakerProvider?: (target: ProviderTarget) => ComputeProvider;
  mailer: Mailer;
  /** Secret that signs approval links. */
  secret: Buffer;
  /** Base URL of the approval server, used in e-mail links. */
  publicUrl: string;
  logger: Logger;
  /** Builds the Cost Explorer reader for a project's settings; absent where AWS is not configured. */
  costExplorer?: (settings: CostExplorerSettings) => CostExplorerReader;
  /** Seconds a stopped training job keeps billing before it ends. */
  stopGraceSeconds?: number;
  /** Price table for estimates and cost caps; the bundled one when absent. */
  priceTable?: PriceTable;
  now?: () => Date;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

/** Non-retryable failure for input that will not get better on retry. */
function invalidInput(message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'InvalidInput', nonRetryable: true, cause: cause instanceof Error ? cause : undefined });
}

function priceOrFail(spec: ProjectSpec, instanceType: string, usage: 'training' | 'hosting', spot: boolean, table?: PriceTable) {
  try {
    return resolvePrice(spec.prices, spec.region, instanceType, usage, spot, table);
  } catch (err) {
    throw invalidInput((err as Error).message, err);
  }
}

function commandLine(command: string | string[]): string[] {
  return typeof command === 'string' ? ['sh', '-c', command] : command;
}

/** Resolves channel paths relative to the spec folder; S3 URIs and absolute paths stay as they are. */
function resolveChannels(specDir: string, channels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(channels).map(([name, location]) => [name, /^[a-z0-9]+:\/\//.test(location) ? location : path.resolve(specDir, location)]),
  );
}

function projectTags(projectId: string, step: string): Record<string, string> {
  return { [TAG_KEYS.project]: projectId, [TAG_KEYS.step]: step, [TAG_KEYS.managedBy]: MANAGED_BY_VALUE };
}

export function createActivities(deps: ActivityDependencies): LifecycleActivities {
  const { mailer, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const stopGraceSeconds = deps.stopGraceSeconds ?? 10;

  function summarizeJob(
    description: TrainingJobDescription,
    extra: { purpose: 'benchmark' | 'retraining'; capUsd: number; pricePerHourUsd: number; stopped?: boolean },
  ): TrainingJobSummary {
    const start = description.startTime ? Date.parse(description.startTime) : now().getTime();
    const end = description.endTime ? Date.parse(description.endTime) : now().getTime();
    return {
      name: description.name,
      purpose: extra.purpose,
      instanceType: description.instanceType,
      instanceCount: description.instanceCount,
      spot: description.spot,
      status: description.status,
      pricePerHourUsd: extra.pricePerHourUsd,
      costUsd: description.costUsd,
      capUsd: extra.capUsd,
      durationSeconds: Math.max(0, Math.round((end - start) / 1000)),
      billableSeconds: description.billableSeconds,
      ...(description.trainingSeconds !== undefined ? { trainingSeconds: description.trainingSeconds } : {}),
      ...(description.spot && description.trainingSeconds ? { spotSavingsPercent: spotSavingsPercent(description) } : {}),
      stopped: extra.stopped ?? description.stopRequested,
      metrics: description.metrics,
      resourceUsage: description.resourceUsage,
      modelArtifacts: description.modelArtifacts,
      failureReason: description.failureReason,
    };
  }

  /** Returns the provider a project's resources live on. No target means the local provider, as in histories from before the sagemaker provider. */
  function providerFor(target: ProviderTarget | undefined): ComputeProvider {
    if (!target || target.provider === 'local') return deps.provider;
    if (!deps.sagemakerProvider) {
      throw invalidInput('this worker cannot reach SageMaker: start it with `mlops worker`, which reads the AWS credentials and region the AWS SDK finds');
    }
    return deps.sagemakerProvider(target);
  }

  function resolveRef(ref: ResourceRef): { name: string; provider: ComputeProvider } {
    return typeof ref === 'string' ? { name: ref, provider: deps.provider } : { name: ref.name, provider: providerFor(ref.target) };
  }

  /** Baseline statistics by provider and model, read once: a model's artifacts never change, and on SageMaker each read downloads model.tar.gz. */
  const baselines = new Map<string, Baseline>();

  async function baselineOf(provider: ComputeProvider, modelArtifacts: string): Promise<Baseline> {
    const key = `${provider.name}:${modelArtifacts}`;
    const cached = baselines.get(key);
    if (cached) return cached;
    // The provider reports a missing file as InvalidInput, while throttling and network errors stay retryable.
    const text = await provider.readModelFile(modelArtifacts, 'baseline.json');
    let baseline: Baseline;
    try {
      baseline = parseBaseline(JSON.parse(text));
    } catch (err) {
      throw invalidInput(
        `cannot read the baseline statistics baseline.json of the model ${modelArtifacts}: ${(err as Error).message}; ` +
          'the training script must write baseline.json into SM_MODEL_DIR',
        err,
      );
    }
    // A worker serves a bounded number of models at a time; the oldest entry goes first.
    if (baselines.size >= 64) baselines.delete(baselines.keys().next().value as string);
    baselines.set(key, baseline);
    return baseline;
  }

  /** Jobs this worker started, with what summarizeJob needs but the provider does not report. */
  const jobContext = new Map<string, { purpose: 'benchmark' | 'retraining'; capUsd: number; pricePerHourUsd: number }>();

  async function createModelAndConfig(input: SpecContext & { revision: number; modelArtifacts: string; instanceType: string; instanceCount: number }) {
    const { spec, specDir } = input;
    const provider = providerFor(providerTarget(spec));
    const price = priceOrFail(spec, input.instanceType, 'hosting', false, deps.priceTable);
    const model = modelName(spec.id, input.revision);
    const config = endpointConfigName(spec.id, input.revision);
    await provider.createModel({
      name: model,
      command: commandLine(spec.inference.command),
      workingDirectory: specDir,
      modelArtifacts: input.modelArtifacts,
      tags: projectTags(spec.id, 'model'),
    });
    await provider.createEndpointConfig({
      name: config,
      modelName: model,
      instanceType: input.instanceType,
      instanceCount: input.instanceCount,
      pricePerHourUsd: price.pricePerHourUsd,
      captureInputs: true,
      tags: projectTags(spec.id, 'endpoint'),
    });
    return { model, config, pricePerHourUsd: price.pricePerHourUsd };
  }

  return {
    async buildReview({ gate, round, spec, context }) {
      try {
        return buildReviewSummary(gate, round, spec, context as Parameters<typeof buildReviewSummary>[3], { priceTable: deps.priceTable });
      } catch (err) {
        if (err instanceof PriceNotFoundError) throw invalidInput(err.message, err);
        throw err;
      }
    },

    async requestApprovals(input) {
      const expiresAt = tokenExpiry(now());
      for (const approver of input.approvers) {
        const token = signApprovalToken(deps.secret, {
          projectId: input.projectId,
          gate: input.gate,
          round: input.round,
          email: approver.email,
          expiresAt,
        });
        await mailer.sendApprovalRequest({
          to: { name: approver.name, email: approver.email },
          projectName: input.projectName,
          projectId: input.projectId,
          gate: input.gate,
          round: input.round,
          summary: input.summary,
          link: approvalLink(deps.publicUrl, token),
          reportLink: reportLink(deps.publicUrl, token),
          expiresAt,
        });
      }
    },

    async estimateCost(spec) {
      try {
        return estimateCost(spec, { priceTable: deps.priceTable });
      } catch (err) {
        if (err instanceof PriceNotFoundError) throw invalidInput(err.message, err);
        throw err;
      }
    },

    async startTrainingJob(input) {
      const { spec, specDir, candidate } = input;
      const price = priceOrFail(spec, candidate.instanceType, 'training', candidate.spot, deps.priceTable);
      const name = trainingJobName(spec.id, input.purpose, input.sequence);
      const description = await providerFor(providerTarget(spec)).createTrainingJob({
        name,
        command: commandLine(spec.training.command),
        workingDirectory: specDir,
        channels: resolveChannels(specDir, input.channels ?? spec.training.channels),
        hyperparameters: Object.fromEntries(Object.entries(spec.training.hyperparameters).map(([k, v]) => [k, String(v)])),
        metricDefinitions: spec.training.metrics,
        instanceType: candidate.instanceType,
        instanceCount: candidate.instanceCount,
        spot: candidate.spot,
        maxRuntimeSeconds: Math.min(
          spec.training.maxRuntimeSeconds,
          maxRuntimeForCap(input.capUsd, price.pricePerHourUsd, candidate.instanceCount),
        ),
        pricePerHourUsd: price.pricePerHourUsd,
        tags: projectTags(spec.id, input.purpose),
      });
      const context = { purpose: input.purpose, capUsd: input.capUsd, pricePerHourUsd: price.pricePerHourUsd };
      jobContext.set(name, context);
      logger.info({ projectId: spec.id, trainingJob: name, instanceType: candidate.instanceType, capUsd: input.capUsd }, 'training job started');
      return summarizeJob(description, context);
    },

    async checkTrainingJob(input) {
      const context = jobContext.get(input.name) ?? {
        purpose: input.name.includes('-retrain-') ? ('retraining' as const) : ('benchmark' as const),
        capUsd: input.capUsd,
        pricePerHourUsd: input.pricePerHourUsd,
      };
      const provider = providerFor(input.target);
      let description = await provider.describeTrainingJob(input.name);
      if (TERMINAL.has(description.status)) {
        return { job: summarizeJob(description, context), terminal: true, stoppedForCap: false };
      }
      if (description.status === 'Stopping') {
        return { job: summarizeJob(description, context), terminal: false, stoppedForCap: false };
      }
      const check = shouldStopForCap({
        pricePerHourUsd: input.pricePerHourUsd,
        instanceCount: input.instanceCount,
        billableSeconds: description.billableSeconds,
        capUsd: input.capUsd,
        pollIntervalSeconds: input.pollSeconds,
        stopGraceSeconds,
      });
      if (!check.stop) return { job: summarizeJob(description, context), terminal: false, stoppedForCap: false };
      logger.warn({ trainingJob: input.name, spentUsd: check.spentUsd, capUsd: input.capUsd }, check.reason);
      description = await provider.stopTrainingJob(input.name);
      return {
        job: { ...summarizeJob(description, context), stopped: true, failureReason: check.reason },
        terminal: TERMINAL.has(description.status),
        stoppedForCap: true,
      };
    },

    async stopTrainingJob(ref) {
      const { name, provider } = resolveRef(ref);
      const description = await provider.stopTrainingJob(name);
      const context = jobContext.get(name) ?? { purpose: 'benchmark' as const, capUsd: 0, pricePerHourUsd: 0 };
      return summarizeJob(description, context);
    },

    async recommend({ spec, jobs }) {
      const result = recommend(jobs, spec.training.objective, { deadlineSeconds: spec.training.maxRuntimeSeconds });
      const reason = [result.reason, ...result.warnings, ...result.notes].join(' ');
      return { recommendation: result.recommendation && { ...result.recommendation, reason }, reason };
    },

    async deployEndpoint(input) {
      const { spec } = input;
      const { model, config, pricePerHourUsd } = await createModelAndConfig(input);
      const name = endpointName(spec.id);
      const provider = providerFor(providerTarget(spec));
      const existing = await provider.describeEndpoint(name);
      const endpoint = existing ?? (await provider.createEndpoint(name, config, projectTags(spec.id, 'endpoint')));
      logger.info({ projectId: spec.id, endpoint: name, endpointConfig: config }, existing ? 'endpoint adopted' : 'endpoint created');
      const summary: EndpointSummary = {
        name,
        url: endpoint.url,
        status: endpoint.status,
        instanceType: input.instanceType,
        instanceCount: input.instanceCount,
        modelName: model,
        configName: endpoint.configName,
        pricePerHourUsd,
      };
      return summary;
    },

    async updateEndpoint(input) {
      const { model, config, pricePerHourUsd } = await createModelAndConfig(input);
      const provider = providerFor(providerTarget(input.spec));
      const current = await provider.describeEndpoint(input.endpointName);
      if (!current) throw invalidInput(`endpoint ${input.endpointName} does not exist, so it cannot be updated`);
      const endpoint = current.configName === config ? current : await provider.updateEndpoint(input.endpointName, config);
      return {
        name: input.endpointName,
        url: endpoint.url,
        status: endpoint.status,
        instanceType: input.instanceType,
        instanceCount: input.instanceCount,
        modelName: model,
        configName: config,
        pricePerHourUsd,
      };
    },

    async describeEndpoint(ref) {
      const { name, provider } = resolveRef(ref);
      const endpoint = await provider.describeEndpoint(name);
      return endpoint && { name: endpoint.name, status: endpoint.status, configName: endpoint.configName, url: endpoint.url, failureReason: endpoint.failureReason };
    },

    async deleteEndpoint(ref) {
      const { name, provider } = resolveRef(ref);
      await provider.deleteEndpoint(name);
      logger.info({ endpoint: name }, 'endpoint deleted');
    },

    async deleteEndpointConfig(ref) {
      const { name, provider } = resolveRef(ref);
      await provider.deleteEndpointConfig(name);
    },

    async loadTestEndpoint(input) {
      return loadTestEndpoint({ provider: providerFor(providerTarget(input.spec)), logger, priceTable: deps.priceTable, now }, input);
    },

    async collectMonitoring(input) {
      const provider = providerFor(input.target);
      // Describing lets the provider notice an endpoint whose process died (a restarted laptop) and bring it back.
      await provider.describeEndpoint(input.endpointName);
      const metrics = await provider.getEndpointMetrics(input.endpointName, input.windowStart, input.windowEnd);
      const captured = await provider.getCapturedRequests(input.endpointName, input.driftSince, input.windowEnd, 2000);
      const samples = captured.flatMap((request) => instancesOf(request.body));
      let driftScore: number | undefined;
      let driftByFeature: Record<string, number> | undefined;
      if (samples.length >= input.driftMinSamples) {
        const result = psi(await baselineOf(provider, input.modelArtifacts), samples);
        driftScore = result.max;
        driftByFeature = Object.fromEntries(
          Object.entries(result.features).flatMap(([feature, value]) => (value.psi === undefined ? [] : [[feature, value.psi]])),
        );
      }
      const spend = await provider.getProjectSpend(input.projectId);
      return {
        invocations: metrics.invocations,
        errors: metrics.errors,
        latencyMsAvg: metrics.latencyMsAvg,
        driftScore,
        driftSamples: samples.length,
        driftByFeature,
        spendUsd: spend.totalUsd,
      };
    },

    async reconcileCosts({ projectId, target, meteredUsd, since }) {
      const settings = target.sagemaker?.costExplorer;
      if (!deps.costExplorer || !settings) {
        throw invalidInput(`project ${projectId} has no Cost Explorer settings or this worker cannot reach AWS; costs are reconciled for provider sagemaker only`);
      }
      const reader = deps.costExplorer(settings);
      const at = now().toISOString();
      const check: CostCheck = { at, metric: settings.metric, meteredUsd, notes: [] };
      try {
        const result = await reader.reconcile(projectId, meteredUsd, since);
        Object.assign(check, {
          reportedUsd: result.reportedUsd,
          differenceUsd: result.differenceUsd,
          differencePercent: result.differencePercent,
        });
        check.notes.push(...result.notes);
        try {
          const forecast = await reader.forecast(projectId, at);
          if (forecast.forecast) check.forecastRestOfMonthUsd = forecast.forecast.restOfMonthUsd;
          else check.notes.push(`No forecast: ${forecast.reason}`);
        } catch (err) {
          // The reconciliation is worth keeping when only the forecast fails.
          check.notes.push(`No forecast: ${(err as Error).message}`);
        }
      } catch (err) {
        // A used call budget or a missing permission does not pass by retrying soon; the next check tries again.
        const name = (err as Error).name;
        if (name !== 'CostExplorerCallBudgetExceeded' && name !== 'AccessDenied') throw err;
        check.notes.push((err as Error).message);
      }
      logger.info({ projectId, meteredUsd, reportedUsd: check.reportedUsd, differenceUsd: check.differenceUsd }, 'costs reconciled with Cost Explorer');
      return check;
    },

    async projectSpend(project) {
      const { projectId, target } = typeof project === 'string' ? { projectId: project, target: undefined } : project;
      return (await providerFor(target).getProjectSpend(projectId)).totalUsd;
    },

    async notify(input) {
      await mailer.sendNotice({ to: input.to, subject: input.subject, text: input.text });
      logger.info({ projectId: input.projectId, to: input.to, subject: input.subject }, 'notice sent');
    },
  };
}

/** Extracts feature rows from a captured JSON body of the form `{"instances": [...]}` or a single object. */
function instancesOf(body: string): Record<string, unknown>[] {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { instances?: unknown }).instances)) {
      return (parsed as { instances: unknown[] }).instances.filter((row): row is Record<string, unknown> => !!row && typeof row === 'object');
    }
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? [parsed as Record<string, unknown>] : [];
  } catch {
    return [];
  }
}

/** Share of the training time that was not billed, in percent, rounded to one decimal. */
function spotSavingsPercent(description: TrainingJobDescription): number {
  const trained = description.trainingSeconds ?? 0;
  return Math.round((1 - description.billableSeconds / trained) * 1000) / 10;
}
