/**
 * `mlops sweeper`: runs the sweeper workflow once and prints its report, or
 * keeps it running on a Temporal Schedule.
 */
import { randomUUID } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { EXIT } from '../domain/constants';
import { formatSweepReport, type SweepReport } from '../domain/sweep';
import type { sweeperWorkflow, SweeperInput } from '../workflows/sweeper';
import { connectClient, temporalSettings } from './temporal';

/** Id of the one sweeper schedule of a namespace. The workflows it starts get ids that begin with it. */
export const SWEEPER_SCHEDULE_ID = 'mlops-sweeper';

/**
 * Shortest interval `mlops sweeper schedule --every` accepts. Each sweep
 * calls ListTags once per resource, so sweeps should not run back to back.
 * The value is a judgment, not a measured limit.
 */
export const MIN_SWEEP_INTERVAL_MS = 5 * 60_000;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses an interval such as `90s`, `30m`, `1h` or `1d` into milliseconds. */
export function parseInterval(value: string): number {
  const match = /^(\d+)([smhd])$/.exec(value.trim());
  if (!match) {
    throw new InvalidArgumentError(`'${value}' is not an interval; expected a whole number and a unit s, m, h or d, such as 1h`);
  }
  const ms = Number(match[1]) * UNIT_MS[match[2]];
  if (ms < MIN_SWEEP_INTERVAL_MS) {
    throw new InvalidArgumentError(`'${value}' is shorter than the minimum interval of ${MIN_SWEEP_INTERVAL_MS / 60_000} minutes; choose 5m or more`);
  }
  return ms;
}

function parseEmail(value: string, previous: string[] = []): string[] {
  if (!/^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/.test(value.trim())) {
    throw new InvalidArgumentError(`'${value}' is not an e-mail address; give one address per --report-to`);
  }
  return [...previous, value.trim()];
}

function parseMinutes(value: string): number {
  const minutes = Number(value);
  if (value.trim() === '' || !Number.isFinite(minutes) || minutes < 0) {
    throw new InvalidArgumentError(`'${value}' is not a number of minutes; expected 0 or more`);
  }
  return minutes;
}

/** Starts one sweep on `taskQueue` and waits for its report. */
export async function runSweep(client: Client, taskQueue: string, input: SweeperInput): Promise<SweepReport> {
  const handle = await client.workflow.start<typeof sweeperWorkflow>('sweeperWorkflow', {
    taskQueue,
    workflowId: `${SWEEPER_SCHEDULE_ID}-run-${randomUUID()}`,
    args: [input],
  });
  return handle.result();
}

/**
 * Creates the sweeper schedule, or replaces the interval and input of the
 * existing one. Overlapping sweeps are skipped, and after an outage at most
 * one missed sweep is caught up.
 */
export async function scheduleSweeper(client: Client, taskQueue: string, options: { everyMs: number; input: SweeperInput }): Promise<'created' | 'updated'> {
  const spec = { intervals: [{ every: options.everyMs }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'sweeperWorkflow',
    workflowId: SWEEPER_SCHEDULE_ID,
    taskQueue,
    args: [options.input] as [SweeperInput],
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: options.everyMs };
  try {
    await client.schedule.create<typeof sweeperWorkflow>({ scheduleId: SWEEPER_SCHEDULE_ID, spec, action, policies });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(SWEEPER_SCHEDULE_ID).update<typeof sweeperWorkflow>((previous) => ({ ...previous, spec, action, policies }));
  return 'updated';
}

/** Deletes the sweeper schedule. Returns false when there was none. */
export async function unscheduleSweeper(client: Client): Promise<boolean> {
  try {
    await client.schedule.getHandle(SWEEPER_SCHEDULE_ID).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

interface SweepCommandOptions {
  dryRun?: boolean;
  reportTo?: string[];
  graceMinutes?: number;
}

function sweeperInput(options: SweepCommandOptions): SweeperInput {
  return {
    dryRun: options.dryRun === true,
    ...(options.reportTo?.length ? { reportTo: options.reportTo } : {}),
    ...(options.graceMinutes !== undefined ? { graceMinutes: options.graceMinutes } : {}),
  };
}

function addSweepOptions(command: Command): Command {
  return command
    .option('--dry-run', 'list what would be stopped or deleted, and change nothing')
    .addOption(new Option('--report-to <email>', 'send the report to this address; repeat for more').argParser(parseEmail))
    .addOption(new Option('--grace-minutes <minutes>', 'leave resources younger than this many minutes alone (default 15)').argParser(parseMinutes));
}

/** Connects with TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and MLOPS_TASK_QUEUE, and closes the connection after `work`. */
async function withClient<T>(work: (client: Client, taskQueue: string) => Promise<T>): Promise<T> {
  const settings = temporalSettings();
  const client = await connectClient(settings);
  try {
    return await work(client, settings.taskQueue);
  } finally {
    await client.connection.close();
  }
}

/** Adds `mlops sweeper run|schedule|unschedule` to `program`. */
export function registerSweeperCommand(program: Command): void {
  const sweeper = program
    .command('sweeper')
    .description('stop training jobs and delete endpoints that carry mlops tags but whose project has ended');

  addSweepOptions(sweeper.command('run'))
    .description('run one sweep, wait for it and print its report; exits with 1 when a stop or delete failed')
    .option('--json', 'print the report as JSON')
    .action(async (options: SweepCommandOptions & { json?: boolean }) => {
      const report = await withClient((client, taskQueue) => runSweep(client, taskQueue, sweeperInput(options)));
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatSweepReport(report));
      if (report.failed > 0) process.exitCode = EXIT.failure;
    });

  addSweepOptions(sweeper.command('schedule'))
    .description(`create or update the Temporal Schedule '${SWEEPER_SCHEDULE_ID}' that runs a sweep at a fixed interval`)
    .addOption(new Option('--every <interval>', 'time between sweeps, such as 30m, 1h or 1d (at least 5m)').argParser(parseInterval).makeOptionMandatory())
    .action(async (options: SweepCommandOptions & { every: number }) => {
      const input = sweeperInput(options);
      const result = await withClient((client, taskQueue) => scheduleSweeper(client, taskQueue, { everyMs: options.every, input }));
      const mode = input.dryRun ? 'dry runs' : 'sweeps';
      process.stdout.write(`${result} schedule ${SWEEPER_SCHEDULE_ID}: ${mode} every ${options.every / 60_000} minutes\n`);
    });

  sweeper
    .command('unschedule')
    .description(`delete the Temporal Schedule '${SWEEPER_SCHEDULE_ID}'; sweeps already running finish`)
    .action(async () => {
      const deleted = await withClient((client) => unscheduleSweeper(client));
      process.stdout.write(deleted ? `deleted schedule ${SWEEPER_SCHEDULE_ID}\n` : `no schedule ${SWEEPER_SCHEDULE_ID} exists; nothing to delete\n`);
    });
}
