/**
 * The worker's IAM policy in docs/iam/worker-policy.json grants every AWS
 * action the activities call, so a new SDK call without a matching policy
 * line fails here instead of with AccessDenied in a user's account.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/harness';

const POLICY = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'docs', 'iam', 'worker-policy.json'), 'utf8')) as {
  Statement: { Action: string | string[] }[];
};

/** IAM service prefix of each SDK client package the activities use. */
const SERVICE_OF: Record<string, string> = {
  '@aws-sdk/client-sagemaker': 'sagemaker',
  '@aws-sdk/client-sagemaker-runtime': 'sagemaker',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-cost-explorer': 'ce',
};

/** SDK operations whose IAM action has another name. */
const ACTION_OF: Record<string, string> = { 's3:ListObjectsV2': 's3:ListBucket' };

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** Lists the IAM actions the activities call: each imported `XCommand` or `paginateX` of an AWS SDK client. */
function calledActions(): Map<string, string> {
  const actions = new Map<string, string>();
  for (const file of sourceFiles(path.join(REPO_ROOT, 'activities'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g)) {
      const service = SERVICE_OF[match[2]];
      if (!service) continue;
      for (const name of match[1].split(',').map((part) => part.trim())) {
        const operation = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1];
        if (!operation || name.startsWith('type ')) continue;
        const action = `${service}:${operation}`;
        actions.set(ACTION_OF[action] ?? action, path.relative(REPO_ROOT, file));
      }
    }
  }
  return actions;
}

test('policy grants every action the activities call', () => {
  const granted = new Set(POLICY.Statement.flatMap((statement) => [statement.Action].flat()));
  const called = calledActions();

  // Sanity: the scan finds the calls it exists for.
  expect([...called.keys()]).toEqual(expect.arrayContaining(['sagemaker:CreateTrainingJob', 's3:ListBucket', 'ce:GetCostAndUsage']));
  const missing = [...called].filter(([action]) => !granted.has(action)).map(([action, file]) => `${action} (${file})`);
  expect(missing).toEqual([]);
});

test('creates are allowed only with the product tag', () => {
  const creating = POLICY.Statement.find((statement) => [statement.Action].flat().includes('sagemaker:CreateTrainingJob')) as {
    Condition?: Record<string, Record<string, string>>;
  };
  expect(creating.Condition?.StringEquals?.['aws:RequestTag/mlops:managed-by']).toBe('mlops-orchestrator');
});
