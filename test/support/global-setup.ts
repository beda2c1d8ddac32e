/**
 * Starts one real Temporal dev server (the CLI from .venv, installed by
 * scripts/setup.js) for the whole test run and publishes its address in
 * TEMPORAL_ADDRESS. Tests that need no Temporal ignore it.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { defineSearchAttributeKey } from '@temporalio/common';
import { SEARCH_ATTRIBUTE_TYPES, findTemporalCli, freePort } from '../../workers/temporal-server';

/** History length at which the test server suggests continue-as-new (the server's default is several thousand). */
export const CONTINUE_AS_NEW_SUGGESTED_AT = 200;

export default async function globalSetup(): Promise<void> {
  const cli = findTemporalCli();
  if (!cli) throw new Error('the Temporal CLI is missing: run `node scripts/setup.js` first (npm test does it)');
  const port = await freePort();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      ip: '127.0.0.1',
      port,
      // A low threshold makes monitoring loops continue as new within a test's few minutes.
      extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${CONTINUE_AS_NEW_SUGGESTED_AT}`],
      searchAttributes: Object.entries(SEARCH_ATTRIBUTE_TYPES).map(([name, type]) =>
        defineSearchAttributeKey(name, type === 'Double' ? 'DOUBLE' : 'KEYWORD'),
      ),
    },
  });
  process.env.TEMPORAL_ADDRESS = `127.0.0.1:${port}`;
  (globalThis as { __temporalEnv?: TestWorkflowEnvironment }).__temporalEnv = env;
}
