/**
 * `mlops demo`: runs the quickstart project through its whole life on the
 * embedded stack, using only public interfaces: the CLI's project client,
 * the e-mails in the outbox, the approval pages over HTTP and the endpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { EXIT, type Phase } from '../domain/constants';
import type { ProjectStatus } from '../domain/status';
import { CliError } from './errors';
import { createLogger } from './logger';
import { loadSpec, ProjectClient } from './projects';
import { ensureHome, startEmbeddedStack } from './stack';
import { connectClient, temporalSettings } from './temporal';
import { readRequestFile, replay } from './traffic';

export interface DemoOptions {
  home: string;
  spec: string;
  approveAsStakeholders?: boolean;
  json?: boolean;
  temporalPort: number;
  approvalsPort: number;
  /** Upper bound on the whole demo, in seconds. */
  timeoutSeconds?: number;
}

export interface DemoSummary {
  json: Record<string, unknown>;
  text: string;
}

interface ApprovalMail {
  file: string;
  to: string;
  subject: string;
  link: string;
}

const LINK_PATTERN = /https?:\/\/[^\s"'<>]+\/approvals\/[A-Za-z0-9._~-]+/;

function say(message: string): void {
  process.stderr.write(`demo: ${message}\n`);
}

/** Reads approval e-mails that arrived in the outbox since the last call. */
class OutboxReader {
  private readonly seen = new Set<string>();
  constructor(private readonly dir: string) {}

  async next(): Promise<ApprovalMail[]> {
    if (!fs.existsSync(this.dir)) return [];
    const files = fs.readdirSync(this.dir).filter((f) => f.endsWith('.eml') && !this.seen.has(f)).sort();
    const mails: ApprovalMail[] = [];
    for (const file of files) {
      this.seen.add(file);
      const parsed = await simpleParser(fs.readFileSync(path.join(this.dir, file)));
      const link = parsed.text?.match(LINK_PATTERN)?.[0];
      const to = Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : parsed.to?.text ?? '';
      if (link) mails.push({ file, to, subject: parsed.subject ?? '', link });
    }
    return mails;
  }
}

/** Loads an approval page as a stakeholder's browser would, then submits Approve. */
async function approveThroughPage(link: string): Promise<string> {
  const page = await fetch(link);
  const html = await page.text();
  if (page.status !== 200 || !html.includes('name="decision"')) {
    throw new CliError(`the approval page ${new URL(link).origin}/approvals/… returned HTTP ${page.status} without a decision form`);
  }
  const response = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ decision: 'approved', comment: 'approved by mlops demo' }).toString(),
  });
  await response.text();
  return `HTTP ${response.status}`;
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { spec, specDir } = loadSpec(options.spec);
  spec.id = `${spec.id.slice(0, 24)}-${new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14)}`;
  ensureHome(options.home);
  const logger = createLogger('mlops-demo', fs.createWriteStream(path.join(options.home, 'logs', 'demo.log'), { flags: 'a' }));
  const deadline = Date.now() + (options.timeoutSeconds ?? 20 * 60) * 1000;

  const stack = await startEmbeddedStack({ home: options.home, temporalPort: options.temporalPort, approvalsPort: options.approvalsPort, logger });
  // Ctrl-C ends the demo through its failure path, which closes the project
  // (releasing its endpoint) before the stack stops.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    say(`received ${signal}: closing the project and stopping the stack`);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  say(`embedded stack ready: Temporal ${stack.temporalAddress}${stack.temporalUiUrl ? ` (UI ${stack.temporalUiUrl})` : ''}, approvals ${stack.approvalsUrl}, outbox ${stack.outboxDir}`);
  const client = await connectClient({ address: stack.temporalAddress, namespace: process.env.TEMPORAL_NAMESPACE || 'default' });
  const projects = new ProjectClient(client, temporalSettings().taskQueue);
  const outbox = new OutboxReader(stack.outboxDir);
  await outbox.next(); // mails of earlier runs are not this project's

  try {
    await projects.start(spec, specDir);
    say(`started project ${spec.id}`);
    const phasesSeen: Phase[] = [];
    let status = await projects.getStatus(spec.id);

    const waitFor = async (what: string, done: (s: ProjectStatus) => boolean, onTick?: () => Promise<void>) => {
      const started = Date.now();
      let lastProgressAt = 0;
      for (;;) {
        status = await projects.getStatus(spec.id);
        for (const p of status.phaseHistory) if (!phasesSeen.includes(p.phase)) phasesSeen.push(p.phase);
        if (done(status)) return;
        if (interrupted) throw new CliError(`interrupted by ${interrupted} while waiting for ${what}`);
        if (['rejected', 'failed', 'closed'].includes(status.phase)) {
          throw new CliError(`project ended in phase ${status.phase} while waiting for ${what}: ${status.failure ?? status.shutdownReason ?? ''}`);
        }
        if (Date.now() > deadline) throw new CliError(`timed out waiting for ${what} (phase ${status.phase}); see the logs in ${stack.logsDir}`);
        await onTick?.();
        if (Date.now() - lastProgressAt > 10_000) {
          say(`waiting for ${what} (phase ${status.phase}, ${Math.round((Date.now() - started) / 1000)} s so far)`);
          lastProgressAt = Date.now();
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    };

    const handleMail = async () => {
      for (const mail of await outbox.next()) {
        say(`e-mail to ${mail.to}: ${mail.subject}`);
        say(`  approval link: ${mail.link}`);
        if (options.approveAsStakeholders) {
          say(`  opened the page and pressed Approve as ${mail.to}: ${await approveThroughPage(mail.link)}`);
        }
      }
    };
    if (!options.approveAsStakeholders) say('open each approval link above in a browser to approve, or run again with --approve-as-stakeholders');
    await waitFor('the approvals, the benchmark and the deployment', (s) => s.phase === 'monitoring', handleMail);
    say(`endpoint ${status.endpoint?.name} is in service at ${status.endpoint?.url}`);

    const examples = path.join(specDir, 'requests');
    const training = readRequestFile(path.join(examples, 'training-period.jsonl'));
    const later = readRequestFile(path.join(examples, 'later-period.jsonl'));
    say(`replaying ${training.length} training-period requests`);
    const first = await replay({ url: status.endpoint!.url!, bodies: training, rate: 20 });
    say(`training-period traffic: ${first.ok} ok, ${first.failed} failed`);

    say('replaying later-period requests until drift triggers a retraining');
    let trafficStop = false;
    const laterTraffic = (async () => {
      let sent = 0;
      while (!trafficStop) {
        const url = status.endpoint?.url;
        if (!url || status.phase !== 'monitoring') {
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        sent += (await replay({ url, bodies: later, rate: 20, shouldStop: () => trafficStop })).sent;
      }
      return sent;
    })();
    try {
      await waitFor('a retraining', (s) => s.retrainings.length > 0 && s.phase === 'monitoring', handleMail);
    } finally {
      trafficStop = true;
    }
    const laterSent = await laterTraffic;
    const retraining = status.retrainings[0];
    say(`retraining ${retraining.jobName}: ${retraining.outcome} (${retraining.reason})`);

    say('traffic stopped; waiting for the idle shutdown');
    await waitFor('the idle shutdown', (s) => s.phase === 'shut-down', handleMail);
    say(`endpoint shut down: ${status.shutdownReason}`);

    await projects.stop(spec.id, 'demo finished');
    await waitFor('the project to close', (s) => s.phase === 'closed').catch((err) => {
      if (!(err instanceof CliError && status.phase === 'closed')) throw err;
    });
    return summarize(status, phasesSeen, { trainingPeriod: first.sent, laterPeriod: laterSent });
  } catch (err) {
    await closeProject(projects, spec.id, interrupted ? 'demo interrupted' : 'demo failed');
    throw err instanceof CliError ? err : new CliError(`demo failed: ${(err as Error).message}`, EXIT.failure, { cause: err });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await client.connection.close();
    await stack.stop();
  }
}

/** Asks the project to close and waits a bounded time for it to release its resources. */
async function closeProject(projects: ProjectClient, projectId: string, reason: string): Promise<void> {
  try {
    await projects.stop(projectId, reason);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await projects.getStatus(projectId)).phase !== 'closed') {
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch {
    // The project may never have started or may have ended already; the stack stops either way.
  }
}


function summarize(status: ProjectStatus, phases: Phase[], requests: Record<string, number>): DemoSummary {
  const json = {
    projectId: status.projectId,
    phases,
    approvals: status.approvals.map((a) => ({ gate: a.gate, email: a.email, decision: a.decision, at: a.at })),
    trainingJobs: status.trainingJobs.map((j) => ({
      name: j.name,
      purpose: j.purpose,
      instanceType: j.instanceType,
      status: j.status,
      costUsd: j.costUsd,
      stopped: j.stopped,
    })),
    retrainings: status.retrainings,
    shutdownReason: status.shutdownReason,
    spendUsd: status.spendUsd,
    budgetUsd: status.budgetUsd,
    requests,
  };
  const lines = [
    `project ${status.projectId}`,
    `phases: ${phases.join(' -> ')}`,
    `approvals: ${status.approvals.map((a) => `${a.gate}/${a.email} ${a.decision || 'pending'}`).join(', ')}`,
    'training jobs:',
    ...status.trainingJobs.map(
      (j) => `  ${j.name} ${j.instanceType} ${j.status} $${j.costUsd.toFixed(4)}${j.stopped ? ' (stopped at its cost cap)' : ''}`,
    ),
    `retrainings: ${status.retrainings.map((r) => `${r.jobName} drift ${r.driftScore.toFixed(3)} ${r.outcome}`).join(', ') || 'none'}`,
    `shutdown: ${status.shutdownReason ?? 'none'}`,
    `spend: $${status.spendUsd.toFixed(4)} of $${status.budgetUsd.toFixed(2)} budget`,
  ];
  return { json, text: lines.join('\n') };
}
