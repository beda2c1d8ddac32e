/**
 * `mlops prices refresh` and the price table file: Price List parsing over
 * every page, the merge into the table, the file the CLI reads, and the SDK
 * client's endpoint region. No request leaves the process: the refresh gets
 * a fake `send`, and the real client gets an in-process request handler.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetProductsCommand, type GetProductsCommandOutput } from '@aws-sdk/client-pricing';
import { parsePriceList } from '../../domain/price-list';
import { PRICE_TABLE } from '../../domain/prices';
import { estimateCost } from '../../domain/estimate';
import { createPricingClient, fetchPriceList, loadPriceTable, PRICING_API_REGION, type PricingSender, runPricesRefresh } from '../../client/prices';
import { makeSpec } from '../domain/fixtures';
import { HOSTING_PAGES, priceListItem, TRAINING_PAGES } from './fixtures/price-list-pages';

process.env.AWS_EC2_METADATA_DISABLED = 'true';

/** A fake SDK client that returns recorded pages by component and NextToken and records each request. */
function fakeSender(): PricingSender & { requests: GetProductsCommand['input'][] } {
  const requests: GetProductsCommand['input'][] = [];
  return {
    requests,
    async send(command: GetProductsCommand): Promise<GetProductsCommandOutput> {
      requests.push(command.input);
      const component = command.input.Filters?.find((f) => f.Field === 'component')?.Value;
      const pages = component === 'Training' ? TRAINING_PAGES : HOSTING_PAGES;
      const prefix = component === 'Training' ? 'training' : 'hosting';
      const token = command.input.NextToken;
      const index = token === undefined ? 0 : Number(token.replace(`${prefix}-page-`, '')) - 1;
      if (!pages[index]) throw new Error(`unexpected NextToken ${token}`);
      return pages[index];
    },
  };
}

describe('parsePriceList', () => {
  const all = TRAINING_PAGES.flatMap((p) => p.PriceList ?? []);

  test('training keeps on-demand hourly only', () => {
    const parsed = parsePriceList(all, 'us-east-1', 'training');
    expect(parsed.prices).toEqual({ 'ml.m5.large': 0.115, 'ml.p3.2xlarge': 3.825 });
    expect(parsed.skipped.map((s) => s.sku)).toEqual(['T2', 'T3', 'T5']);
    expect(parsed.skipped[0].reason).toContain('USE1-Train:ml.m5.large-Spot');
    expect(parsed.skipped[1].reason).toBe('region eu-west-1, not us-east-1');
    expect(parsed.skipped[2].reason).toBe('no positive on-demand price per hour');
  });

  test('hosting skips notebooks and GB-months', () => {
    const parsed = parsePriceList(HOSTING_PAGES.flatMap((p) => p.PriceList ?? []), 'us-east-1', 'hosting');
    expect(parsed.prices).toEqual({ 'ml.m5.large': 0.115, 'ml.t3.medium': 0.05 });
    expect(parsed.skipped.map((s) => s.sku)).toEqual(['H2', 'H4']);
  });

  test('invalid JSON entry names index', () => {
    expect(() => parsePriceList(['{"product":'], 'us-east-1', 'training')).toThrow(/PriceList entry 0 is not valid JSON/);
  });

  test('conflicting prices for one type', () => {
    const twice = [
      priceListItem({ sku: 'A', regionCode: 'us-east-1', component: 'Hosting', instanceName: 'ml.m5.large', usagetype: 'USE1-Host:ml.m5.large', usd: '0.115' }),
      priceListItem({ sku: 'B', regionCode: 'us-east-1', component: 'Hosting', instanceName: 'ml.m5.large', usagetype: 'USE1-Host:ml.m5.large', usd: '0.2' }),
    ];
    expect(() => parsePriceList(twice, 'us-east-1', 'hosting')).toThrow('two hosting prices for ml.m5.large in us-east-1: 0.115 and 0.2');
  });
});

describe('fetchPriceList', () => {
  test('follows every NextToken page', async () => {
    const sender = fakeSender();
    const entries = await fetchPriceList(sender, 'us-east-1', 'training');
    expect(entries).toHaveLength(5);
    expect(sender.requests.map((r) => r.NextToken)).toEqual([undefined, 'training-page-2', 'training-page-3']);
    expect(sender.requests[0]).toMatchObject({
      ServiceCode: 'AmazonSageMaker',
      Filters: [
        { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-east-1' },
        { Type: 'TERM_MATCH', Field: 'component', Value: 'Training' },
      ],
    });
  });

  test('failed request names the fix', async () => {
    const failing: PricingSender = {
      send: async () => {
        throw new Error('Could not load credentials from any providers');
      },
    };
    await expect(fetchPriceList(failing, 'us-east-1', 'hosting')).rejects.toThrow(
      'GetProducts for hosting prices in us-east-1 failed: Could not load credentials from any providers; check the network and that AWS credentials',
    );
  });

  test('repeated NextToken stops the loop', async () => {
    const looping: PricingSender = { send: async () => ({ PriceList: [], NextToken: 'same', $metadata: {} }) };
    await expect(fetchPriceList(looping, 'us-east-1', 'hosting')).rejects.toThrow('NextToken same twice');
  });
});

describe('runPricesRefresh', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-prices-'));
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  test('refresh writes dated table file', async () => {
    const { file, result, message } = await runPricesRefresh({ home, region: 'us-east-1', client: fakeSender(), now: new Date('2026-12-04T12:00:00Z'), env: {} });
    expect(file).toBe(path.join(home, 'prices.json'));
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(written.date).toBe('2026-12-04');
    expect(written.source).toContain('AWS Price List API (GetProducts, AmazonSageMaker) on 2026-12-04 for training and hosting in us-east-1');
    expect(written.regions['us-east-1'].training).toEqual({ 'ml.m5.large': 0.115, 'ml.p3.2xlarge': 3.825 });
    expect(written.regions['us-east-1'].hosting).toEqual({ 'ml.m5.large': 0.115, 'ml.t3.medium': 0.05 });
    expect(written.regions['us-east-1'].storageGbMonthUsd).toBe(0.023);
    expect(written.regions['eu-west-1']).toEqual(PRICE_TABLE.regions['eu-west-1']);
    expect(result.productCount).toEqual({ training: 5, hosting: 4 });
    expect(message).toContain('2 training and 2 hosting prices for us-east-1 as of 2026-12-04, from 9 products (5 skipped)');
  });

  test('estimate uses refreshed home table', () => {
    const table = loadPriceTable(home, {});
    expect(table.date).toBe('2026-12-04');
    const spec = makeSpec((raw) => {
      raw.training.candidates = [{ instanceType: 'ml.p3.2xlarge' }];
      raw.deployment = { instanceType: 'ml.t3.medium' };
    });
    const estimate = estimateCost(spec, { priceTable: table });
    expect(estimate.inference.pricePerInstanceHourUsd).toBe(0.05);
    expect(estimate.training.priceSource).toBe('table 2026-12-04 us-east-1');
    expect(estimate.prices.tableDate).toBe('2026-12-04');
  });

  test('out option writes elsewhere', async () => {
    const out = path.join(home, 'nested', 'eu.json');
    const { file } = await runPricesRefresh({ home, region: 'us-east-1', out, client: fakeSender(), env: {} });
    expect(file).toBe(out);
    expect(loadPriceTable(home, { MLOPS_PRICES: out }).date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  test('empty answer rejects the refresh', async () => {
    const empty: PricingSender = { send: async () => ({ PriceList: [], $metadata: {} }) };
    await expect(runPricesRefresh({ home, region: 'eu-north-1', client: empty, env: {} })).rejects.toThrow(
      'the Price List API returned no on-demand training prices for eu-north-1',
    );
  });

  test('missing MLOPS_PRICES file rejected', () => {
    expect(() => loadPriceTable(home, { MLOPS_PRICES: path.join(home, 'none.json') })).toThrow(/none\.json \(from MLOPS_PRICES\) not found/);
  });

  test('invalid table file names field', () => {
    const bad = path.join(home, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ ...PRICE_TABLE, date: 'yesterday' }));
    expect(() => loadPriceTable(home, { MLOPS_PRICES: bad })).toThrow(/invalid price table .*bad\.json: date: expected an ISO-8601 date/);
  });

  test('no file means bundled table', () => {
    expect(loadPriceTable(path.join(home, 'empty-home'), {})).toBe(PRICE_TABLE);
  });
});

describe('createPricingClient', () => {
  test('client targets us-east-1 pricing endpoint', async () => {
    const client = createPricingClient({ region: 'eu-west-1' });
    expect(PRICING_API_REGION).toBe('us-east-1');
    expect(await client.config.region()).toBe('us-east-1');
  });

  test('real client request stays in-process', async () => {
    const seen: { hostname: string; target: string | undefined; body: Record<string, any> }[] = [];
    const client = createPricingClient({
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
      requestHandler: {
        async handle(request: { hostname: string; headers: Record<string, string>; body: string }) {
          const body = JSON.parse(request.body);
          seen.push({ hostname: request.hostname, target: request.headers['x-amz-target'], body });
          const page = body.NextToken === undefined ? TRAINING_PAGES[0] : TRAINING_PAGES[1];
          const answer = JSON.stringify({ FormatVersion: 'aws_v1', PriceList: page.PriceList, NextToken: body.NextToken === undefined ? 'page-2' : undefined });
          const { Readable } = await import('node:stream');
          return {
            response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from(answer)]) },
          };
        },
      } as never,
    });
    const entries = await fetchPriceList(client, 'us-east-1', 'training');
    expect(entries).toEqual([...TRAINING_PAGES[0].PriceList!, ...TRAINING_PAGES[1].PriceList!]);
    expect(typeof entries[0]).toBe('string');
    expect(seen.map((s) => s.hostname)).toEqual(['api.pricing.us-east-1.amazonaws.com', 'api.pricing.us-east-1.amazonaws.com']);
    expect(seen[0].target).toBe('AWSPriceListService.GetProducts');
    expect(seen[0].body.Filters).toContainEqual({ Type: 'TERM_MATCH', Field: 'component', Value: 'Training' });
    expect(seen[1].body.NextToken).toBe('page-2');
  });
});
