import { stringify } from 'yaml';
import { approversFor, parseSpec, SpecError, type SpecIssue } from '../../domain/spec';
import { exampleSpec, makeSpec, minimalRawSpec } from './fixtures';

/** Parses `yamlText` and returns the issues of the SpecError it must throw. */
function issuesOf(yamlText: string): SpecIssue[] {
  try {
    parseSpec(yamlText, 'bad.yaml');
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  throw new Error('expected parseSpec to throw a SpecError');
}

function issuesAfter(change: (raw: Record<string, any>) => void): SpecIssue[] {
  const raw = minimalRawSpec();
  change(raw);
  return issuesOf(stringify(raw));
}

function issueAt(issues: SpecIssue[], path: string): SpecIssue {
  const issue = issues.find((i) => i.path === path);
  if (!issue) throw new Error(`no issue at ${path}; issues: ${JSON.stringify(issues)}`);
  return issue;
}

/** A `sagemaker` section with the required fields only. */
const SAGEMAKER_SECTION = {
  executionRoleArn: 'arn:aws:iam::123456789012:role/SageMakerExecution',
  trainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1',
  inferenceImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1',
  outputS3Uri: 's3://bucket/output',
};

describe('parseSpec', () => {
  test('example spec parses with defaults', () => {
    const spec = exampleSpec();
    expect(spec.id).toBe('image-classification');
    expect(spec.provider).toBe('sagemaker');
    expect(spec.sagemaker).toMatchObject({ volumeSizeGb: 50, maxAttempts: 8, costExplorer: { metric: 'UnblendedCost', maxCallsPerDay: 12 } });
    expect(spec.training.candidates[0]).toEqual({ instanceType: 'ml.p3.2xlarge', instanceCount: 1, spot: false });
    expect(spec.training.candidates[2].spot).toBe(true);
    expect(spec.prices.hosting).toEqual({});
    expect(spec.monitoring.driftMinSamples).toBe(50);
    expect(spec.retraining.cooldownSeconds).toBe(0);
  });

  test('minimal spec gets documented defaults', () => {
    const spec = makeSpec();
    expect(spec.region).toBe('us-east-1');
    expect(spec.approvals).toEqual({ requirements: ['business'], cost: ['business'], deployment: ['mlops-engineer'] });
    expect(spec.deployment).toEqual({ instanceType: 'recommended', instanceCount: 1 });
    expect(spec.estimate).toEqual({ horizonHours: 720, targetUtilization: 0.7, spotInterruptionOverhead: 0.2, serverlessMemoryGb: 2 });
    expect(spec.requirements.latencyTargetMs).toBeUndefined();
    expect(spec.training.expectedHours).toBe(1);
    expect(spec.inference.payloadKb).toBe(1);
  });

  test('optional sizing fields accepted', () => {
    const spec = makeSpec((raw) => {
      raw.requirements.latencyTargetMs = 200;
      raw.estimate = { throughputPerInstanceRps: 40, latencyMs: 80, targetUtilization: 0.5 };
    });
    expect(spec.requirements.latencyTargetMs).toBe(200);
    expect(spec.estimate).toMatchObject({ throughputPerInstanceRps: 40, latencyMs: 80, targetUtilization: 0.5, spotInterruptionOverhead: 0.2 });
  });

  test('optional hosting instance type accepted', () => {
    const spec = makeSpec((raw) => {
      raw.estimate = { hostingInstanceType: 'ml.c5.large' };
    });
    expect(spec.estimate.hostingInstanceType).toBe('ml.c5.large');
  });

  test.each([
    ['id', (raw: Record<string, any>) => (raw.id = 'Bad_Id'), '"Bad_Id"', 'lowercase letters'],
    ['owner', (raw: Record<string, any>) => (raw.owner = 'nope'), '"nope"', 'e-mail address'],
    ['region', (raw: Record<string, any>) => (raw.region = 'virginia'), '"virginia"', 'AWS region such as us-east-1'],
    ['stakeholders[1].role', (raw: Record<string, any>) => (raw.stakeholders[1].role = 'boss'), '"boss"', 'one of "ml-engineer"'],
    ['requirements.userScale.users', (raw: Record<string, any>) => (raw.requirements.userScale.users = 2.5), '2.5', 'whole number'],
    ['requirements.userScale.peakFactor', (raw: Record<string, any>) => (raw.requirements.userScale.peakFactor = 0.5), '0.5', 'a number >= 1'],
    ['budgets.totalUsd', (raw: Record<string, any>) => (raw.budgets.totalUsd = 0), '0', 'a number > 0'],
    ['budgets.perTrainingJobUsd', (raw: Record<string, any>) => (raw.budgets.perTrainingJobUsd = 'ten'), '"ten"', 'a number'],
    ['training.candidates', (raw: Record<string, any>) => (raw.training.candidates = []), '[]', 'at least 1 item'],
    ['training.candidates[0].instanceType', (raw: Record<string, any>) => (raw.training.candidates[0].instanceType = 'm5.large'), '"m5.large"', 'SageMaker instance type'],
    ['inference.command', (raw: Record<string, any>) => (raw.inference.command = 42), '42', 'a command'],
    ['deployment.instanceType', (raw: Record<string, any>) => (raw.deployment.instanceType = 'large'), '"large"', "'recommended' or a SageMaker instance type"],
    ['monitoring.budgetAlertThresholds[0]', (raw: Record<string, any>) => (raw.monitoring.budgetAlertThresholds = [1.5]), '1.5', 'a number <= 1'],
    ['requirements.dataScale.updateFrequency', (raw: Record<string, any>) => (raw.requirements.dataScale.updateFrequency = 'often'), '"often"', 'one of "hourly"'],
    ['prices.training["ml.m5.large"]', (raw: Record<string, any>) => (raw.prices = { training: { 'ml.m5.large': -1 } }), '-1', 'a number >= 0'],
    ['requirements.latencyTargetMs', (raw: Record<string, any>) => (raw.requirements.latencyTargetMs = 0), '0', 'a number > 0'],
    ['estimate.throughputPerInstanceRps', (raw: Record<string, any>) => (raw.estimate = { throughputPerInstanceRps: -5 }), '-5', 'a number > 0'],
    ['estimate.latencyMs', (raw: Record<string, any>) => (raw.estimate = { latencyMs: 'fast' }), '"fast"', 'a number'],
    ['estimate.targetUtilization', (raw: Record<string, any>) => (raw.estimate = { targetUtilization: 1.5 }), '1.5', 'a number <= 1'],
    ['estimate.spotInterruptionOverhead', (raw: Record<string, any>) => (raw.estimate = { spotInterruptionOverhead: -0.1 }), '-0.1', 'a number >= 0'],
    ['estimate.serverlessMemoryGb', (raw: Record<string, any>) => (raw.estimate = { serverlessMemoryGb: 8 }), '8', 'a number <= 6'],
  ])('bad %s names path, value, expectation', (path, change, value, expected) => {
    const issue = issueAt(issuesAfter(change), path);
    expect(issue.value).toBe(value);
    expect(issue.expected).toContain(expected);
    expect(issue.expected).toMatch(/^expected /);
  });

  test('one issue per bad budget', () => {
    const issues = issuesAfter((raw) => (raw.budgets.perTrainingJobUsd = -1));
    expect(issues.filter((i) => i.path === 'budgets.perTrainingJobUsd')).toHaveLength(1);
  });

  test('missing section lists its fields', () => {
    const issue = issueAt(issuesAfter((raw) => delete raw.budgets), 'budgets');
    expect(issue.value).toBeUndefined();
    expect(issue.expected).toBe('expected a mapping with the fields totalUsd, monthlyUsd, perTrainingJobUsd');
  });

  test('misspelt field suggests known name', () => {
    const issues = issuesAfter((raw) => {
      raw.requirements.userScale.peekFactor = 3;
      raw.trainig = {};
    });
    const misspelt = issueAt(issues, 'requirements.userScale.peekFactor');
    expect(misspelt.value).toBe('3');
    expect(misspelt.expected).toContain("did you mean 'peakFactor'?");
    expect(misspelt.expected).toContain('users, requestsPerUserPerDay, peakFactor');
    expect(issueAt(issues, 'trainig').expected).toContain("did you mean 'training'?");
  });

  test('unrelated unknown field gets no suggestion', () => {
    const issue = issueAt(
      issuesAfter((raw) => (raw.colour = 'blue')),
      'colour',
    );
    expect(issue.expected).not.toContain('did you mean');
    expect(issue.expected).toContain('unknown field');
  });

  test('bad record key reported as key', () => {
    const issues = issuesAfter((raw) => {
      raw.training.channels = { 'my channel': 'data/train' };
      raw.prices = { hosting: { 'm5.large': 0.1 } };
    });
    const channel = issueAt(issues, 'training.channels["my channel"]');
    expect(channel.value).toBe('"my channel"');
    expect(channel.expected).toContain('channel name of letters, digits, hyphens or underscores');
    expect(issueAt(issues, 'prices.hosting["m5.large"]').expected).toContain('SageMaker instance type');
  });

  test('YAML syntax error gives line', () => {
    const issues = issuesOf('id: demo\nname: a\nid: again\n');
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('');
    expect(issues[0].value).toBe('"id: again"');
    expect(issues[0].expected).toMatch(/^expected valid YAML at line 3, column 1: /);
  });

  test('empty file asks for mapping', () => {
    const issues = issuesOf('');
    expect(issues).toHaveLength(1);
    expect(issues[0].value).toBe('null');
    expect(issues[0].expected).toContain('expected a mapping with the fields id, name, owner');
  });

  test('gate role without stakeholder rejected', () => {
    const issue = issueAt(
      issuesAfter((raw) => (raw.approvals = { requirements: ['architect'], cost: ['business'], deployment: ['business'] })),
      'approvals.requirements',
    );
    expect(issue.value).toBe('"architect"');
    expect(issue.expected).toContain("stakeholder with role 'architect'");
  });

  test('duplicate stakeholder e-mail rejected', () => {
    const issue = issueAt(
      issuesAfter((raw) => (raw.stakeholders[1].email = 'BEA@example.com')),
      'stakeholders[1].email',
    );
    expect(issue.value).toBe('"BEA@example.com"');
  });

  test('objective metric must be defined', () => {
    const issue = issueAt(
      issuesAfter((raw) => {
        raw.training.metrics = [{ name: 'rmse', regex: 'rmse=([0-9.]+)' }];
        raw.training.objective = { metric: 'accuracy', goal: 'maximize' };
      }),
      'training.objective.metric',
    );
    expect(issue.expected).toContain('(rmse)');
  });

  test('error message names source and issues', () => {
    expect(() => parseSpec('id: x\n', 'projects/demo.yaml')).toThrow(/^invalid project spec projects\/demo\.yaml:\n {2}id: got "x"; expected 3 to 40/);
  });

  test('sagemaker provider needs its section', () => {
    const issue = issueAt(
      issuesAfter((raw) => {
        raw.provider = 'sagemaker';
      }),
      'sagemaker',
    );
    expect(issue.expected).toMatch(/executionRoleArn/);
  });

  test('sagemaker channel must be S3', () => {
    const issues = issuesAfter((raw) => {
      raw.provider = 'sagemaker';
      raw.sagemaker = { ...SAGEMAKER_SECTION };
      raw.training.channels = { train: './data/train.csv' };
    });
    expect(issueAt(issues, 'training.channels.train').value).toBe('"./data/train.csv"');
  });

  test('sagemaker channel needs a bucket', () => {
    const issues = issuesAfter((raw) => {
      raw.provider = 'sagemaker';
      raw.sagemaker = { ...SAGEMAKER_SECTION };
      raw.training.channels = { empty: 's3://', rootless: 's3:///train/', good: 's3://bucket/train/' };
    });
    expect(issueAt(issues, 'training.channels.empty').expected).toMatch(/s3:\/\/my-bucket\/train\//);
    expect(issueAt(issues, 'training.channels.rootless').value).toBe('"s3:///train/"');
    expect(issues.some((issue) => issue.path === 'training.channels.good')).toBe(false);
  });

  test('sagemaker spot needs checkpoint location', () => {
    const issues = issuesAfter((raw) => {
      raw.provider = 'sagemaker';
      raw.sagemaker = { ...SAGEMAKER_SECTION };
      raw.training.channels = {};
      raw.training.candidates = [{ instanceType: 'ml.m5.large', spot: true }];
    });
    expect(issueAt(issues, 'training.candidates[0].spot').expected).toMatch(/checkpointS3Uri/);
  });

  test('unknown provider names both choices', () => {
    const issue = issueAt(
      issuesAfter((raw) => {
        raw.provider = 'azure';
      }),
      'provider',
    );
    expect(issue.expected).toMatch(/'local' or 'sagemaker'/);
  });

  test('approvers follow gate roles', () => {
    const spec = exampleSpec();
    expect(approversFor(spec, 'requirements').map((s) => s.email)).toEqual(['dana@example.com', 'bea@example.com']);
    expect(approversFor(spec, 'deployment').map((s) => s.email)).toEqual(['max@example.com']);
  });
});
