/**
 * Runs the repository's real eslint.config.js on source text placed at a
 * path under workflows/ or activities/, so the folder-scoped import rule and
 * the type-aware promise rule are checked the way `npm run lint` applies them.
 */
import path from 'node:path';
import { ESLint, type Linter } from 'eslint';

const ROOT = path.resolve(__dirname, '../..');
const IMPORT_RULE = '@typescript-eslint/no-restricted-imports';
const FLOATING_PROMISE_RULE = '@typescript-eslint/no-floating-promises';

/** Fixture paths. No such files exist, because lintText receives the text. */
const WORKFLOW_FIXTURE = 'workflows/__lint_fixture__.ts';
const ACTIVITY_FIXTURE = 'activities/__lint_fixture__.ts';

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({
    cwd: ROOT,
    // ESLint loads a config file with a dynamic import(), which Jest's module
    // sandbox rejects, so the same file is loaded here with require().
    overrideConfigFile: true,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    baseConfig: require(path.join(ROOT, 'eslint.config.js')) as Linter.Config[],
    // The fixture files do not exist on disk, so TypeScript's project service
    // cannot find them in tsconfig.json. The default project parses them
    // with the same compiler options.
    overrideConfig: {
      languageOptions: {
        parserOptions: {
          projectService: { allowDefaultProject: [WORKFLOW_FIXTURE, ACTIVITY_FIXTURE], defaultProject: 'tsconfig.json' },
        },
      },
    },
  });
});

/** Lints `code` as the file at `relativePath`. A parsing error fails the test, so no case passes unparsed. */
async function lintAt(relativePath: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, relativePath) });
  const fatal = result.messages.filter((message) => message.fatal);
  expect(fatal).toEqual([]);
  return result.messages;
}

function linesReportedBy(messages: Linter.LintMessage[], ruleId: string): number[] {
  return messages.filter((message) => message.ruleId === ruleId).map((message) => message.line);
}

describe('workflow import rule', () => {
  test('node:fs and AWS SDK rejected', async () => {
    const code = [
      "import { readFileSync } from 'node:fs';",
      "import { SageMakerClient } from '@aws-sdk/client-sagemaker';",
      'export const used = [readFileSync, SageMakerClient];',
      '',
    ].join('\n');

    const lines = linesReportedBy(await lintAt(WORKFLOW_FIXTURE, code), IMPORT_RULE);

    expect(lines).toContain(1);
    expect(lines).toContain(2);
  });

  test('message names sandbox and proxyActivities', async () => {
    const messages = await lintAt(WORKFLOW_FIXTURE, "import os from 'os';\nexport const used = os;\n");
    const reported = messages.filter((message) => message.ruleId === IMPORT_RULE);

    expect(reported).toHaveLength(1);
    expect(reported[0].message).toContain('deterministic sandbox');
    expect(reported[0].message).toContain('proxyActivities');
  });

  test.each([
    'fs',
    'fs/promises',
    'path',
    'child_process',
    'http',
    'crypto',
    'os',
    'node:crypto',
    '@aws-sdk/client-cost-explorer',
    'nodemailer',
    'pino',
    '@temporalio/client',
    '@temporalio/worker',
    '@temporalio/activity',
    '../activities',
    '../activities/contracts',
    '../client/logger',
  ])('value import of %s rejected', async (source) => {
    const code = `import * as imported from '${source}';\nexport const used = imported;\n`;

    const lines = linesReportedBy(await lintAt(WORKFLOW_FIXTURE, code), IMPORT_RULE);

    expect(lines).toEqual([1]);
  });

  test.each([
    ['type import of ../activities', "import type { X } from '../activities';\nexport type Used = X;\n"],
    [
      'type import of ../activities/contracts',
      "import type { LifecycleActivities } from '../activities/contracts';\nexport type Used = LifecycleActivities;\n",
    ],
    ['@temporalio/workflow', "import { proxyActivities } from '@temporalio/workflow';\nexport const used = proxyActivities;\n"],
    ['@temporalio/common', "import { defineSearchAttributeKey } from '@temporalio/common';\nexport const used = defineSearchAttributeKey;\n"],
    // A workflow-local module that shares its name with the activities folder.
    ['workflow-local ./activities', "import { acts } from './activities';\nexport const used = acts;\n"],
    ['../domain/constants', "import { TASK_QUEUE } from '../domain/constants';\nexport const used = TASK_QUEUE;\n"],
  ])('allowed import passes: %s', async (_label, code) => {
    const lines = linesReportedBy(await lintAt(WORKFLOW_FIXTURE, code), IMPORT_RULE);

    expect(lines).toEqual([]);
  });

  test('rule limited to workflows folder', async () => {
    const code = "import { readFileSync } from 'node:fs';\nexport const used = readFileSync;\n";

    const lines = linesReportedBy(await lintAt(ACTIVITY_FIXTURE, code), IMPORT_RULE);

    expect(lines).toEqual([]);
  });
});

describe('type-aware rules', () => {
  test('floating promise reported in activities', async () => {
    const code = [
      'async function sendMail(): Promise<void> {}',
      'export function notify(): void {',
      '  sendMail();',
      '}',
      '',
    ].join('\n');

    const lines = linesReportedBy(await lintAt(ACTIVITY_FIXTURE, code), FLOATING_PROMISE_RULE);

    expect(lines).toEqual([3]);
  });

  test('awaited promise not reported', async () => {
    const code = [
      'async function sendMail(): Promise<void> {}',
      'export async function notify(): Promise<void> {',
      '  await sendMail();',
      '}',
      '',
    ].join('\n');

    const lines = linesReportedBy(await lintAt(ACTIVITY_FIXTURE, code), FLOATING_PROMISE_RULE);

    expect(lines).toEqual([]);
  });
});
