/**
 * The compute provider a project's resources live on, and what a worker
 * needs to reach them. Activities that only name a resource (describe,
 * stop, delete) receive it, so one worker serves projects of both
 * providers. Workflows import this module, so it imports types only.
 */
import type { ProjectSpec } from './spec';

export interface ProviderTarget {
  provider: ProjectSpec['provider'];
  region: string;
  sagemaker?: ProjectSpec['sagemaker'];
}

export function providerTarget(spec: ProjectSpec): ProviderTarget {
  return { provider: spec.provider, region: spec.region, ...(spec.sagemaker ? { sagemaker: spec.sagemaker } : {}) };
}
