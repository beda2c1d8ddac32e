/**
 * The lifecycle activities, built by a factory that receives its providers
 * (compute, mail, approval-link signing), so tests pass real emulators or
 * small fakes without module mocking.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../client/logger';
import { approvalLink } from '../client/approvals/server';
import { signApprovalToken, tokenExpiry } from '../client/approvals/tokens';
import { MANAGED_BY_VALUE, TAG_KEYS } from '../domain/constants';
import { maxRuntimeForCap, shouldStopForCap } from '../domain/cost-cap';
import { parseBaseline, psi } from '../domain/drift';
import { estimateCost } from '../domain/estimate';
import { endpointConfigName, endpointName, modelName, trainingJobName } from '../domain/names';
import { PriceNotFoundError, resolvePrice, type PriceTable } from '../domain/prices';
import { recommend } from '../domain/recommend';
import { buildReviewSummary } from '../domain/review';
import type { ProjectSpec } from '../domain/spec';
import type { EndpointSummary, TrainingJobSummary } from '../domain/status';
import type { LifecycleActivities, SpecContext } from './contracts';
import type { Mailer } from './mail';
import type { ComputeProvider, TrainingJobDescription } from './provider/types';

export interface ActivityDependencies {
  provider: ComputeProvider;
  mailer: Mailer;
  /** Secret that signs approval links. */
  secret: Buffer;
  /** Base URL of the approval server, used in e-mail links. */
  publicUrl: string;
  logger: Logger;
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
  const { provider, mailer, logger } = deps;
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
      stopped: extra.stopped ?? description.stopRequested,
      metrics: description.metrics,
      resourceUsage: description.resourceUsage,
      modelArtifacts: description.modelArtifacts,
      failureReason: description.failureReason,
    };
  }

  /** Jobs this worker started, with what summarizeJob needs but the provider does not report. */
  const jobContext = new Map<string, { purpose: 'benchmark' | 'retraining'; capUsd: number; pricePerHourUsd: number }>();

  async function createModelAndConfig(input: SpecContext & { revision: number; modelArtifacts: string; instanceType: string; instanceCount: number }) {
    const { spec, specDir } = input;
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
    return { model, config };
  }

  return {
    async buildReview({ gate, round, spec, context }) {
      try {
        return buildReviewSummary(gate, round, spec, context as Parameters<typeof buildReviewSummary>[3]);
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
      const description = await provider.createTrainingJob({
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

    async stopTrainingJob(name) {
      const description = await provider.stopTrainingJob(name);
      const context = jobContext.get(name) ?? { purpose: 'benchmark' as const, capUsd: 0, pricePerHourUsd: 0 };
      return summarizeJob(description, context);
    },

    async recommend({ spec, jobs }) {
      const result = recommend(jobs, spec.training.objective);
      const reason = [result.reason, ...result.notes].join(' ');
      return { recommendation: result.recommendation && { ...result.recommendation, reason }, reason };
    },

    async deployEndpoint(input) {
      const { spec } = input;
      const { model, config } = await createModelAndConfig(input);
      const name = endpointName(spec.id);
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
      };
      return summary;
    },

    async updateEndpoint(input) {
      const { model, config } = await createModelAndConfig(input);
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
      };
    },

    async describeEndpoint(name) {
      const endpoint = await provider.describeEndpoint(name);
      return endpoint && { name: endpoint.name, status: endpoint.status, configName: endpoint.configName, url: endpoint.url, failureReason: endpoint.failureReason };
    },

    async deleteEndpoint(name) {
      await provider.deleteEndpoint(name);
      logger.info({ endpoint: name }, 'endpoint deleted');
    },

    async deleteEndpointConfig(name) {
      await provider.deleteEndpointConfig(name);
    },

    async collectMonitoring(input) {
      // Describing lets the provider notice an endpoint whose process died (a restarted laptop) and bring it back.
      await provider.describeEndpoint(input.endpointName);
      const metrics = await provider.getEndpointMetrics(input.endpointName, input.windowStart, input.windowEnd);
      const captured = await provider.getCapturedRequests(input.endpointName, input.driftSince, input.windowEnd, 2000);
      const samples = captured.flatMap((request) => instancesOf(request.body));
      let driftScore: number | undefined;
      let driftByFeature: Record<string, number> | undefined;
      if (samples.length >= input.driftMinSamples) {
        const baselineFile = path.join(input.modelArtifacts, 'baseline.json');
        let baseline;
        try {
          baseline = parseBaseline(JSON.parse(fs.readFileSync(baselineFile, 'utf8')));
        } catch (err) {
          throw invalidInput(`cannot read the baseline statistics ${baselineFile}: ${(err as Error).message}; the training script must write baseline.json into SM_MODEL_DIR`, err);
        }
        const result = psi(baseline, samples);
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

    async projectSpend(projectId) {
      return (await provider.getProjectSpend(projectId)).totalUsd;
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
