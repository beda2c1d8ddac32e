/** The `sagemaker` settings schema: defaults and the messages of rejected values. */
import { parseSageMakerSettings } from '../../../../activities/provider/sagemaker';

const VALID = {
  executionRoleArn: 'arn:aws:iam::123456789012:role/SageMakerExecution',
  trainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1',
  inferenceImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1',
  outputS3Uri: 's3://mlops-bucket/output',
};

test('settings defaults volume and attempts', () => {
  const settings = parseSageMakerSettings(VALID);

  expect(settings.volumeSizeGb).toBe(30);
  expect(settings.maxAttempts).toBe(8);
  expect(settings.checkpointS3Uri).toBeUndefined();
  expect(settings.vpc).toBeUndefined();
});

test('settings reject bad values by field', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...VALID, executionRoleArn: 'SageMakerExecution' }, /sagemaker\.executionRoleArn: expected an IAM role ARN/],
    [{ ...VALID, outputS3Uri: '/data/output' }, /sagemaker\.outputS3Uri: expected an S3 URI/],
    [{ ...VALID, checkpointS3Uri: 'https://bucket/x' }, /sagemaker\.checkpointS3Uri: expected an S3 URI/],
    [{ ...VALID, vpc: { subnets: ['net-1'], securityGroupIds: ['sg-0abc'] } }, /sagemaker\.vpc\.subnets\.0: expected a subnet id/],
    [{ ...VALID, volumeSizeGb: 0 }, /sagemaker\.volumeSizeGb/],
    [{ ...VALID, trainingImag: 'typo' }, /trainingImag/],
  ];
  for (const [input, message] of cases) {
    expect(() => parseSageMakerSettings(input)).toThrow(message);
  }
});
