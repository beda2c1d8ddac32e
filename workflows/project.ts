/**
 * The project workflow: one per ML project, from requirements review to
 * shutdown. It only orchestrates, and every side effect is an activity.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  ContinueAsNew,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  patched,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { Recommendation } from '../activities/contracts';
import { GATE_PHASE, type Gate, type Phase } from '../domain/constants';
import { providerTarget } from '../domain/provider-target';
import type { ProjectSpec } from '../domain/spec';
import type { ApprovalRecord, ProjectStatus, TrainingJobSummary } from '../domain/status';
import { acts, costActs, loadTestActs, slowActs } from './activities';
import { benchmarkWorkflow } from './benchmark';
import {
  closeSignal,
  decideUpdate,
  redeployUpdate,
  reviseUpdate,
  statusQuery,
  trainingJobSignal,
  type DecideInput,
  type ReviseInput,
} from './messages';
import { retrainingWorkflow } from './retraining';
import { ownerKey, phaseKey, projectIdKey, spendKey } from './search-attributes';
import { initialState, type MonitoringBookkeeping, type ProjectState } from './state';

export interface ProjectInput {
  spec: ProjectSpec;
  /** Absolute folder of the spec file; relative paths in the spec resolve against it. */
  specDir: string;
  /** State carried over by continue-as-new, absent on the first run. */
  resume?: ProjectState;
}

/** Patch that reads the final job statuses and spend after resources are released. */
const FINAL_REFRESH_PATCH = 'final-status-refresh';

/** How long deployment may take before the project fails, in seconds. */
const ENDPOINT_READY_TIMEOUT_SECONDS = 15 * 60;

export async function projectWorkflow(input: ProjectInput): Promise<ProjectStatus> {
  const state = input.resume ?? initialState(input.spec, new Date().toISOString());
  const status = state.status;
  /** The spec in force: the input's, or the last revision's. */
  const current = () => ({ spec: state.spec ?? input.spec, specDir: state.specDir ?? input.specDir });
  // Id and owner never change: a revision must keep them.
  const spec = input.spec;

  setHandler(statusQuery, () => status);
  setHandler(decideUpdate, (decision) => applyDecision(state, decision), {
    validator: (decision) => validateDecision(state, decision),
  });
  setHandler(
    redeployUpdate,
    () => {
      state.redeployRequested = true;
      return { phase: status.phase };
    },
    { validator: () => validateRedeploy(state) },
  );
  setHandler(
    reviseUpdate,
    (revision) => {
      state.pendingRevision = { spec: revision.spec, specDir: revision.specDir, reason: revision.reason?.trim() ?? '' };
      return { phase: status.phase, round: (state.rounds.requirements ?? 0) + 1 };
    },
    { validator: (revision) => validateRevision(state, current().spec, revision) },
  );
  setHandler(trainingJobSignal, (job) => upsertJob(status, job));
  setHandler(closeSignal, ({ reason }) => {
    state.closeRequested ??= { reason };
  });

  upsertSearchAttributes([
    { key: projectIdKey, value: spec.id },
    { key: ownerKey, value: spec.owner },
    { key: phaseKey, value: status.phase },
    { key: spendKey, value: status.spendUsd },
  ]);

  const lifecycle = new CancellationScope();
  const closeWatch = condition(() => state.closeRequested !== undefined).then(() => lifecycle.cancel());
  try {
    await lifecycle.run(() => runLifecycle(current, state));
  } catch (err) {
    if (isContinueAsNew(err)) throw err;
    await CancellationScope.nonCancellable(async () => {
      await releaseResources(current().spec, state);
      if (patched(FINAL_REFRESH_PATCH)) await refreshFinalStatus(current().spec, state);
    });
    if (isCancellation(err)) {
      status.shutdownReason ??= state.closeRequested?.reason ?? 'the workflow was cancelled';
      setPhase(state, 'closed');
    } else {
      status.failure = describeError(err);
      setPhase(state, 'failed');
      log.error('project failed', { projectId: spec.id, error: status.failure });
      await CancellationScope.nonCancellable(() =>
        acts.notify({
          projectId: spec.id,
          to: spec.owner,
          subject: `[mlops] ${status.name} failed`,
          text: `The project ${spec.id} failed in phase ${lastActivePhase(status)}: ${status.failure}\nEvery resource it created was released.`,
        }),
      );
    }
  }
  void closeWatch;
  await condition(allHandlersFinished);
  return status;
}

async function runLifecycle(current: () => { spec: ProjectSpec; specDir: string }, state: ProjectState): Promise<void> {
  const status = state.status;
  if (!state.monitoring) {
    // A revised spec sends the project back to the requirements review, with the cost diff in the new round.
    for (;;) {
      const requirements = await reviewGate(current().spec, state, 'requirements');
      if (requirements === 'rejected') return;
      if (requirements === 'revised') continue;
      status.estimate = await acts.estimateCost(current().spec);
      const cost = await reviewGate(current().spec, state, 'cost');
      if (cost === 'rejected') return;
      if (cost === 'revised') continue;
      break;
    }
    state.revision = undefined;
  }
  const { spec, specDir } = current();
  if (!state.monitoring) {

    setPhase(state, 'benchmarking');
    const benchmark = await executeChild(benchmarkWorkflow, {
      args: [{ spec, specDir }],
      workflowId: `${workflowInfo().workflowId}-benchmark`,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    for (const job of benchmark.jobs) upsertJob(status, job);
    if (patched(FINAL_REFRESH_PATCH)) setSpend(state, currentSpend(spec, state, await acts.projectSpend({ projectId: spec.id, target: providerTarget(spec) })));
    status.recommendation = benchmark.recommendation;
    const chosen = chooseDeployment(spec, benchmark.jobs, benchmark.recommendation, benchmark.reason);
    if (spec.loadTest && patched(LOAD_TEST_PATCH)) await loadTest(spec, specDir, state, chosen);
    if ((await reviewGate(spec, state, 'deployment', chosen.plan)) !== 'approved') return;

    await deploy(spec, specDir, state, { revision: 1, modelArtifacts: chosen.modelArtifacts, configuration: chosen.plan });
  } else {
    upsertSearchAttributes([{ key: spendKey, value: status.spendUsd }]);
  }
  await monitor(spec, specDir, state);
}

// ---------------------------------------------------------------- approvals

type GateOutcome = 'approved' | 'rejected' | 'revised';

async function reviewGate(spec: ProjectSpec, state: ProjectState, gate: Gate, plan?: Recommendation): Promise<GateOutcome> {
  const status = state.status;
  const round = (state.rounds[gate] ?? 0) + 1;
  state.rounds[gate] = round;
  setPhase(state, GATE_PHASE[gate]);

  const summary = await acts.buildReview({
    gate,
    round,
    spec,
    context: {
      estimate: status.estimate,
      trainingJobs: status.trainingJobs,
      recommendation: status.recommendation,
      deployment: plan && { instanceType: plan.instanceType, instanceCount: plan.instanceCount },
      spendUsd: status.spendUsd,
      ...(status.loadTests ? { loadTests: status.loadTests } : {}),
      ...(state.revision && gate !== 'deployment' ? { previousSpec: state.revision.previousSpec, changeReason: state.revision.reason } : {}),
    },
  });
  status.reviews.push(summary);

  const roles = new Set(spec.approvals[gate]);
  const approvers = spec.stakeholders.filter((s) => roles.has(s.role));
  const requestedAt = new Date().toISOString();
  for (const approver of approvers) {
    status.approvals.push({ gate, round, email: approver.email, name: approver.name, role: approver.role, decision: '', requestedAt });
  }
  status.pendingGate = gate;
  await acts.requestApprovals({ projectId: spec.id, projectName: spec.name, gate, round, approvers, summary });

  const ballots = () => status.approvals.filter((a) => a.gate === gate && a.round === round);
  const rejection = () => ballots().find((a) => a.decision === 'rejected');
  const changeRequest = () => ballots().find((a) => a.decision === 'request-changes');
  const revised = () => state.pendingRevision !== undefined;
  await condition(() => revised() || !!rejection() || !!changeRequest() || ballots().every((a) => a.decision === 'approved'));
  const request = changeRequest();
  if (request && !revised() && !rejection()) {
    await acts.notify({
      projectId: spec.id,
      to: spec.owner,
      subject: `[mlops] ${spec.name}: changes requested in the ${gate} review`,
      text:
        `${request.name} <${request.email}> asked for changes before approving the ${gate} review of project ${spec.id}:\n\n${request.comment ?? ''}\n\n` +
        `Edit the spec and run \`mlops project revise ${spec.id} <spec.yaml>\`. The stakeholders then get a new review round that shows the cost difference.`,
    });
    await condition(() => revised() || !!rejection());
  }
  status.pendingGate = undefined;

  const rejected = rejection();
  if (rejected) {
    status.shutdownReason = `${gate} review rejected by ${rejected.email}${rejected.comment ? `: ${rejected.comment}` : ''}`;
    setPhase(state, 'rejected');
    return 'rejected';
  }
  const revision = state.pendingRevision;
  if (revision) {
    state.pendingRevision = undefined;
    const reason = revision.reason || (request ? `${request.name} requested changes: ${request.comment ?? ''}` : 'the owner revised the spec');
    // The diff of the next rounds compares with the spec the stakeholders reviewed in this round.
    state.revision = { previousSpec: spec, reason };
    state.spec = revision.spec;
    state.specDir = revision.specDir;
    status.budgetUsd = revision.spec.budgets.totalUsd;
    status.name = revision.spec.name;
    log.info('spec revised; back to the requirements review', { projectId: spec.id, gate, round });
    return 'revised';
  }
  return 'approved';
}

function validateRevision(state: ProjectState, spec: ProjectSpec, input: ReviseInput): void {
  const status = state.status;
  if (status.pendingGate !== 'requirements' && status.pendingGate !== 'cost') {
    throw new Error(
      `project ${status.projectId} is in phase ${status.phase}; a spec can be revised only during the requirements or cost review, before any resource is created`,
    );
  }
  if (input.spec.id !== spec.id) {
    throw new Error(`the revised spec has id '${input.spec.id}' but the project is '${spec.id}'; keep the id of the running project`);
  }
  // Who approves is fixed for the life of a project, so a revision cannot replace the stakeholders who asked for it.
  for (const field of ['stakeholders', 'approvals', 'owner', 'provider'] as const) {
    if (JSON.stringify(input.spec[field]) !== JSON.stringify(spec[field])) {
      throw new Error(`the revised spec changes ${field}, which a revision cannot change; keep it as it is, or start a new project`);
    }
  }
  if (state.pendingRevision) throw new Error(`project ${status.projectId} already has a revision waiting to be applied`);
  if (JSON.stringify(input.spec) === JSON.stringify(spec)) {
    throw new Error(`the revised spec is the same as the one under review for project ${status.projectId}; edit the file before sending it`);
  }
}

function findBallot(state: ProjectState, input: DecideInput): ApprovalRecord | undefined {
  const email = input.email.trim().toLowerCase();
  const round = state.rounds[input.gate];
  return state.status.approvals.find((a) => a.gate === input.gate && a.round === round && a.email.toLowerCase() === email);
}

function validateDecision(state: ProjectState, input: DecideInput): void {
  const status = state.status;
  if (input.decision !== 'approved' && input.decision !== 'rejected' && input.decision !== 'request-changes') {
    throw new Error(`invalid decision '${String(input.decision)}': expected 'approved', 'rejected' or 'request-changes'`);
  }
  if (input.decision === 'request-changes') {
    if (input.gate === 'deployment') {
      throw new Error('changes can be requested in the requirements and cost reviews only; reject the deployment review and start a revised project instead');
    }
    if (!input.comment?.trim()) throw new Error('missing comment: a change request needs a comment that says what to change');
  }
  if (status.pendingGate !== input.gate) {
    throw new Error(
      `the ${input.gate} gate is not open for decisions: project ${status.projectId} is in phase ${status.phase}`,
    );
  }
  const round = state.rounds[input.gate];
  if (input.round !== undefined && input.round !== round) {
    throw new Error(`this link is for round ${input.round} of the ${input.gate} review, which was replaced by round ${round}`);
  }
  const ballot = findBallot(state, input);
  if (!ballot) {
    throw new Error(`${input.email} is not an approver of the ${input.gate} gate of project ${status.projectId}`);
  }
  if (ballot.decision !== '') {
    const done = ballot.decision === 'request-changes' ? 'requested changes in' : ballot.decision;
    throw new Error(`${ballot.email} already ${done} the ${input.gate} review at ${ballot.at}`);
  }
}

function applyDecision(state: ProjectState, input: DecideInput) {
  const ballot = findBallot(state, input)!;
  ballot.decision = input.decision;
  ballot.comment = input.comment?.trim() || undefined;
  ballot.at = new Date().toISOString();
  log.info('decision recorded', { projectId: state.status.projectId, gate: input.gate, decision: input.decision, channel: input.channel });
  return { gate: input.gate, email: ballot.email, decision: input.decision, at: ballot.at, phase: state.status.phase };
}

function validateRedeploy(state: ProjectState): void {
  const status = state.status;
  if (status.phase !== 'shut-down') {
    throw new Error(`project ${status.projectId} is in phase ${status.phase}; only a shut-down endpoint can be redeployed`);
  }
  if (status.spendUsd >= status.budgetUsd) {
    throw new Error(
      `project ${status.projectId} has spent $${status.spendUsd.toFixed(2)} of its $${status.budgetUsd.toFixed(2)} budget; raise budgets.totalUsd before redeploying`,
    );
  }
}

// ---------------------------------------------------------------- deployment

/** Patch that load-tests the chosen model before the deployment review, when the spec has a loadTest section. */
const LOAD_TEST_PATCH = 'load-test';

/**
 * Measures throughput and latency on each instance type to review, on a
 * temporary endpoint the activity always deletes. A failed load test is
 * logged and the review falls back to the spec's figures.
 */
async function loadTest(spec: ProjectSpec, specDir: string, state: ProjectState, chosen: DeploymentChoice): Promise<void> {
  const status = state.status;
  status.loadTests = [];
  for (const instanceType of spec.loadTest?.instanceTypes ?? [chosen.plan.instanceType]) {
    try {
      status.loadTests.push(await loadTestActs.loadTestEndpoint({ spec, specDir, modelArtifacts: chosen.modelArtifacts, instanceType }));
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('load test failed', { projectId: spec.id, instanceType, error: describeError(err) });
    }
  }
}

interface DeploymentChoice {
  plan: Recommendation;
  modelArtifacts: string;
}

function chooseDeployment(
  spec: ProjectSpec,
  jobs: TrainingJobSummary[],
  recommendation: Recommendation | undefined,
  reason: string,
): DeploymentChoice {
  const completed = jobs.filter((j) => j.status === 'Completed' && j.modelArtifacts);
  const fromRecommendation =
    recommendation &&
    completed.find((j) => j.instanceType === recommendation.instanceType && j.instanceCount === recommendation.instanceCount && j.spot === recommendation.spot);
  const source = fromRecommendation ?? completed[0];
  if (!source || (!recommendation && spec.deployment.instanceType === 'recommended')) {
    throw ApplicationFailure.nonRetryable(`no benchmark configuration can be deployed: ${reason}`, 'NoDeployableModel');
  }
  const configuration: Recommendation = recommendation ?? { instanceType: source.instanceType, instanceCount: source.instanceCount, spot: source.spot, reason };
  const plan: Recommendation =
    spec.deployment.instanceType === 'recommended'
      ? { ...configuration, spot: false }
      : { instanceType: spec.deployment.instanceType, instanceCount: spec.deployment.instanceCount, spot: false, reason: 'instance type fixed in the spec' };
  return { plan, modelArtifacts: source.modelArtifacts! };
}

async function deploy(
  spec: ProjectSpec,
  specDir: string,
  state: ProjectState,
  target: { revision: number; modelArtifacts: string; configuration: Recommendation },
): Promise<void> {
  setPhase(state, 'deploying');
  const endpoint = await slowActs.deployEndpoint({
    spec,
    specDir,
    revision: target.revision,
    modelArtifacts: target.modelArtifacts,
    instanceType: target.configuration.instanceType,
    instanceCount: target.configuration.instanceCount,
  });
  state.status.endpoint = endpoint;
  state.status.endpoint = { ...endpoint, ...(await waitInService(spec, endpoint.name)) };
  const now = new Date().toISOString();
  const hostingUsd = state.monitoring?.hostingUsd;
  state.monitoring = {
    revision: target.revision,
    modelArtifacts: target.modelArtifacts,
    configuration: target.configuration,
    servingSince: now,
    lastCheckAt: now,
    lastInvocationAt: now,
    lastRetrainingAt: state.monitoring?.lastRetrainingAt,
    alertsSent: state.monitoring?.alertsSent ?? [],
    ...(hostingUsd !== undefined ? { hostingUsd } : {}),
    ...(state.monitoring?.lastRevision !== undefined ? { lastRevision: state.monitoring.lastRevision } : {}),
  };
  state.status.shutdownReason = undefined;
  setPhase(state, 'monitoring');
}

async function waitInService(spec: ProjectSpec, endpointName: string) {
  const pollSeconds = spec.provider === 'local' ? 1 : 30;
  const deadline = Date.now() + ENDPOINT_READY_TIMEOUT_SECONDS * 1000;
  for (;;) {
    const endpoint = await acts.describeEndpoint({ name: endpointName, target: providerTarget(spec) });
    if (!endpoint) throw ApplicationFailure.nonRetryable(`endpoint ${endpointName} disappeared while it was being created`, 'EndpointMissing');
    if (endpoint.status === 'InService') return endpoint;
    if (endpoint.status === 'Failed') {
      throw ApplicationFailure.nonRetryable(`endpoint ${endpointName} failed: ${endpoint.failureReason ?? 'no reason given'}`, 'EndpointFailed');
    }
    if (Date.now() >= deadline) {
      throw ApplicationFailure.nonRetryable(
        `endpoint ${endpointName} was still ${endpoint.status} after ${ENDPOINT_READY_TIMEOUT_SECONDS} s`,
        'EndpointTimeout',
      );
    }
    await sleep(`${pollSeconds}s`);
  }
}

// ---------------------------------------------------------------- monitoring

async function monitor(spec: ProjectSpec, specDir: string, state: ProjectState): Promise<void> {
  const status = state.status;
  for (;;) {
    if (status.phase === 'shut-down') {
      await condition(() => state.redeployRequested);
      state.redeployRequested = false;
      const m = state.monitoring!;
      await deploy(spec, specDir, state, { revision: m.revision, modelArtifacts: m.modelArtifacts, configuration: m.configuration });
      continue;
    }

    await sleep(`${spec.monitoring.intervalSeconds}s`);
    await checkOnce(spec, specDir, state);

    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof projectWorkflow>({ spec, specDir, resume: state });
    }
  }
}

async function checkOnce(spec: ProjectSpec, specDir: string, state: ProjectState): Promise<void> {
  const status = state.status;
  const m = state.monitoring!;
  const endpointName = status.endpoint!.name;
  const windowEnd = new Date().toISOString();
  const result = await acts.collectMonitoring({
    projectId: spec.id,
    target: providerTarget(spec),
    endpointName,
    windowStart: m.lastCheckAt,
    windowEnd,
    driftSince: m.servingSince,
    modelArtifacts: m.modelArtifacts,
    driftMinSamples: spec.monitoring.driftMinSamples,
  });
  meterHosting(spec, state, m.lastCheckAt, windowEnd);
  m.lastCheckAt = windowEnd;
  if (result.invocations > 0) m.lastInvocationAt = windowEnd;
  status.lastMonitoring = {
    at: windowEnd,
    invocations: result.invocations,
    invocationsTotal: (status.lastMonitoring?.invocationsTotal ?? 0) + result.invocations,
    errors: result.errors,
    latencyMsAvg: result.latencyMsAvg,
    driftScore: result.driftScore,
    spendUsd: currentSpend(spec, state, result.spendUsd),
  };
  setSpend(state, currentSpend(spec, state, result.spendUsd));
  if (costCheckDue(spec, status.costCheck?.at, windowEnd)) await checkCosts(spec, state, windowEnd);
  await sendBudgetAlerts(spec, state);

  if (status.spendUsd >= status.budgetUsd) {
    await shutDown(spec, state, `budget spent: $${status.spendUsd.toFixed(4)} of $${status.budgetUsd.toFixed(2)}`);
    return;
  }
  const idleSeconds = (Date.parse(windowEnd) - Date.parse(m.lastInvocationAt)) / 1000;
  if (idleSeconds >= spec.monitoring.idleWindowSeconds) {
    await shutDown(spec, state, `idle: no invocations for ${Math.round(idleSeconds)} s (idle window ${spec.monitoring.idleWindowSeconds} s)`);
    return;
  }
  if (result.driftScore !== undefined && result.driftScore >= spec.monitoring.driftThreshold && coolDownOver(spec, m, windowEnd)) {
    await retrain(spec, specDir, state, result.driftScore);
  }
}

/** Reconciles metered spend with Cost Explorer. A failed check is recorded and retried at the next interval: it never stops monitoring. */
async function checkCosts(spec: ProjectSpec, state: ProjectState, now: string): Promise<void> {
  const status = state.status;
  try {
    status.costCheck = await costActs.reconcileCosts({
      projectId: spec.id,
      target: providerTarget(spec),
      meteredUsd: status.spendUsd,
      since: status.phaseHistory[0].at,
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
    status.costCheck = {
      at: now,
      metric: spec.sagemaker?.costExplorer.metric ?? 'UnblendedCost',
      meteredUsd: status.spendUsd,
      notes: [`The Cost Explorer check failed: ${describeError(err)}`],
    };
  }
}

/** SageMaker projects compare metered spend with Cost Explorer every reconcileIntervalHours, since each call is charged. */
function costCheckDue(spec: ProjectSpec, lastAt: string | undefined, now: string): boolean {
  const settings = spec.sagemaker?.costExplorer;
  if (spec.provider !== 'sagemaker' || !settings) return false;
  return !lastAt || Date.parse(now) - Date.parse(lastAt) >= settings.reconcileIntervalHours * 3_600_000;
}

function coolDownOver(spec: ProjectSpec, m: MonitoringBookkeeping, now: string): boolean {
  if (!m.lastRetrainingAt) return true;
  return (Date.parse(now) - Date.parse(m.lastRetrainingAt)) / 1000 >= spec.retraining.cooldownSeconds;
}

async function retrain(spec: ProjectSpec, specDir: string, state: ProjectState, driftScore: number): Promise<void> {
  const status = state.status;
  const m = state.monitoring!;
  setPhase(state, 'retraining');
  const sequence = status.retrainings.length + 1;
  const result = await executeChild(retrainingWorkflow, {
    args: [{ spec, specDir, sequence, configuration: m.configuration, championArtifacts: m.modelArtifacts }],
    workflowId: `${workflowInfo().workflowId}-retraining-${sequence}`,
    cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  upsertJob(status, result.job);
  const at = new Date().toISOString();
  m.lastRetrainingAt = at;
  status.retrainings.push({
    at,
    driftScore,
    jobName: result.job.name,
    candidateMetric: result.candidateMetric,
    championMetric: result.championMetric,
    outcome: result.outcome,
    reason: result.reason,
  });

  if (result.outcome === 'deployed' && result.job.modelArtifacts) {
    const previousConfig = status.endpoint!.configName;
    // A revision number is never reused: the model and config of a rolled-back update keep theirs.
    const revision = Math.max(m.revision, m.lastRevision ?? 0) + 1;
    m.lastRevision = revision;
    const endpoint = await slowActs.updateEndpoint({
      spec,
      specDir,
      endpointName: status.endpoint!.name,
      revision,
      modelArtifacts: result.job.modelArtifacts,
      instanceType: m.configuration.instanceType,
      instanceCount: m.configuration.instanceCount,
    });
    const serving = await waitInService(spec, endpoint.name);
    status.endpoint = { ...endpoint, ...serving };
    if (serving.configName !== endpoint.configName) {
      await rolledBack(spec, state, { attempted: endpoint.configName, serving: serving.configName, failureReason: serving.failureReason });
      return;
    }
    // The old config is deleted only after the update finished, so a failed update can still roll back to it.
    await acts.deleteEndpointConfig({ name: previousConfig, target: providerTarget(spec) });
    m.revision = revision;
    m.modelArtifacts = result.job.modelArtifacts;
    m.servingSince = new Date().toISOString();
  }
  setPhase(state, 'monitoring');
}

/**
 * Handles an update that ended with the endpoint back on its old config (a
 * SageMaker rollback): the old model keeps serving on the old config, the
 * unused new config is deleted, and the owner gets an e-mail.
 */
async function rolledBack(
  spec: ProjectSpec,
  state: ProjectState,
  update: { attempted: string; serving: string; failureReason?: string },
): Promise<void> {
  const status = state.status;
  const retraining = status.retrainings[status.retrainings.length - 1];
  const reason =
    `the endpoint update to ${update.attempted} did not take effect and the endpoint serves ${update.serving} again` +
    `${update.failureReason ? ` (${update.failureReason})` : ''}; the serving model is kept`;
  retraining.outcome = 'failed';
  retraining.reason = `${retraining.reason}; ${reason}`;
  await acts.deleteEndpointConfig({ name: update.attempted, target: providerTarget(spec) });
  setPhase(state, 'monitoring');
  await acts.notify({
    projectId: spec.id,
    to: spec.owner,
    subject: `[mlops] ${spec.name}: model update rolled back`,
    text: `The retrained model of project ${spec.id} was not deployed: ${reason}.`,
  });
}

async function shutDown(spec: ProjectSpec, state: ProjectState, reason: string): Promise<void> {
  const status = state.status;
  await acts.deleteEndpoint({ name: status.endpoint!.name, target: providerTarget(spec) });
  status.endpoint = { ...status.endpoint!, status: 'Deleted', url: undefined };
  status.shutdownReason = reason;
  setPhase(state, 'shut-down');
  await acts.notify({
    projectId: spec.id,
    to: spec.owner,
    subject: `[mlops] ${spec.name}: endpoint shut down`,
    text: `The endpoint of project ${spec.id} was deleted (${reason}). The model and its endpoint config are kept; run \`mlops project redeploy ${spec.id}\` to bring it back.`,
  });
}

async function sendBudgetAlerts(spec: ProjectSpec, state: ProjectState): Promise<void> {
  const status = state.status;
  const m = state.monitoring!;
  const reached = spec.monitoring.budgetAlertThresholds
    .filter((t) => status.spendUsd >= t * status.budgetUsd && !m.alertsSent.includes(t))
    .sort((a, b) => a - b);
  if (reached.length === 0) return;
  const highest = reached[reached.length - 1];
  m.alertsSent.push(...reached);
  await acts.notify({
    projectId: spec.id,
    to: spec.owner,
    subject: `[mlops] ${spec.name}: ${Math.round(highest * 100)}% of the budget spent`,
    text: `Project ${spec.id} has spent $${status.spendUsd.toFixed(4)} of its $${status.budgetUsd.toFixed(2)} budget.`,
  });
}

// ---------------------------------------------------------------- cleanup and bookkeeping

/** Stops running training jobs and deletes the endpoint, so nothing keeps billing. */
async function releaseResources(spec: ProjectSpec, state: ProjectState): Promise<void> {
  const status = state.status;
  const target = providerTarget(spec);
  if (state.monitoring && status.endpoint && status.endpoint.status !== 'Deleted') {
    const now = new Date().toISOString();
    meterHosting(spec, state, state.monitoring.lastCheckAt, now);
    state.monitoring.lastCheckAt = now;
  }
  for (const job of status.trainingJobs) {
    if (job.status === 'InProgress' || job.status === 'Stopping') {
      await acts.stopTrainingJob({ name: job.name, target });
    }
  }
  if (status.endpoint && status.endpoint.status !== 'Deleted') {
    await acts.deleteEndpoint({ name: status.endpoint.name, target });
    status.endpoint = { ...status.endpoint, status: 'Deleted', url: undefined };
  }
}

/**
 * Waits a bounded time for stopped jobs to end and records the final spend,
 * so the status of an ended project shows what was billed.
 */
async function refreshFinalStatus(spec: ProjectSpec, state: ProjectState): Promise<void> {
  const status = state.status;
  for (let attempt = 0; attempt < 15; attempt++) {
    const running = status.trainingJobs.filter((j) => j.status === 'InProgress' || j.status === 'Stopping');
    if (running.length === 0) break;
    for (const job of running) {
      const latest = await acts.stopTrainingJob({ name: job.name, target: providerTarget(spec) });
      upsertJob(status, {
        ...job,
        status: latest.status,
        costUsd: latest.costUsd,
        durationSeconds: latest.durationSeconds,
        failureReason: latest.failureReason ?? job.failureReason,
      });
    }
    await sleep('2s');
  }
  setSpend(state, currentSpend(spec, state, await acts.projectSpend({ projectId: spec.id, target: providerTarget(spec) })));
}

/**
 * Returns the project's spend. The local provider meters jobs and endpoints
 * in its own ledger. On SageMaker the workflow meters the training jobs'
 * costs as DescribeTrainingJob reports them, plus the endpoint's price ×
 * instances × time in service, so the figure survives worker restarts.
 * Cost Explorer reconciles it later.
 */
function currentSpend(spec: ProjectSpec, state: ProjectState, providerSpendUsd: number): number {
  if (spec.provider === 'local') return providerSpendUsd;
  const trainingUsd = state.status.trainingJobs.reduce((total, job) => total + job.costUsd, 0);
  return trainingUsd + (state.monitoring?.hostingUsd ?? 0);
}

/** Adds the endpoint's cost over [from, to) to the metered hosting spend (SageMaker projects). */
function meterHosting(spec: ProjectSpec, state: ProjectState, from: string, to: string): void {
  const endpoint = state.status.endpoint;
  const m = state.monitoring;
  if (spec.provider === 'local' || !m || !endpoint || endpoint.status === 'Deleted') return;
  const hours = Math.max(0, Date.parse(to) - Date.parse(from)) / 3_600_000;
  m.hostingUsd = (m.hostingUsd ?? 0) + hours * (endpoint.pricePerHourUsd ?? 0) * endpoint.instanceCount;
}

function upsertJob(status: ProjectStatus, job: TrainingJobSummary): void {
  const index = status.trainingJobs.findIndex((j) => j.name === job.name);
  if (index >= 0) status.trainingJobs[index] = job;
  else status.trainingJobs.push(job);
}

function setPhase(state: ProjectState, phase: Phase): void {
  const status = state.status;
  if (status.phase === phase && status.phaseHistory.length > 0) return;
  status.phase = phase;
  status.phaseHistory.push({ phase, at: new Date().toISOString() });
  upsertSearchAttributes([{ key: phaseKey, value: phase }]);
}

function setSpend(state: ProjectState, spendUsd: number): void {
  state.status.spendUsd = spendUsd;
  upsertSearchAttributes([{ key: spendKey, value: spendUsd }]);
}

function lastActivePhase(status: ProjectStatus): Phase {
  return status.phaseHistory.length > 1 ? status.phaseHistory[status.phaseHistory.length - 2].phase : status.phase;
}

function isContinueAsNew(err: unknown): boolean {
  return err instanceof ContinueAsNew;
}

/** Joins the messages of an error and its causes, skipping the SDK's generic wrappers, so the root cause is shown. */
function describeError(err: unknown): string {
  const messages: string[] = [];
  for (let current: unknown = err; current; current = (current as { cause?: unknown }).cause) {
    const message = current instanceof Error ? current.message : String(current);
    const generic = /^(Activity task failed|Child Workflow execution failed|Workflow execution failed)$/i.test(message);
    if (message && !generic && !messages.includes(message)) messages.push(message);
    if (!(current instanceof Error)) break;
  }
  return messages.join(': ') || 'unknown error';
}
