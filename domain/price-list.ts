/**
 * Parsing of AWS Price List API answers (GetProducts for the AmazonSageMaker
 * service code) into the training and hosting prices of a price table, and
 * the merge of those prices into a table. Pure: the SDK call lives in
 * client/prices.ts.
 *
 * Each PriceList entry is a JSON string with `product.attributes` (regionCode,
 * instanceName, component, usagetype) and `terms.OnDemand.<offer>.priceDimensions.<rate>.pricePerUnit.USD`.
 * NOTE: the attribute names and values (component `Training`/`Hosting`,
 * usagetype `USE1-Train:ml.m5.large`) follow the Price List files as the
 * author knew them; they were not checked against a live answer here.
 */
import type { PriceTable, PriceUsage, RegionPrices } from './prices';

/** Value of the `component` attribute of SageMaker products, by usage. */
export const PRICE_LIST_COMPONENT: Readonly<Record<PriceUsage, string>> = { training: 'Training', hosting: 'Hosting' };

/** Usage type infix that marks on-demand instance-hours: `USE1-Train:ml.m5.large`. */
const USAGE_TYPE_INFIX: Readonly<Record<PriceUsage, string>> = { training: 'Train', hosting: 'Host' };

/** One product skipped while parsing, with the reason, so a refresh can say what it ignored. */
export interface SkippedProduct {
  sku: string;
  reason: string;
}

export interface ParsedPriceList {
  /** On-demand USD per instance-hour by instance type. */
  prices: Record<string, number>;
  skipped: SkippedProduct[];
}

interface PriceListProduct {
  product?: { sku?: string; attributes?: Record<string, string> };
  terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, { unit?: string; pricePerUnit?: { USD?: string } }> }> };
}

/**
 * Parses the PriceList strings of every GetProducts page into on-demand
 * prices per instance-hour for `usage` in `region`. Products of another
 * region or component, spot or other usage types, units other than hours,
 * and zero prices are skipped with a reason. Throws an Error naming the
 * entry when a string is not JSON or when one instance type has two
 * different prices.
 */
export function parsePriceList(priceList: readonly string[], region: string, usage: PriceUsage): ParsedPriceList {
  const prices: Record<string, number> = {};
  const skipped: SkippedProduct[] = [];

  priceList.forEach((text, index) => {
    let entry: PriceListProduct;
    try {
      entry = JSON.parse(text) as PriceListProduct;
    } catch (error) {
      throw new Error(`PriceList entry ${index} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    const attributes = entry.product?.attributes ?? {};
    const sku = entry.product?.sku ?? `entry ${index}`;
    const instanceType = attributes.instanceName;

    const reason = skipReason(attributes, region, usage);
    if (reason) {
      skipped.push({ sku, reason });
      return;
    }
    const price = onDemandHourlyPrice(entry);
    if (price === undefined || !(price > 0)) {
      skipped.push({ sku, reason: 'no positive on-demand price per hour' });
      return;
    }
    const known = prices[instanceType];
    if (known !== undefined && known !== price) {
      throw new Error(`PriceList lists two ${usage} prices for ${instanceType} in ${region}: ${known} and ${price} USD per hour`);
    }
    prices[instanceType] = price;
  });
  return { prices, skipped };
}

function skipReason(attributes: Record<string, string>, region: string, usage: PriceUsage): string | undefined {
  if (attributes.regionCode !== region) return `region ${attributes.regionCode ?? 'missing'}, not ${region}`;
  if (attributes.component !== PRICE_LIST_COMPONENT[usage]) return `component ${attributes.component ?? 'missing'}, not ${PRICE_LIST_COMPONENT[usage]}`;
  const instanceType = attributes.instanceName;
  if (!instanceType || !/^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(instanceType)) return `instanceName ${instanceType ?? 'missing'} is not a SageMaker instance type`;
  // Spot training and other variants carry a suffix after the instance type in the usage type.
  const usageType = attributes.usagetype ?? '';
  if (!usageType.endsWith(`-${USAGE_TYPE_INFIX[usage]}:${instanceType}`)) return `usagetype ${usageType || 'missing'} is not on-demand ${usage} instance-hours`;
  return undefined;
}

/** Returns the USD price of the first on-demand price dimension billed in hours. */
function onDemandHourlyPrice(entry: PriceListProduct): number | undefined {
  for (const offer of Object.values(entry.terms?.OnDemand ?? {})) {
    for (const dimension of Object.values(offer.priceDimensions ?? {})) {
      if (!/^hrs?$/i.test(dimension.unit ?? '')) continue;
      const usd = Number(dimension.pricePerUnit?.USD);
      if (Number.isFinite(usd)) return usd;
    }
  }
  return undefined;
}

/**
 * Returns `base` with the training and hosting prices of `region` replaced
 * by the refreshed ones, dated `date`. Storage, transfer, the estimates and
 * the other regions stay as in `base`, and the source says so. Throws when
 * either usage came back empty, because an empty list means the filters or
 * the region are wrong, not that SageMaker has no instances.
 */
export function mergeRefreshedPrices(
  base: PriceTable,
  region: string,
  refreshed: { training: Record<string, number>; hosting: Record<string, number> },
  date: string,
): PriceTable {
  for (const usage of ['training', 'hosting'] as const) {
    if (Object.keys(refreshed[usage]).length === 0) {
      throw new Error(
        `the Price List API returned no on-demand ${usage} prices for ${region} (component ${PRICE_LIST_COMPONENT[usage]}); ` +
          'check the region name, which must be one SageMaker runs in, such as us-east-1',
      );
    }
  }
  const previous: RegionPrices | undefined = base.regions[region];
  const regionPrices: RegionPrices = {
    training: sortKeys(refreshed.training),
    hosting: sortKeys(refreshed.hosting),
    // Storage and transfer are other services (AmazonS3, AWSDataTransfer); the us-east-1 figures stand in for a new region.
    storageGbMonthUsd: previous?.storageGbMonthUsd ?? base.regions['us-east-1'].storageGbMonthUsd,
    transferOutGbUsd: previous?.transferOutGbUsd ?? base.regions['us-east-1'].transferOutGbUsd,
  };
  return {
    date,
    source:
      `AWS Price List API (GetProducts, AmazonSageMaker) on ${date} for training and hosting in ${region}; ` +
      `storage, transfer, estimates and other regions from the table of ${base.date}: ${base.source}`,
    regions: { ...base.regions, [region]: regionPrices },
    estimates: base.estimates,
  };
}

function sortKeys(prices: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(prices).sort(([a], [b]) => a.localeCompare(b)));
}
