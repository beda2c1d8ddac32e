/** Workflow entry points registered with the worker. */
export { projectWorkflow } from './project';
export { benchmarkWorkflow } from './benchmark';
export { retrainingWorkflow } from './retraining';
export { sweeperWorkflow } from './sweeper';
