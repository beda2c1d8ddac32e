/**
 * Builds the SageMaker provider a project needs, from its region and its
 * spec's `sagemaker` section, and keeps one per distinct target so the
 * in-process price and spend records last as long as the worker.
 */
import type { ProviderTarget } from '../../domain/provider-target';
import { createAwsClients, createSageMakerProvider, InvalidInputError, type ProviderLogger } from './sagemaker';
import type { SageMakerProviderClients } from './sagemaker/clients';
import type { ComputeProvider } from './types';

export interface SageMakerProvidersOptions {
  logger: ProviderLogger;
  /** AWS SDK clients for a region; defaults to the SDK's standard chain (profile, AWS_ENDPOINT_URL and so on). */
  clients?: (region: string) => SageMakerProviderClients;
}

export function sageMakerProviders(options: SageMakerProvidersOptions): (target: ProviderTarget) => ComputeProvider {
  const clientsByRegion = new Map<string, SageMakerProviderClients>();
  const providers = new Map<string, ComputeProvider>();
  const clientsFor = (region: string) => {
    let clients = clientsByRegion.get(region);
    if (!clients) {
      clients = options.clients ? options.clients(region) : createAwsClients({ region });
      clientsByRegion.set(region, clients);
    }
    return clients;
  };

  return (target) => {
    if (!target.sagemaker) {
      throw new InvalidInputError(`the project runs on SageMaker in ${target.region} but its spec has no sagemaker section: add executionRoleArn, trainingImage, inferenceImage and outputS3Uri`);
    }
    const key = JSON.stringify([target.region, target.sagemaker]);
    let provider = providers.get(key);
    if (!provider) {
      const clients = clientsFor(target.region);
      provider = createSageMakerProvider({ ...clients, settings: target.sagemaker, logger: options.logger });
      providers.set(key, provider);
    }
    return provider;
  };
}
