/** Shared state of the SageMaker provider parts: clients, settings, clock, logger and the in-process price and spend records. */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Tag } from '@aws-sdk/client-sagemaker';
import type { Tags } from '../types';
import type { SageMakerSettings } from './settings';

export interface ProviderLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Metered cost of one training job or endpoint, as last described. */
export interface SpendRecord {
  projectId: string;
  costUsd: number;
}

export interface SageMakerContext {
  sagemaker: SageMakerClient;
  cloudwatch: CloudWatchClient;
  settings: SageMakerSettings;
  clock: () => Date;
  logger: ProviderLogger;
  /** Price per instance-hour by resource name (training job or endpoint config), read back from its price tag after a restart. */
  prices: Map<string, number>;
  /** Metered cost by resource name. NOTE: kept in memory only, so it starts empty after a worker restart. */
  spend: Map<string, SpendRecord>;
}

/**
 * Tag holding the price per instance-hour a resource was created with, so
 * that a describe after a worker restart can still compute the cost.
 */
export const PRICE_TAG_KEY = 'mlops:price-usd-per-hour';

export function toAwsTags(tags: Tags): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function fromAwsTags(tags: Tag[] | undefined): Tags {
  return Object.fromEntries((tags ?? []).filter((tag) => tag.Key !== undefined).map((tag) => [tag.Key as string, tag.Value ?? '']));
}
