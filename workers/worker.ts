/**
 * Builds the lifecycle worker: the project, benchmark, retraining and
 * sweeper workflows plus their activities, on one task queue.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { TASK_QUEUE } from '../domain/constants';
import type { LifecycleActivities } from '../activities/contracts';
import type { SweeperActivities } from '../activities/sweeper';

export interface LifecycleWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue?: string;
  activities: LifecycleActivities;
  /** Activities of the sweeper workflow, registered beside the lifecycle activities; their names do not overlap. */
  sweeperActivities?: SweeperActivities;
  /** A prebuilt workflow bundle; tests share one to save the bundling time. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** Path of the workflow entry module, as source under ts-jest or compiled under dist/. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

export async function createLifecycleWorker(options: LifecycleWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    activities: { ...options.activities, ...options.sweeperActivities } as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    // Endpoint creation polls from the workflow, so activities stay short; a few at once are plenty on a laptop.
    maxConcurrentActivityTaskExecutions: 20,
  });
}

export async function connectWorker(address: string): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address });
  } catch (err) {
    throw new Error(`cannot reach the Temporal server at ${address}: start it with \`mlops dev\` or set TEMPORAL_ADDRESS`, { cause: err });
  }
}
