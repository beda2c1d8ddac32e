/**
 * Settings of the SageMaker provider: the `sagemaker` section a project spec
 * will carry once the spec accepts `provider: sagemaker`. Until then callers
 * parse the section with `parseSageMakerSettings`.
 */
import { z } from 'zod';

const s3Uri = z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, {
  error: 'expected an S3 URI such as s3://my-bucket/prefix',
});

const imageUri = z.string().min(1, { error: 'expected a container image URI such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1' });

/** Cost Explorer metrics in GetCostAndUsage spelling. Unblended cost shows almost nothing for usage that a savings plan covers, while amortized cost spreads the commitment over that usage. */
export const COST_EXPLORER_METRICS = ['UnblendedCost', 'AmortizedCost', 'BlendedCost', 'NetUnblendedCost', 'NetAmortizedCost'] as const;

export const costExplorerSettingsSchema = z.strictObject({
  /** Cost metric that reconciliation and forecasts report. Every report names it. */
  metric: z.enum(COST_EXPLORER_METRICS).default('UnblendedCost'),
  /** Cost Explorer API requests allowed per UTC day. AWS charges $0.01 for each request. */
  maxCallsPerDay: z.number().int().min(1).max(1000).default(12),
  /** Hours between two reconciliations of metered spend with Cost Explorer, for the scheduler that runs them. */
  reconcileIntervalHours: z.number().int().min(1).max(24).default(6),
});

export const sageMakerSettingsSchema = z.strictObject({
  /** IAM role SageMaker assumes to run jobs and endpoints. */
  executionRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, {
    error: 'expected an IAM role ARN such as arn:aws:iam::123456789012:role/SageMakerExecution',
  }),
  trainingImage: imageUri,
  inferenceImage: imageUri,
  /** Prefix under which training jobs write model artifacts and output data. */
  outputS3Uri: s3Uri,
  /** Prefix for spot training checkpoints; required when any job runs on spot. */
  checkpointS3Uri: s3Uri.optional(),
  /** ML storage volume per training instance, in GB. */
  volumeSizeGb: z.number().int().min(1).max(16384).default(30),
  vpc: z
    .strictObject({
      subnets: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, { error: 'expected a subnet id such as subnet-0abc1234' })).min(1),
      securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/, { error: 'expected a security group id such as sg-0abc1234' })).min(1),
    })
    .optional(),
  /** Total attempts of each AWS call, first try included, for the SDK's retry strategy (backoff with jitter). */
  maxAttempts: z.number().int().min(1).max(20).default(8),
  /** Cost Explorer reconciliation and forecasts. Omitted fields take their defaults. */
  costExplorer: costExplorerSettingsSchema.prefault({}),
});

export type SageMakerSettings = z.infer<typeof sageMakerSettingsSchema>;

/** Parses a `sagemaker` spec section, throwing an error that lists each bad field, its value and what is expected. */
export function parseSageMakerSettings(input: unknown): SageMakerSettings {
  const result = sageMakerSettingsSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `sagemaker.${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`invalid sagemaker settings: ${problems.join('; ')}`);
}
