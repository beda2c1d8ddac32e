/**
 * The project spec: the YAML file a team writes to describe one ML project.
 * The schema is the single source of truth for its shape; `parseSpec`
 * returns either a typed spec or a list of errors that each name the field
 * path, the bad value and what is expected.
 */
import { z } from 'zod';
import { parseDocument, type YAMLError } from 'yaml';
import { sageMakerSettingsSchema } from '../activities/provider/sagemaker/settings';
import { GATES, ROLES } from './constants';
import { describeExpected, toSpecIssues } from './spec-issues';

const instanceType = z
  .string()
  .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'expected a SageMaker instance type such as ml.m5.large' });

const command = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: 'expected a command: a non-empty string or a non-empty list of non-empty strings',
});
const email = z.email({ error: 'expected an e-mail address such as name@example.com' });

export const stakeholderSchema = z.strictObject({
  name: z.string().min(1),
  email,
  role: z.enum(ROLES),
});

export const candidateSchema = z.strictObject({
  instanceType,
  instanceCount: z.number().int().min(1).default(1),
  spot: z.boolean().default(false),
});

export const metricDefinitionSchema = z.strictObject({
  name: z.string().min(1),
  regex: z.string().min(1).refine(isValidRegex, { error: 'expected a valid regular expression with one capture group' }),
});

function isValidRegex(pattern: string): boolean {
  try {
    return new RegExp(`${pattern}|`).exec('')!.length >= 2;
  } catch {
    return false;
  }
}

const channelName = z.string().regex(/^[A-Za-z0-9_-]+$/, { error: 'expected a channel name of letters, digits, hyphens or underscores' });
const channels = z.record(channelName, z.string().min(1));

export const projectSpecSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/, {
        error: 'expected 3 to 40 lowercase letters, digits or hyphens, starting and ending with a letter or digit',
      }),
    name: z.string().min(1),
    owner: email,
    /** Where jobs and endpoints run: `local` processes on this machine, or Amazon SageMaker (needs the `sagemaker` section). */
    provider: z.enum(['local', 'sagemaker'], { error: "expected 'local' or 'sagemaker'" }).default('local'),
    /** Account-specific settings of the sagemaker provider: role, images, S3 locations. */
    sagemaker: sageMakerSettingsSchema.optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}-[a-z]+-\d$/, { error: 'expected an AWS region such as us-east-1' })
      .default('us-east-1'),
    stakeholders: z.array(stakeholderSchema).min(1),
    /** Roles whose stakeholders must all approve each gate. */
    approvals: z
      .strictObject({
        requirements: z.array(z.enum(ROLES)).min(1),
        cost: z.array(z.enum(ROLES)).min(1),
        deployment: z.array(z.enum(ROLES)).min(1),
      })
      .default({ requirements: ['business'], cost: ['business'], deployment: ['mlops-engineer'] }),
    requirements: z.strictObject({
      userScale: z.strictObject({
        users: z.number().int().positive(),
        requestsPerUserPerDay: z.number().positive(),
        peakFactor: z.number().min(1).default(1),
      }),
      systemScale: z.strictObject({
        cpus: z.number().positive().optional(),
        memoryGiB: z.number().positive().optional(),
        gpus: z.number().int().nonnegative().default(0),
        maxInstances: z.number().int().positive().default(1),
        notes: z.string().optional(),
      }),
      dataScale: z.strictObject({
        sizeGb: z.number().nonnegative(),
        growthGbPerMonth: z.number().nonnegative().default(0),
        updateFrequency: z.enum(['hourly', 'daily', 'weekly', 'monthly', 'yearly', 'never']),
        qualityNotes: z.string().optional(),
      }),
      /** Maximum acceptable time to answer one request, in milliseconds; the estimate recommends the cheapest inference option within it. */
      latencyTargetMs: z.number().positive().optional(),
    }),
    budgets: z.strictObject({
      totalUsd: z.number().positive(),
      monthlyUsd: z.number().positive().optional(),
      perTrainingJobUsd: z.number().positive(),
    }),
    training: z.strictObject({
      command,
      channels: channels.default({}),
      hyperparameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
      metrics: z.array(metricDefinitionSchema).default([]),
      objective: z
        .strictObject({
          metric: z.string().min(1),
          goal: z.enum(['minimize', 'maximize']),
          target: z.number().optional(),
        })
        .optional(),
      candidates: z.array(candidateSchema).min(1),
      maxRuntimeSeconds: z.number().int().positive().default(86400),
      /** Expected duration of one training run, used by the estimate before any benchmark. */
      expectedHours: z.number().positive().default(1),
    }),
    retraining: z
      .strictObject({
        /** Where the newest labelled data lands; defaults to the training channels. */
        channels: channels.optional(),
        /** Metric the training script prints for the serving model on the same validation data. */
        championMetric: z.string().min(1).optional(),
        cooldownSeconds: z.number().int().nonnegative().default(0),
      })
      .default({ cooldownSeconds: 0 }),
    inference: z.strictObject({
      command,
      payloadKb: z.number().positive().default(1),
    }),
    deployment: z.strictObject({
      /** `recommended` (the benchmark's recommendation) or a SageMaker instance type. */
      instanceType: z
        .string()
        .regex(/^(recommended|ml\.[a-z0-9]+\.[a-z0-9]+)$/, {
          error: "expected 'recommended' or a SageMaker instance type such as ml.m5.large",
        })
        .default('recommended'),
      instanceCount: z.number().int().min(1).default(1),
    }),
    /** A short load test of one instance of each hosting type after the benchmark; it measures throughput and latency for sizing. */
    loadTest: z
      .strictObject({
        /** JSON-lines file of request bodies, one per line, relative to the spec's folder; requests cycle through it. */
        payloadFile: z.string().min(1),
        /** Requests sent per instance type. */
        requests: z.number().int().positive().default(200),
        /** Requests in flight at once. */
        concurrency: z.number().int().positive().default(4),
        /** Hosting types to test; the deployment's instance type when absent. */
        instanceTypes: z.array(instanceType).min(1).optional(),
      })
      .optional(),
    monitoring: z.strictObject({
      intervalSeconds: z.number().int().min(1).default(300),
      idleWindowSeconds: z.number().int().min(1).default(86400),
      driftThreshold: z.number().positive().default(0.2),
      /** Minimum number of captured requests before a drift score is trusted. */
      driftMinSamples: z.number().int().positive().default(50),
      budgetAlertThresholds: z.array(z.number().gt(0).max(1)).default([0.5, 0.8, 1]),
    }),
    prices: z
      .strictObject({
        training: z.record(instanceType, z.number().nonnegative()).default({}),
        hosting: z.record(instanceType, z.number().nonnegative()).default({}),
        perRequestUsd: z.number().nonnegative().optional(),
        storageGbMonthUsd: z.number().nonnegative().optional(),
        transferGbUsd: z.number().nonnegative().optional(),
      })
      .default({ training: {}, hosting: {} }),
    estimate: z
      .strictObject({
        trainingInstanceType: instanceType.optional(),
        /** Hosting type priced while deployment.instanceType is 'recommended'; defaults to the first candidate's type. */
        hostingInstanceType: instanceType.optional(),
        horizonHours: z.number().positive().default(24 * 30),
        /** Requests per second one hosting instance sustains, measured or expected; sizes the endpoint. */
        throughputPerInstanceRps: z.number().positive().optional(),
        /** Time the model takes to answer one request on the hosting instance, in milliseconds. */
        latencyMs: z.number().positive().optional(),
        /** Share of an instance's throughput to plan for at peak; the rest is headroom. */
        targetUtilization: z.number().gt(0).max(1).default(0.7),
        /** Extra training time spot interruptions add, as a fraction of the run (0.2: 20 % longer). */
        spotInterruptionOverhead: z.number().nonnegative().default(0.2),
        /** Memory of a serverless endpoint, in GB: SageMaker offers 1 to 6. */
        serverlessMemoryGb: z.number().int().min(1).max(6).default(2),
      })
      .default({ horizonHours: 24 * 30, targetUtilization: 0.7, spotInterruptionOverhead: 0.2, serverlessMemoryGb: 2 }),
  })
  .superRefine((spec, ctx) => {
    for (const gate of GATES) {
      for (const role of spec.approvals[gate]) {
        if (!spec.stakeholders.some((s) => s.role === role)) {
          ctx.addIssue({
            code: 'custom',
            path: ['approvals', gate],
            input: role,
            message: `expected at least one stakeholder with role '${role}', because the ${gate} gate needs it`,
          });
        }
      }
    }
    const emails = new Set<string>();
    spec.stakeholders.forEach((s, i) => {
      const email = s.email.toLowerCase();
      if (emails.has(email)) {
        ctx.addIssue({ code: 'custom', path: ['stakeholders', i, 'email'], input: s.email, message: 'expected each stakeholder e-mail once' });
      }
      emails.add(email);
    });
    if (spec.provider === 'sagemaker') checkSageMakerSpec(spec, ctx);
    const objective = spec.training.objective;
    if (objective && !spec.training.metrics.some((m) => m.name === objective.metric)) {
      ctx.addIssue({
        code: 'custom',
        path: ['training', 'objective', 'metric'],
        input: objective.metric,
        message: `expected the name of one of training.metrics (${spec.training.metrics.map((m) => m.name).join(', ') || 'none defined'})`,
      });
    }
  });

/** Rules of `provider: sagemaker` that the field schemas alone cannot express. */
function checkSageMakerSpec(spec: ProjectSpec, ctx: z.RefinementCtx): void {
  if (!spec.sagemaker) {
    ctx.addIssue({
      code: 'custom',
      path: ['sagemaker'],
      input: undefined,
      message: 'expected a sagemaker section (executionRoleArn, trainingImage, inferenceImage, outputS3Uri) because provider is sagemaker',
    });
    return;
  }
  const channelSets: [string[], Record<string, string> | undefined][] = [
    [['training', 'channels'], spec.training.channels],
    [['retraining', 'channels'], spec.retraining.channels],
  ];
  for (const [fieldPath, channelMap] of channelSets) {
    for (const [name, location] of Object.entries(channelMap ?? {})) {
      if (!/^s3:\/\/[^/]+\/?/.test(location)) {
        ctx.addIssue({
          code: 'custom',
          path: [...fieldPath, name],
          input: location,
          message: 'expected an S3 URI with a bucket, such as s3://my-bucket/train/: SageMaker reads training data from S3, so upload the data and name its prefix',
        });
      }
    }
  }
  if (!spec.sagemaker.checkpointS3Uri) {
    spec.training.candidates.forEach((candidate, index) => {
      if (candidate.spot) {
        ctx.addIssue({
          code: 'custom',
          path: ['training', 'candidates', index, 'spot'],
          input: true,
          message: 'expected sagemaker.checkpointS3Uri to be set: managed spot training resumes from checkpoints after an interruption',
        });
      }
    });
  }
}

export type ProjectSpec = z.infer<typeof projectSpecSchema>;
export type Stakeholder = z.infer<typeof stakeholderSchema>;
export type Candidate = z.infer<typeof candidateSchema>;
export type MetricDefinition = z.infer<typeof metricDefinitionSchema>;

/** One problem found in a spec file. */
export interface SpecIssue {
  /** Dotted field path, such as `training.candidates[1].instanceType`. */
  path: string;
  /** The offending value, rendered as JSON, or undefined when the field is missing. */
  value?: string;
  /** What the field expects. */
  expected: string;
}

export class SpecError extends Error {
  constructor(
    readonly source: string,
    readonly issues: SpecIssue[],
  ) {
    super(`invalid project spec ${source}:\n${issues.map(formatIssue).join('\n')}`);
    this.name = 'SpecError';
  }
}

export function formatIssue(issue: SpecIssue): string {
  const value = issue.value === undefined ? 'missing' : `got ${issue.value}`;
  return `  ${issue.path || '(top level)'}: ${value}; ${issue.expected}`;
}

/**
 * Parses and validates a spec from YAML text. `source` names the file in
 * error messages. Throws SpecError listing every problem found: YAML syntax
 * errors with their line and column, else every schema violation with its
 * field path, the bad value and what the field expects.
 */
export function parseSpec(yamlText: string, source = 'spec'): ProjectSpec {
  const document = parseDocument(yamlText, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const lines = yamlText.split(/\r?\n/);
    throw new SpecError(source, document.errors.map((error) => yamlIssue(error, lines)));
  }
  const input: unknown = document.toJS();
  const result = projectSpecSchema.safeParse(input, { reportInput: true, error: describeExpected });
  if (!result.success) {
    throw new SpecError(source, toSpecIssues(result.error.issues, projectSpecSchema, input));
  }
  return result.data;
}

/** Reports a YAML syntax error with its position; the value is the text of the offending line. */
function yamlIssue(error: YAMLError, lines: string[]): SpecIssue {
  const position = error.linePos?.[0];
  const where = position ? ` at line ${position.line}, column ${position.col}` : '';
  const reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const line = position ? lines[position.line - 1] : undefined;
  return { path: '', value: line === undefined ? undefined : JSON.stringify(line), expected: `expected valid YAML${where}: ${reason}` };
}

/** Returns the stakeholders who must approve `gate`, in spec order. */
export function approversFor(spec: ProjectSpec, gate: (typeof GATES)[number]): Stakeholder[] {
  const roles = new Set(spec.approvals[gate]);
  return spec.stakeholders.filter((s) => roles.has(s.role));
}
