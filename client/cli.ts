/**
 * The `mlops` command line: a thin layer over client/projects.ts,
 * client/stack.ts and the domain modules. Exit codes: 0 success, 1 failure,
 * 2 invalid input.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { END_PHASES, EXIT, GATES, type Gate } from '../domain/constants';
import { DecisionRejectedError, ProjectNotFoundError } from './approvals/backend';
import { runDemo } from './demo';
import { CliError, invalidInput } from './errors';
import { runEstimate } from './estimate-command';
import { formatListing, formatStatus } from './format';
import { loadPriceTable, runPricesRefresh } from './prices';
import { checkRunnable, loadSpec, ProjectClient } from './projects';
import { registerReportCommand } from './report/command';
import { mlopsHome, runApprovalServer, runDev, runWorker } from './stack';
import { registerSweeperCommand } from './sweeper';
import { connectClient, temporalSettings } from './temporal';
import { isLocalUrl, readRequestFile, replay, sageMakerInvoker } from './traffic';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`'${value}' is not a TCP port; expected an integer from 1 to 65535`);
  }
  return port;
}

function parsePositive(value: string): number {
  const number = Number(value);
  if (!(number > 0)) throw new InvalidArgumentError(`'${value}' is not a positive number`);
  return number;
}

function parseEmail(value: string): string {
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim())) {
    throw new InvalidArgumentError(`'${value}' is not an e-mail address; give the stakeholder's address from the spec`);
  }
  return value.trim();
}

function parseGate(value: string): Gate {
  if (!(GATES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`'${value}' is not a gate; expected one of ${GATES.join(', ')}`);
  }
  return value as Gate;
}

/** Returns the version in the repository's package.json, found upwards from this file (client/ or dist/client/). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

function print(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

async function projects(): Promise<ProjectClient> {
  const settings = temporalSettings();
  return new ProjectClient(await connectClient(settings), settings.taskQueue);
}

export function buildProgram(): Command {
  const program = new Command('mlops')
    .description('Cost-aware ML lifecycle orchestrator on Temporal')
    .version(packageVersion(), '--version', 'print the version of mlops')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('dev')
    .description('run the embedded stack: Temporal dev server, worker, approval server and mail outbox')
    .addOption(new Option('--temporal-port <port>', 'Temporal frontend port').argParser(parsePort).default(7233))
    .addOption(new Option('--approvals-port <port>', 'approval web server port').argParser(parsePort).default(8787))
    .action(async (options: { temporalPort: number; approvalsPort: number }) => {
      await runDev({ home: mlopsHome(), temporalPort: options.temporalPort, approvalsPort: options.approvalsPort });
    });

  program
    .command('worker')
    .description('run a lifecycle worker against TEMPORAL_ADDRESS')
    .action(async () => {
      await runWorker({ home: mlopsHome() });
    });

  program
    .command('approvals')
    .description('the approval web server')
    .command('serve')
    .description('serve approval pages against TEMPORAL_ADDRESS')
    .addOption(new Option('--port <port>', 'listen port').argParser(parsePort).env('MLOPS_APPROVALS_PORT').default(8787))
    .action(async (options: { port: number }) => {
      await runApprovalServer({ home: mlopsHome(), port: options.port });
    });

  program
    .command('estimate')
    .description('estimate the cost of a project spec, offline')
    .argument('<spec>', 'project spec YAML file')
    .option('--compare <other-spec>', 'print the line-by-line change from <spec> to this spec instead')
    .option('--json', 'print JSON')
    .action((specFile: string, options: { json?: boolean; compare?: string }) => {
      const result = runEstimate(specFile, { home: mlopsHome(), compare: options.compare });
      print(options.json, result.json, () => result.text);
    });

  program
    .command('prices')
    .description('the price table estimates use: $MLOPS_PRICES, else $MLOPS_HOME/prices.json, else the bundled table')
    .command('refresh')
    .description('rebuild the training and hosting prices of a region from the AWS Price List API (needs AWS credentials)')
    .option('--region <region>', 'AWS region whose SageMaker prices to fetch', 'us-east-1')
    .option('--out <file>', 'file to write, instead of $MLOPS_PRICES or $MLOPS_HOME/prices.json')
    .action(async (options: { region: string; out?: string }) => {
      const { message } = await runPricesRefresh({ home: mlopsHome(), region: options.region, out: options.out });
      process.stdout.write(`${message}\n`);
    });

  program
    .command('demo')
    .description('run the quickstart project through its whole life on the embedded stack')
    .option('--approve-as-stakeholders', 'open each approval link and press Approve as each stakeholder would')
    .option('--json', 'print the summary as JSON')
    .addOption(new Option('--temporal-port <port>', 'Temporal frontend port').argParser(parsePort).default(7233))
    .addOption(new Option('--approvals-port <port>', 'approval web server port').argParser(parsePort).default(8787))
    .option('--spec <file>', 'project spec to run', path.join('examples', 'quickstart', 'project.yaml'))
    .action(async (options: { approveAsStakeholders?: boolean; json?: boolean; temporalPort: number; approvalsPort: number; spec: string }) => {
      const summary = await runDemo({ home: mlopsHome(), ...options });
      print(options.json, summary.json, () => summary.text);
    });

  program
    .command('traffic')
    .description("replay a request file against a project's endpoint")
    .argument('<id>', 'project id')
    .requiredOption('--file <file>', 'request file: one JSON body per line')
    .addOption(new Option('--rate <rate>', 'requests per second').argParser(parsePositive).default(5))
    .option('--json', 'print JSON')
    .action(async (id: string, options: { file: string; rate: number; json?: boolean }) => {
      const bodies = readRequestFile(options.file);
      const status = await (await projects()).getStatus(id);
      if (!status.endpoint?.url || status.endpoint.status !== 'InService') {
        const advice = (END_PHASES as readonly string[]).includes(status.phase)
          ? 'the project has ended, so start a new one'
          : status.phase === 'shut-down'
            ? `run \`mlops project redeploy ${id}\` first`
            : 'wait for the monitoring phase';
        throw new CliError(`project ${id} has no endpoint in service (phase ${status.phase}); ${advice}`);
      }
      // A SageMaker endpoint is called through the SDK (signed, AWS_ENDPOINT_URL honoured); a local one over plain HTTP.
      const invoke = isLocalUrl(status.endpoint.url) ? undefined : sageMakerInvoker(status.endpoint.name);
      const result = await replay({ url: status.endpoint.url, invoke, bodies, rate: options.rate });
      const firstError = result.firstError ? `; first error: ${result.firstError}` : '';
      print(options.json, result, () => `sent ${result.sent} requests: ${result.ok} ok, ${result.failed} failed${firstError}`);
      if (result.failed > 0) process.exitCode = EXIT.failure;
    });

  registerReportCommand(program, projects);
  registerSweeperCommand(program);

  const project = program.command('project').description('start and inspect projects');

  project
    .command('start')
    .description('start a project from its spec; fails with exit code 2 when the spec cannot run')
    .argument('<spec>', 'project spec YAML file')
    .option('--id <id>', 'project id, instead of the one in the spec')
    .option('--json', 'print JSON')
    .action(async (specFile: string, options: { id?: string; json?: boolean }) => {
      const { spec, specDir } = loadSpec(specFile);
      if (options.id !== undefined) {
        if (!/^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/.test(options.id)) {
          throw invalidInput(`invalid --id '${options.id}': expected 3 to 40 lowercase letters, digits or hyphens`);
        }
        spec.id = options.id;
      }
      checkRunnable(spec, specDir, loadPriceTable(mlopsHome()));
      const workflowId = await (await projects()).start(spec, specDir);
      print(options.json, { projectId: spec.id, workflowId }, () => `started project ${spec.id} (workflow ${workflowId})`);
    });

  project
    .command('status')
    .description('show the phase, approvals, training jobs, endpoint, retrainings and spend of a project')
    .argument('<id>', 'project id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const status = await (await projects()).getStatus(id);
      print(options.json, status, () => formatStatus(status));
    });

  project
    .command('list')
    .description('list every project with its phase, owner and spend')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const rows = await (await projects()).list();
      print(options.json, rows, () => formatListing(rows));
    });

  const DECISION_OF = { approve: 'approved', reject: 'rejected', 'request-changes': 'request-changes' } as const;
  const DECISION_VERB = { approved: 'approved', rejected: 'rejected', 'request-changes': 'requested changes in' } as const;
  for (const decision of ['approve', 'reject', 'request-changes'] as const) {
    project
      .command(decision)
      .description(
        decision === 'request-changes'
          ? 'ask the owner to revise the spec before approving the requirements or cost review (--comment says what to change)'
          : `${decision} the open review of a gate as one stakeholder`,
      )
      .argument('<id>', 'project id')
      .addOption(
        new Option('--gate <gate>', `review gate: ${(decision === 'request-changes' ? GATES.filter((g) => g !== 'deployment') : GATES).join(', ')}`)
          .argParser(parseGate)
          .makeOptionMandatory(),
      )
      .addOption(new Option('--as <email>', 'e-mail of the stakeholder deciding').argParser(parseEmail).makeOptionMandatory())
      .option('--comment <text>', decision === 'request-changes' ? 'what to change (required)' : 'comment recorded with the decision')
      .option('--json', 'print JSON')
      .action(async (id: string, options: { gate: Gate; as: string; comment?: string; json?: boolean }) => {
        if (decision === 'request-changes' && !options.comment?.trim()) {
          throw invalidInput('missing --comment: a change request must say what to change, such as --comment "plan for twice the users"');
        }
        if (decision === 'request-changes' && options.gate === 'deployment') {
          throw invalidInput('invalid --gate deployment: changes can be requested in the requirements and cost reviews only; reject the deployment review instead');
        }
        const result = await (await projects()).decide(id, {
          gate: options.gate,
          email: options.as,
          decision: DECISION_OF[decision],
          comment: options.comment,
          channel: 'cli',
        });
        print(options.json, result, () => `${result.email} ${DECISION_VERB[result.decision]} the ${result.gate} review of ${id} at ${result.at}`);
      });
  }

  project
    .command('revise')
    .description('send a revised spec to a project in its requirements or cost review; a new review round shows the cost difference')
    .argument('<id>', 'project id')
    .argument('<spec>', 'revised project spec YAML file, with the same id')
    .option('--reason <text>', 'what changed and why, shown to the stakeholders')
    .option('--json', 'print JSON')
    .action(async (id: string, specFile: string, options: { reason?: string; json?: boolean }) => {
      const { spec, specDir } = loadSpec(specFile);
      if (spec.id !== id) throw invalidInput(`the spec ${specFile} has id '${spec.id}', not '${id}': keep the id of the running project`);
      checkRunnable(spec, specDir, loadPriceTable(mlopsHome()));
      const result = await (await projects()).revise(id, spec, specDir, options.reason);
      print(options.json, result, () => `revised project ${id}; round ${result.round} of the requirements review is being sent to the stakeholders`);
    });

  project
    .command('redeploy')
    .description('bring a shut-down endpoint back into service')
    .argument('<id>', 'project id')
    .action(async (id: string) => {
      await (await projects()).redeploy(id);
      process.stdout.write(`redeploying the endpoint of ${id}; follow it with \`mlops project status ${id}\`\n`);
    });

  project
    .command('stop')
    .description('stop the training jobs, delete the endpoint and close the project')
    .argument('<id>', 'project id')
    .option('--reason <text>', 'why the project is stopped', 'stopped from the CLI')
    .action(async (id: string, options: { reason: string }) => {
      await (await projects()).stop(id, options.reason);
      process.stdout.write(`asked project ${id} to stop; it releases its resources and ends as closed\n`);
    });

  return program;
}

/** Runs the CLI and returns the exit code. Errors are printed to stderr and turned into exit codes, not rethrown. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
    return EXIT.invalidInput;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`mlops: ${message}\n`);
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof DecisionRejectedError || err instanceof ProjectNotFoundError) return EXIT.failure;
  if (process.env.MLOPS_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT.failure;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    () => process.exit(EXIT.failure),
  );
}
