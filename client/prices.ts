/**
 * The price table the CLI uses, and `mlops prices refresh`, which rebuilds
 * it from the AWS Price List API.
 *
 * Which table an estimate uses, first match wins:
 * 1. the file named by MLOPS_PRICES;
 * 2. `$MLOPS_HOME/prices.json` (`.mlops/prices.json` by default), which
 *    `mlops prices refresh` writes unless `--out` names another file;
 * 3. the table bundled in domain/prices.ts.
 * Prices under `prices` in a project spec win over any table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GetProductsCommand, type GetProductsCommandInput, type GetProductsCommandOutput, PricingClient } from '@aws-sdk/client-pricing';
import { mergeRefreshedPrices, parsePriceList, PRICE_LIST_COMPONENT, type SkippedProduct } from '../domain/price-list';
import { PRICE_TABLE, type PriceTable, priceTableSchema, type PriceUsage } from '../domain/prices';
import { EXIT } from '../domain/constants';
import { CliError, invalidInput } from './errors';

/**
 * Region of the Price List API endpoint the client calls. The API is served
 * from a few regions only (us-east-1, eu-central-1, ap-south-1) and returns
 * the prices of every region from each of them.
 */
export const PRICING_API_REGION = 'us-east-1';

/** The part of PricingClient the refresh needs, so tests can pass a fake `send`. */
export interface PricingSender {
  send(command: GetProductsCommand): Promise<GetProductsCommandOutput>;
}

/** Builds the SDK client for the Price List API, always in PRICING_API_REGION. */
export function createPricingClient(config: ConstructorParameters<typeof PricingClient>[0] = {}): PricingClient {
  return new PricingClient({ ...config, region: PRICING_API_REGION });
}

/** Returns the GetProducts request of one usage in one region, before paging. */
export function productsRequest(region: string, usage: PriceUsage): GetProductsCommandInput {
  return {
    ServiceCode: 'AmazonSageMaker',
    FormatVersion: 'aws_v1',
    Filters: [
      { Type: 'TERM_MATCH', Field: 'regionCode', Value: region },
      { Type: 'TERM_MATCH', Field: 'component', Value: PRICE_LIST_COMPONENT[usage] },
    ],
    MaxResults: 100,
  };
}

/** Fetches every page of GetProducts for `usage` in `region`, following NextToken until the last page. */
export async function fetchPriceList(client: PricingSender, region: string, usage: PriceUsage): Promise<string[]> {
  const entries: string[] = [];
  let nextToken: string | undefined;
  const seen = new Set<string>();
  do {
    let page: GetProductsCommandOutput;
    try {
      page = await client.send(new GetProductsCommand({ ...productsRequest(region, usage), NextToken: nextToken }));
    } catch (error) {
      throw new CliError(
        `GetProducts for ${usage} prices in ${region} failed: ${(error as Error).message}; ` +
          'check the network and that AWS credentials allowed pricing:GetProducts are set (AWS_PROFILE or AWS_ACCESS_KEY_ID)',
        EXIT.failure,
        { cause: error },
      );
    }
    // The SDK hands PriceList items over as String objects (LazyJsonString), not primitive strings.
    entries.push(...(page.PriceList ?? []).map((item: unknown) => String(item)));
    nextToken = page.NextToken || undefined;
    if (nextToken !== undefined) {
      if (seen.has(nextToken)) throw new Error(`GetProducts returned NextToken ${nextToken} twice for ${usage} in ${region}; stopping to avoid a loop`);
      seen.add(nextToken);
    }
  } while (nextToken !== undefined);
  return entries;
}

export interface RefreshResult {
  table: PriceTable;
  /** Products read per usage, all pages together. */
  productCount: Record<PriceUsage, number>;
  skipped: SkippedProduct[];
}

/** Rebuilds the training and hosting prices of `region` on top of `base`, dated `date` (YYYY-MM-DD). */
export async function refreshPrices(client: PricingSender, options: { region: string; base: PriceTable; date: string }): Promise<RefreshResult> {
  const training = await fetchPriceList(client, options.region, 'training');
  const hosting = await fetchPriceList(client, options.region, 'hosting');
  const parsedTraining = parsePriceList(training, options.region, 'training');
  const parsedHosting = parsePriceList(hosting, options.region, 'hosting');
  return {
    table: mergeRefreshedPrices(options.base, options.region, { training: parsedTraining.prices, hosting: parsedHosting.prices }, options.date),
    productCount: { training: training.length, hosting: hosting.length },
    skipped: [...parsedTraining.skipped, ...parsedHosting.skipped],
  };
}

/** Returns the path of the price table file the CLI reads, whether or not it exists. */
export function priceTablePath(home: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.MLOPS_PRICES ? path.resolve(env.MLOPS_PRICES) : path.join(home, 'prices.json');
}

/**
 * Loads the price table the CLI uses: the file of priceTablePath when it
 * exists, else the bundled table. A file named by MLOPS_PRICES must exist.
 * Throws an invalid-input CliError naming the file and the bad field.
 */
export function loadPriceTable(home: string, env: NodeJS.ProcessEnv = process.env): PriceTable {
  const file = priceTablePath(home, env);
  if (!fs.existsSync(file)) {
    if (env.MLOPS_PRICES) throw invalidInput(`price table ${file} (from MLOPS_PRICES) not found; unset MLOPS_PRICES or run \`mlops prices refresh --out ${file}\``);
    return PRICE_TABLE;
  }
  return readPriceTable(file);
}

/** Reads and validates a price table file. */
export function readPriceTable(file: string): PriceTable {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw invalidInput(`price table ${file} is not valid JSON: ${(error as Error).message}; run \`mlops prices refresh --out ${file}\` to rewrite it`, { cause: error });
  }
  const result = priceTableSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalidInput(`invalid price table ${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}; fix it or delete it to use the bundled table`);
  }
  return result.data;
}

/** Writes `table` as pretty JSON, creating the folder, through a temporary file so a reader never sees half a table. */
export function writePriceTable(file: string, table: PriceTable): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(table, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

/**
 * Runs `mlops prices refresh`: rebuilds `region` on top of the table the CLI
 * uses now and writes it to `out` (default: priceTablePath). Returns the
 * line to print. `client` defaults to the real SDK client, which needs AWS
 * credentials with the pricing:GetProducts permission.
 */
export async function runPricesRefresh(options: {
  home: string;
  region: string;
  out?: string;
  client?: PricingSender;
  now?: Date;
  env?: NodeJS.ProcessEnv;
}): Promise<{ file: string; result: RefreshResult; message: string }> {
  const env = options.env ?? process.env;
  if (!/^[a-z]{2}-[a-z]+-\d$/.test(options.region)) throw invalidInput(`invalid --region '${options.region}': expected an AWS region such as us-east-1`);
  const base = loadPriceTable(options.home, env);
  const date = (options.now ?? new Date()).toISOString().slice(0, 10);
  const result = await refreshPrices(options.client ?? createPricingClient(), { region: options.region, base, date });
  const file = options.out ? path.resolve(options.out) : priceTablePath(options.home, env);
  writePriceTable(file, result.table);
  const prices = result.table.regions[options.region];
  const message =
    `wrote ${file}: ${Object.keys(prices.training).length} training and ${Object.keys(prices.hosting).length} hosting prices ` +
    `for ${options.region} as of ${date}, from ${result.productCount.training + result.productCount.hosting} products ` +
    `(${result.skipped.length} skipped)`;
  return { file, result, message };
}
