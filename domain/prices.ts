/**
 * A bundled table of Amazon SageMaker on-demand list prices, used when the
 * project spec does not override a price, and the lookup that picks between
 * the spec's overrides and the table.
 *
 * NOTE: the figures are list prices as the author knew them around the table
 * date. They were not fetched from AWS for this file and may be outdated.
 * Check https://aws.amazon.com/sagemaker/pricing/ and put the current price
 * under `prices` in the project spec when it matters, or run
 * `mlops prices refresh`, which writes a table file the CLI reads instead
 * of this one. Every lookup takes the table as an optional last argument.
 */

import { z } from 'zod';

export type PriceUsage = 'training' | 'hosting';

/** Prices of one region, in USD. */
export interface RegionPrices {
  /** On-demand price per instance-hour of a training job. */
  training: Readonly<Record<string, number>>;
  /** On-demand price per instance-hour of a real-time endpoint instance. */
  hosting: Readonly<Record<string, number>>;
  /** S3 Standard storage per GB-month (first 50 TB tier). */
  storageGbMonthUsd: number;
  /** Data transfer out to the internet per GB (first 10 TB tier). */
  transferOutGbUsd: number;
}

/**
 * Illustrative rates the estimate uses where no list price applies. They are
 * estimates: real discounts vary by instance family, region, term and payment
 * option, and the Price List refresh does not change them.
 */
export interface PriceEstimates {
  /** Saving of managed spot training against on-demand, as a fraction (0.7: spot costs 30 %). */
  spotTrainingDiscount: number;
  /** Saving of a 1-year no-upfront SageMaker Savings Plan against on-demand hosting, as a fraction. */
  savingsPlanOneYearDiscount: number;
  /** Saving of a 3-year no-upfront SageMaker Savings Plan against on-demand hosting, as a fraction. */
  savingsPlanThreeYearDiscount: number;
  /** Serverless inference compute per GB of configured memory per second, USD. */
  serverlessGbSecondUsd: number;
  /** Serverless inference price per request, USD. */
  serverlessRequestUsd: number;
  /** Added latency of a serverless cold start, milliseconds. */
  serverlessColdStartMs: number;
}

export interface PriceTable {
  /** Day the figures are believed to have been the list prices, ISO-8601. */
  date: string;
  source: string;
  regions: Readonly<Record<string, RegionPrices>>;
  estimates: PriceEstimates;
}

const priceMap = z.record(z.string().regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/), z.number().nonnegative());

/** Schema of a price table file, such as one written by `mlops prices refresh`. */
export const priceTableSchema = z.strictObject({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected an ISO-8601 date such as 2026-12-04' }),
  source: z.string().min(1),
  regions: z.record(
    z.string().regex(/^[a-z]{2}-[a-z]+-\d$/, { error: 'expected an AWS region such as us-east-1' }),
    z.strictObject({
      training: priceMap,
      hosting: priceMap,
      storageGbMonthUsd: z.number().nonnegative(),
      transferOutGbUsd: z.number().nonnegative(),
    }),
  ),
  estimates: z.strictObject({
    spotTrainingDiscount: z.number().min(0).lt(1),
    savingsPlanOneYearDiscount: z.number().min(0).lt(1),
    savingsPlanThreeYearDiscount: z.number().min(0).lt(1),
    serverlessGbSecondUsd: z.number().nonnegative(),
    serverlessRequestUsd: z.number().nonnegative(),
    serverlessColdStartMs: z.number().nonnegative(),
  }),
});

const US_COMPUTE = {
  'ml.m5.large': 0.115,
  'ml.m5.xlarge': 0.23,
  'ml.m5.2xlarge': 0.461,
  'ml.m5.4xlarge': 0.922,
  'ml.c5.xlarge': 0.204,
  'ml.c5.2xlarge': 0.408,
  'ml.c5.4xlarge': 0.816,
  'ml.g4dn.xlarge': 0.736,
  'ml.g4dn.2xlarge': 0.94,
  'ml.g5.xlarge': 1.408,
  'ml.g5.2xlarge': 1.515,
  'ml.p3.2xlarge': 3.825,
};

const US_PRICES: RegionPrices = {
  training: US_COMPUTE,
  hosting: { ...US_COMPUTE, 'ml.t2.medium': 0.056, 'ml.t3.medium': 0.05, 'ml.c5.large': 0.102 },
  storageGbMonthUsd: 0.023,
  transferOutGbUsd: 0.09,
};

const EU_WEST_1_COMPUTE = {
  'ml.m5.large': 0.128,
  'ml.m5.xlarge': 0.256,
  'ml.m5.2xlarge': 0.512,
  'ml.m5.4xlarge': 1.024,
  'ml.c5.xlarge': 0.23,
  'ml.c5.2xlarge': 0.46,
  'ml.c5.4xlarge': 0.919,
  'ml.g4dn.xlarge': 0.822,
  'ml.g4dn.2xlarge': 1.05,
  'ml.g5.xlarge': 1.573,
  'ml.g5.2xlarge': 1.692,
  'ml.p3.2xlarge': 4.131,
};

const EU_CENTRAL_1_COMPUTE = {
  'ml.m5.large': 0.138,
  'ml.m5.xlarge': 0.276,
  'ml.m5.2xlarge': 0.552,
  'ml.m5.4xlarge': 1.104,
  'ml.c5.xlarge': 0.233,
  'ml.c5.2xlarge': 0.466,
  'ml.c5.4xlarge': 0.932,
  'ml.g4dn.xlarge': 0.921,
  'ml.g4dn.2xlarge': 1.176,
  'ml.g5.xlarge': 1.761,
  'ml.g5.2xlarge': 1.895,
  'ml.p3.2xlarge': 4.779,
};

/**
 * The bundled price table. Types missing from a usage are not offered for
 * it by SageMaker as far as the author is aware (t2/t3 and ml.c5.large for
 * training), so a lookup there fails instead of guessing.
 */
export const PRICE_TABLE: PriceTable = {
  date: '2024-06-01',
  source:
    'Amazon SageMaker on-demand list prices recalled by the author for about mid-2024, not fetched from AWS; ' +
    'us-west-2 is taken as equal to us-east-1 and the eu-west-1 and eu-central-1 figures are scaled from ' +
    'us-east-1 by the EC2 price ratios of the same time. Estimates that may be outdated: ' +
    'check https://aws.amazon.com/sagemaker/pricing/',
  regions: {
    'us-east-1': US_PRICES,
    'us-west-2': US_PRICES,
    'eu-west-1': {
      training: EU_WEST_1_COMPUTE,
      hosting: { ...EU_WEST_1_COMPUTE, 'ml.t2.medium': 0.062, 'ml.t3.medium': 0.055, 'ml.c5.large': 0.115 },
      storageGbMonthUsd: 0.023,
      transferOutGbUsd: 0.09,
    },
    'eu-central-1': {
      training: EU_CENTRAL_1_COMPUTE,
      hosting: { ...EU_CENTRAL_1_COMPUTE, 'ml.t2.medium': 0.067, 'ml.t3.medium': 0.058, 'ml.c5.large': 0.117 },
      storageGbMonthUsd: 0.0245,
      transferOutGbUsd: 0.09,
    },
  },
  // Illustrative estimates, the same in every region; not list prices.
  estimates: {
    spotTrainingDiscount: 0.7,
    savingsPlanOneYearDiscount: 0.25,
    savingsPlanThreeYearDiscount: 0.45,
    serverlessGbSecondUsd: 0.00002,
    serverlessRequestUsd: 0.0000002,
    serverlessColdStartMs: 1000,
  },
};

/**
 * Usual saving of SageMaker managed spot training against on-demand, as a
 * fraction: 0.7 means spot costs 30 % of on-demand. The real discount varies
 * by instance type, region and hour, so this is an estimate.
 */
export const SPOT_TRAINING_DISCOUNT = PRICE_TABLE.estimates.spotTrainingDiscount;

/** The `prices` section of a project spec, or any object of the same shape. */
export interface PriceOverrides {
  training?: Readonly<Record<string, number>>;
  hosting?: Readonly<Record<string, number>>;
  storageGbMonthUsd?: number;
  transferGbUsd?: number;
}

export interface ResolvedPrice {
  /** Price per instance-hour that will be billed: the spot price when `spot` is true. */
  pricePerHourUsd: number;
  /** On-demand price per instance-hour the spot price was derived from. */
  onDemandPerHourUsd: number;
  spot: boolean;
  /** `override` or `table <date> <region>`, such as `table 2024-06-01 us-east-1`. */
  source: string;
}

/** Raised when neither the spec nor the bundled table has a price. The message names the spec field to add. */
export class PriceNotFoundError extends Error {
  constructor(
    message: string,
    readonly item: string,
    readonly region: string,
  ) {
    super(message);
    this.name = 'PriceNotFoundError';
  }
}

/** Returns the `source` string for a figure taken from the bundled table. */
export function tableSource(region: string, table: PriceTable = PRICE_TABLE): string {
  return `table ${table.date} ${region}`;
}

/**
 * Resolves the price per instance-hour of `instanceType` for training or
 * hosting. A price under `overrides.training` or `overrides.hosting` wins
 * over the table, in any region. Both are on-demand prices, so with `spot`
 * the usual spot discount is applied to either.
 *
 * Throws PriceNotFoundError naming the instance type, the region and the
 * spec field to add when no price is known, and a plain Error for spot
 * hosting, which SageMaker does not offer.
 */
export function resolvePrice(
  overrides: PriceOverrides | undefined,
  region: string,
  instanceType: string,
  usage: PriceUsage,
  spot = false,
  table: PriceTable = PRICE_TABLE,
): ResolvedPrice {
  if (spot && usage === 'hosting') {
    throw new Error(`spot capacity is for training only, but a spot hosting price was requested for ${instanceType}`);
  }
  const override = overrides?.[usage]?.[instanceType];
  const onDemand =
    override !== undefined
      ? { price: override, source: 'override' }
      : { price: tablePrice(table, region, instanceType, usage), source: tableSource(region, table) };

  const price = spot ? roundPrice(onDemand.price * (1 - table.estimates.spotTrainingDiscount)) : onDemand.price;
  return { pricePerHourUsd: price, onDemandPerHourUsd: onDemand.price, spot, source: onDemand.source };
}

/** Resolves the S3 storage price per GB-month: `overrides.storageGbMonthUsd`, else the table. */
export function resolveStoragePrice(
  overrides: PriceOverrides | undefined,
  region: string,
  table: PriceTable = PRICE_TABLE,
): { priceUsd: number; source: string } {
  if (overrides?.storageGbMonthUsd !== undefined) return { priceUsd: overrides.storageGbMonthUsd, source: 'override' };
  return { priceUsd: regionPrices(table, region, 'storageGbMonthUsd').storageGbMonthUsd, source: tableSource(region, table) };
}

/** Resolves the data transfer out price per GB: `overrides.transferGbUsd`, else the table. */
export function resolveTransferPrice(
  overrides: PriceOverrides | undefined,
  region: string,
  table: PriceTable = PRICE_TABLE,
): { priceUsd: number; source: string } {
  if (overrides?.transferGbUsd !== undefined) return { priceUsd: overrides.transferGbUsd, source: 'override' };
  return { priceUsd: regionPrices(table, region, 'transferGbUsd').transferOutGbUsd, source: tableSource(region, table) };
}

function tablePrice(table: PriceTable, region: string, instanceType: string, usage: PriceUsage): number {
  const price = regionPrices(table, region, `${usage}.${instanceType}`)[usage][instanceType];
  if (price === undefined) {
    throw new PriceNotFoundError(
      `no ${usage} price for ${instanceType} in ${region}: the ${tableName(table)} of ${table.date} does not list it; ` +
        `add its on-demand USD price per instance-hour under prices.${usage} in the project spec ` +
        `(prices: { ${usage}: { ${instanceType}: 1.23 } })`,
      instanceType,
      region,
    );
  }
  return price;
}

/** `field` is the spec field under `prices` that would avoid the lookup, named in the error. */
function regionPrices(table: PriceTable, region: string, field: string): RegionPrices {
  const prices = table.regions[region];
  if (!prices) {
    throw new PriceNotFoundError(
      `no ${table === PRICE_TABLE ? 'bundled ' : ''}prices for region ${region}: the ${tableName(table)} of ${table.date} covers ` +
        `${Object.keys(table.regions).join(', ')}; set prices.${field} in the project spec`,
      field,
      region,
    );
  }
  return prices;
}

function tableName(table: PriceTable): string {
  return table === PRICE_TABLE ? 'bundled table' : 'price table';
}

/** Rounds a unit price to a millionth of a dollar, which removes float noise such as 1.1474999999999999. */
function roundPrice(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
