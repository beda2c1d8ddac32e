/**
 * The `mlops` command as a child process: exit codes, messages on invalid
 * input, the estimate, and the project commands against the Temporal dev
 * server of the test run, with an in-process worker on the CLI's task queue.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { EXIT, TASK_QUEUE } from '../../domain/constants';
import type { CostEstimate } from '../../domain/estimate';
import { PRICE_TABLE } from '../../domain/prices';
import type { ProjectStatus } from '../../domain/status';
import type { ProjectListing } from '../../client/projects';
import { Harness, QUICKSTART_DIR, REPO_ROOT } from '../support/harness';
import { assertBuildIsCurrent, cliEnv, runCli, runCliJson, waitForCliStatus } from './cli-process';

const QUICKSTART_SPEC = path.join(QUICKSTART_DIR, 'project.yaml');
const IMAGE_SPEC = path.join(REPO_ROOT, 'examples', 'image-classification', 'project.yaml');

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cli-'));
/** CLI environment without a Temporal server, for commands that must fail before they connect. */
const offline = cliEnv(home);

beforeAll(() => assertBuildIsCurrent());

/** Writes `text` into a temporary spec file and returns its path. */
function writeSpec(name: string, text: string): string {
  const file = path.join(home, `${name}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

/** The quickstart spec as a plain object, for making one field invalid. */
function quickstartObject(): Record<string, any> {
  return parse(fs.readFileSync(QUICKSTART_SPEC, 'utf8'));
}

describe('mlops estimate', () => {
  test('prints the reference case figures', async () => {
    const result = await runCli(['estimate', IMAGE_SPEC], offline);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/Training: \$64\.00 for one run/);
    expect(result.stdout).toMatch(/Inference: \$0\.70 per hour/);
    expect(result.stdout).toMatch(/First 24 hours: \$80\.80/);
  });

  test('json output carries the same figures', async () => {
    const result = await runCli(['estimate', IMAGE_SPEC, '--json'], offline);
    expect(result.code).toBe(EXIT.ok);
    const estimate = JSON.parse(result.stdout) as CostEstimate;
    expect(estimate.training.usd).toBe(64);
    expect(estimate.inference.perHourUsd).toBe(0.7);
    expect(estimate.totals.first24HoursUsd).toBe(80.8);
    expect(estimate.training.instanceType).toBe('ml.p3.2xlarge');
    expect(estimate.inference.basis).toBe('per-request');
  });
});

describe('mlops estimate --compare', () => {
  /** The image-classification example with twice the users and twice the training hours. */
  function biggerImageSpec(): string {
    const spec = parse(fs.readFileSync(IMAGE_SPEC, 'utf8'));
    spec.requirements.userScale.users = 24000;
    spec.training.expectedHours = 8;
    return writeSpec('image-bigger', stringify(spec));
  }

  test('text diff marks changed lines', async () => {
    const after = biggerImageSpec();
    const result = await runCli(['estimate', IMAGE_SPEC, '--compare', after], offline);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`Estimate diff: ${IMAGE_SPEC} -> ${after}`);
    // 4 h → 8 h at $16/h; 10,000 → 20,000 requests/h at $0.00007.
    expect(lines.find((l) => l.includes('training, one run'))).toMatch(/^\+ +training, one run +\$64\.00 +\$128\.00 +\+\$64\.00$/);
    expect(lines.find((l) => l.includes('inference per hour'))).toMatch(/^\+ +inference per hour +\$0\.70 +\$1\.40 +\+\$0\.70$/);
    expect(lines.find((l) => l.includes('inference per month'))).toMatch(/\$511\.00 +\$1,022\.00 +\+\$511\.00$/);
    expect(lines.find((l) => /^ +region /.test(l))).toMatch(/us-east-1 +us-east-1$/);
    expect(result.stdout).toMatch(/lines changed; the cost per month changes by \+\$/);
  });

  test('json diff carries signed changes', async () => {
    const result = await runCli(['estimate', biggerImageSpec(), '--compare', IMAGE_SPEC, '--json'], offline);
    expect(result.code).toBe(EXIT.ok);
    const diff = JSON.parse(result.stdout) as { lines: { item: string; before: number; after: number; change: number; mark: string }[] };
    const training = diff.lines.find((l) => l.item === 'training, one run');
    expect(training).toEqual({ item: 'training, one run', kind: 'usd', before: 128, after: 64, change: -64, mark: '-' });
  });

  test('compare with itself shows no change', async () => {
    const result = await runCli(['estimate', IMAGE_SPEC, '--compare', IMAGE_SPEC], offline);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('No change.');
  });
});

describe('price table file', () => {
  test('home prices.json changes estimate', async () => {
    const tableHome = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cli-prices-'));
    const table = structuredClone(PRICE_TABLE) as any;
    table.date = '2026-12-01';
    table.regions['us-east-1'].training['ml.m5.large'] = 1;
    fs.writeFileSync(path.join(tableHome, 'prices.json'), JSON.stringify(table));
    const spec = quickstartObject();
    spec.estimate = { trainingInstanceType: 'ml.m5.large' };
    delete spec.prices;
    const file = writeSpec('table-file', stringify(spec));

    const result = await runCli(['estimate', file, '--json'], cliEnv(tableHome));

    expect(result.stderr).toBe('');
    const estimate = JSON.parse(result.stdout) as CostEstimate;
    expect(estimate.prices.tableDate).toBe('2026-12-01');
    expect(estimate.training.pricePerHourUsd).toBe(1);
    expect(estimate.training.priceSource).toBe('table 2026-12-01 us-east-1');
  });

  test('refresh rejects bad region', async () => {
    const result = await runCli(['prices', 'refresh', '--region', 'Virginia'], offline);
    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toContain("invalid --region 'Virginia': expected an AWS region such as us-east-1");
  });
});

describe('invalid spec', () => {
  const cases: { name: string; edit: (spec: Record<string, any>) => void; field: RegExp; value: RegExp; expected: RegExp }[] = [
    {
      name: 'bad id',
      edit: (spec) => (spec.id = 'Car_MPG'),
      field: /^ {2}id: /m,
      value: /got "Car_MPG"/,
      expected: /expected 3 to 40 lowercase letters/,
    },
    {
      name: 'wrong type',
      edit: (spec) => (spec.requirements.userScale.users = 'lots'),
      field: /requirements\.userScale\.users: /,
      value: /got "lots"/,
      expected: /expected a number/,
    },
    {
      name: 'missing required field',
      edit: (spec) => delete spec.budgets.perTrainingJobUsd,
      field: /budgets\.perTrainingJobUsd: /,
      value: /: missing;/,
      expected: /expected a number/,
    },
    {
      name: 'unknown field',
      edit: (spec) => (spec.training.candidates[1].colour = 'blue'),
      field: /training\.candidates\[1\]\.colour: /,
      value: /got "blue"/,
      expected: /unknown field; expected only instanceType, instanceCount, spot/,
    },
  ];

  test.each(cases)('$name exits 2 naming the field', async ({ name, edit, field, value, expected }) => {
    const spec = quickstartObject();
    edit(spec);
    const file = writeSpec(name.replace(/ /g, '-'), stringify(spec));

    const result = await runCli(['estimate', file], offline);

    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`invalid project spec ${file}`);
    expect(result.stderr).toMatch(field);
    expect(result.stderr).toMatch(value);
    expect(result.stderr).toMatch(expected);
  });

  test('invalid YAML exits 2 with line', async () => {
    const file = writeSpec('broken-yaml', 'id: [car-mpg, other\nname: Fuel economy\n');

    const result = await runCli(['estimate', file], offline);

    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toContain(`invalid project spec ${file}`);
    expect(result.stderr).toMatch(/got "name: Fuel economy"/);
    expect(result.stderr).toMatch(/expected valid YAML at line 2, column 1/);
  });

  test('project start rejects it before connecting', async () => {
    const spec = quickstartObject();
    spec.owner = 'not-an-address';
    const file = writeSpec('bad-owner', stringify(spec));

    const result = await runCli(['project', 'start', file], cliEnv(home, '127.0.0.1:1'));

    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toMatch(/owner: got "not-an-address"; expected an e-mail address/);
    expect(result.stderr).not.toMatch(/Temporal server/);
  });

  test('missing spec file exits 2', async () => {
    const file = path.join(home, 'no-such-spec.yaml');

    const result = await runCli(['estimate', file], offline);

    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/no such file; give the path of a project spec YAML file/);
  });
});

describe('command line usage', () => {
  test('version prints the package version', async () => {
    const result = await runCli(['--version'], offline);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  test('change request without comment exits 2', async () => {
    const result = await runCli(['project', 'request-changes', 'churn', '--gate', 'cost', '--as', 'bea@example.com', '--comment', ' '], offline);
    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toMatch(/missing --comment/);
  });

  test('change request at deployment exits 2', async () => {
    const result = await runCli(
      ['project', 'request-changes', 'churn', '--gate', 'deployment', '--as', 'bea@example.com', '--comment', 'smaller'],
      offline,
    );
    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toMatch(/invalid --gate deployment: .*reject the deployment review instead/);
  });

  test('unknown command exits 2', async () => {
    const result = await runCli(['frobnicate'], offline);
    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  test('unknown option exits 2', async () => {
    const result = await runCli(['estimate', IMAGE_SPEC, '--colour'], offline);
    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toMatch(/unknown option '--colour'/);
    expect(result.stdout).toBe('');
  });

  test('bogus gate names the valid gates', async () => {
    const result = await runCli(['project', 'approve', 'car-mpg', '--gate', 'bogus', '--as', 'x@example.com'], offline);
    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toMatch(/'bogus' is not a gate; expected one of requirements, cost, deployment/);
  });

  test('invalid --id exits 2', async () => {
    const result = await runCli(['project', 'start', QUICKSTART_SPEC, '--id', 'Bad_Id'], offline);
    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toMatch(/invalid --id 'Bad_Id'/);
  });

  test('traffic with missing file exits 2', async () => {
    const file = path.join(home, 'no-such-requests.jsonl');
    const result = await runCli(['traffic', 'car-mpg', '--file', file], offline);
    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toContain(file);
  });

  test('traffic with zero rate exits 2', async () => {
    const file = path.join(QUICKSTART_DIR, 'requests', 'training-period.jsonl');
    const result = await runCli(['traffic', 'car-mpg', '--file', file, '--rate', '0'], offline);
    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toMatch(/'0' is not a positive number/);
  });
});

describe('project commands against Temporal', () => {
  // The CLI starts workflows on the default task queue; no other test file may poll it.
  const harness = new Harness(fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cli-worker-')), TASK_QUEUE);
  const projectId = `cli-${Date.now().toString(36)}`;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    await harness.start();
    env = cliEnv(home, process.env.TEMPORAL_ADDRESS);
  });
  afterAll(async () => {
    await harness.projects.stop(projectId, 'cli test finished').catch(() => undefined);
    await harness.stop();
  });

  test('status of unknown project exits 1', async () => {
    const result = await runCli(['project', 'status', 'nosuchproject'], env);
    expect(result.code).toBe(EXIT.failure);
    expect(result.stderr).toMatch(/project nosuchproject not found: `mlops project list` shows the projects/);
  });

  test('start prints the workflow id', async () => {
    const result = await runCli(['project', 'start', QUICKSTART_SPEC, '--id', projectId, '--json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.stdout)).toEqual({ projectId, workflowId: `mlops-project-${projectId}` });
  });

  test('status json has the documented fields', async () => {
    const status = await waitForCliStatus(projectId, env, 'requirements approvals', (s) => s.pendingGate === 'requirements');

    expect(status.projectId).toBe(projectId);
    expect(status.phase).toBe('requirements-review');
    expect(status.trainingJobs).toEqual([]);
    expect(status.endpoint).toBeUndefined();
    expect(status.retrainings).toEqual([]);
    expect(status.spendUsd).toBe(0);
    expect(status.budgetUsd).toBe(5);
    const pending = status.approvals.map((a) => ({ gate: a.gate, email: a.email, decision: a.decision }));
    pending.sort((a, b) => a.email.localeCompare(b.email));
    expect(pending).toEqual([
      { gate: 'requirements', email: 'bea@example.com', decision: '' },
      { gate: 'requirements', email: 'dana@example.com', decision: '' },
    ]);
  });

  test('second start of one id exits 1', async () => {
    const result = await runCli(['project', 'start', QUICKSTART_SPEC, '--id', projectId], env);
    expect(result.code).toBe(EXIT.failure);
    expect(result.stderr).toMatch(new RegExp(`project ${projectId} was already started`));
  });

  test('list json contains the project', async () => {
    const rows = await runCliJson<ProjectListing[]>(['project', 'list', '--json'], env);
    const row = rows.find((r) => r.projectId === projectId);
    expect(row).toBeDefined();
    expect(row?.workflowId).toBe(`mlops-project-${projectId}`);
    expect(row?.status).toBe('RUNNING');
  });

  test('approve by an approver exits 0', async () => {
    const result = await runCli(['project', 'approve', projectId, '--gate', 'requirements', '--as', 'bea@example.com', '--comment', 'scales agreed'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(new RegExp(`bea@example.com approved the requirements review of ${projectId}`));

    const status = await runCliJson<ProjectStatus>(['project', 'status', projectId, '--json'], env);
    const bea = status.approvals.find((a) => a.email === 'bea@example.com');
    expect(bea?.decision).toBe('approved');
    expect(bea?.comment).toBe('scales agreed');
    expect(status.phase).toBe('requirements-review');
  });

  test('reject by a non-approver exits 1', async () => {
    const result = await runCli(['project', 'reject', projectId, '--gate', 'requirements', '--as', 'max@example.com'], env);
    expect(result.code).toBe(EXIT.failure);
    expect(result.stderr).toMatch(/max@example.com is not an approver of the requirements gate/);

    const status = await runCliJson<ProjectStatus>(['project', 'status', projectId, '--json'], env);
    expect(status.phase).toBe('requirements-review');
    expect(status.approvals.some((a) => a.email === 'max@example.com')).toBe(false);
  });

  test('decision for a closed gate exits 1', async () => {
    const result = await runCli(['project', 'approve', projectId, '--gate', 'cost', '--as', 'bea@example.com'], env);
    expect(result.code).toBe(EXIT.failure);
    expect(result.stderr).toMatch(/cost gate is not open/);
  });

  test('stop exits 0 and closes', async () => {
    const result = await runCli(['project', 'stop', projectId, '--reason', 'cli test done'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(new RegExp(`asked project ${projectId} to stop`));

    const status = await waitForCliStatus(projectId, env, 'phase closed', (s) => s.phase === 'closed');
    expect(status.shutdownReason).toMatch(/cli test done/);
    expect(status.trainingJobs).toEqual([]);
  });

  test('approve after close exits 1', async () => {
    const result = await runCli(['project', 'approve', projectId, '--gate', 'requirements', '--as', 'dana@example.com'], env);
    expect(result.code).toBe(EXIT.failure);
    expect(result.stderr).toMatch(new RegExp(`project ${projectId} has ended \\(phase closed\\) and takes no more decisions`));
  });
});
