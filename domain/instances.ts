/**
 * Hardware of common SageMaker instance types, used to judge benchmark
 * resource use (rightsizing). Figures are the EC2 specifications of the
 * underlying instance families (vCPUs, memory in GiB, GPUs).
 */

export interface InstanceSpec {
  vcpus: number;
  memoryGiB: number;
  gpus: number;
}

export const INSTANCE_SPECS: Readonly<Record<string, InstanceSpec>> = {
  'ml.t2.medium': { vcpus: 2, memoryGiB: 4, gpus: 0 },
  'ml.t3.medium': { vcpus: 2, memoryGiB: 4, gpus: 0 },
  'ml.m5.large': { vcpus: 2, memoryGiB: 8, gpus: 0 },
  'ml.m5.xlarge': { vcpus: 4, memoryGiB: 16, gpus: 0 },
  'ml.m5.2xlarge': { vcpus: 8, memoryGiB: 32, gpus: 0 },
  'ml.m5.4xlarge': { vcpus: 16, memoryGiB: 64, gpus: 0 },
  'ml.c5.large': { vcpus: 2, memoryGiB: 4, gpus: 0 },
  'ml.c5.xlarge': { vcpus: 4, memoryGiB: 8, gpus: 0 },
  'ml.c5.2xlarge': { vcpus: 8, memoryGiB: 16, gpus: 0 },
  'ml.c5.4xlarge': { vcpus: 16, memoryGiB: 32, gpus: 0 },
  'ml.g4dn.xlarge': { vcpus: 4, memoryGiB: 16, gpus: 1 },
  'ml.g4dn.2xlarge': { vcpus: 8, memoryGiB: 32, gpus: 1 },
  'ml.g5.xlarge': { vcpus: 4, memoryGiB: 16, gpus: 1 },
  'ml.g5.2xlarge': { vcpus: 8, memoryGiB: 32, gpus: 1 },
  'ml.p3.2xlarge': { vcpus: 8, memoryGiB: 61, gpus: 1 },
};

/** Size suffixes from small to large, as SageMaker names them. */
const SIZES = ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge'];

/**
 * Returns the next smaller type of the same family that INSTANCE_SPECS
 * lists, such as ml.m5.large for ml.m5.xlarge, or undefined when there is
 * none or the type is not in the form `ml.<family>.<size>`.
 */
export function smallerInstanceType(instanceType: string): string | undefined {
  const match = /^ml\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(instanceType);
  if (!match) return undefined;
  const [, family, size] = match;
  for (let i = SIZES.indexOf(size) - 1; i >= 0; i--) {
    const candidate = `ml.${family}.${SIZES[i]}`;
    if (INSTANCE_SPECS[candidate]) return candidate;
  }
  return undefined;
}
