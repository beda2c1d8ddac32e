/** Connection settings shared by the CLI, the approval server and the worker. */
import { Client, Connection } from '@temporalio/client';
import { DEFAULT_NAMESPACE } from '../domain/constants';

export interface TemporalSettings {
  address: string;
  namespace: string;
}

/** Reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, with the dev server's defaults. */
export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  return {
    address: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE || DEFAULT_NAMESPACE,
  };
}

export async function connectClient(settings: TemporalSettings): Promise<Client> {
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
