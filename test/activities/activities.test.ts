/**
 * The activity factory prices with the table the worker loaded (a refreshed
 * $MLOPS_HOME/prices.json), not only with the bundled one.
 */
import { createActivities } from '../../activities';
import type { Mailer } from '../../activities/mail';
import type { ComputeProvider } from '../../activities/provider/types';
import { createLogger } from '../../client/logger';
import type { CostEstimate } from '../../domain/estimate';
import { PRICE_TABLE, type PriceTable } from '../../domain/prices';
import { quickstartSpec } from '../support/harness';

function activitiesWith(priceTable?: PriceTable) {
  return createActivities({
    // estimateCost touches neither the provider nor the mailer.
    provider: {} as ComputeProvider,
    mailer: {} as Mailer,
    secret: Buffer.alloc(32, 1),
    publicUrl: 'http://127.0.0.1:8787',
    logger: createLogger('test', { write: () => undefined }),
    priceTable,
  });
}

test('estimate uses the loaded price table', async () => {
  const spec = quickstartSpec('prices');
  const region = PRICE_TABLE.regions[spec.region];
  const doubled: PriceTable = {
    ...PRICE_TABLE,
    regions: {
      ...PRICE_TABLE.regions,
      [spec.region]: { ...region, hosting: Object.fromEntries(Object.entries(region.hosting).map(([type, price]) => [type, price * 2])) },
    },
  };
  const bundled = (await activitiesWith().estimateCost(spec)) as CostEstimate;
  const refreshed = (await activitiesWith(doubled).estimateCost(spec)) as CostEstimate;
  expect(refreshed.inference.perHourUsd).toBeCloseTo(bundled.inference.perHourUsd * 2, 6);
});
