/** Connection settings shared by the CLI, the approval server and the worker. */
import { Client, Connection } from '@temporalio/client';
import { DEFAULT_NAMESPACE, TASK_QUEUE } from '../domain/constants';

export interface TemporalSettings {
  address: string;
  namespace: string;
  /** Task queue of the lifecycle workers; one per deployment sharing a namespace. */
  taskQueue: string;
}

/** Reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and MLOPS_TASK_QUEUE, with the dev server's defaults. */
export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  return {
    address: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE || DEFAULT_NAMESPACE,
    taskQueue: env.MLOPS_TASK_QUEUE || TASK_QUEUE,
  };
}

export async function connectClient(settings: Pick<TemporalSettings, 'address' | 'namespace'>): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: settings.address, connectTimeout: '10s' });
    return new Client({ connection, namespace: settings.namespace });
  } catch (err) {
    throw new Error(
      `cannot reach the Temporal server at ${settings.address}: start it with \`mlops dev\` or set TEMPORAL_ADDRESS`,
      { cause: err },
    );
  }
}
