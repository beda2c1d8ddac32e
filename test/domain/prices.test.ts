import { INSTANCE_SPECS } from '../../domain/instances';
import {
  PRICE_TABLE,
  PriceNotFoundError,
  resolvePrice,
  resolveStoragePrice,
  resolveTransferPrice,
  SPOT_TRAINING_DISCOUNT,
} from '../../domain/prices';

describe('price table', () => {
  test('table states date and caveat', () => {
    expect(PRICE_TABLE.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICE_TABLE.source).toContain('not fetched from AWS');
    expect(PRICE_TABLE.source).toContain('may be outdated');
  });

  test('table covers four regions, common types', () => {
    expect(Object.keys(PRICE_TABLE.regions).sort()).toEqual(['eu-central-1', 'eu-west-1', 'us-east-1', 'us-west-2']);
    for (const region of Object.values(PRICE_TABLE.regions)) {
      for (const type of ['ml.m5.large', 'ml.m5.xlarge', 'ml.m5.2xlarge', 'ml.m5.4xlarge', 'ml.c5.xlarge', 'ml.c5.2xlarge', 'ml.g4dn.xlarge', 'ml.g5.xlarge', 'ml.p3.2xlarge']) {
        expect(region.training[type]).toBeGreaterThan(0);
        expect(region.hosting[type]).toBeGreaterThan(0);
      }
      expect(region.hosting['ml.t3.medium']).toBeGreaterThan(0);
      expect(region.hosting['ml.c5.large']).toBeGreaterThan(0);
    }
  });

  test('every priced type has hardware specs', () => {
    for (const region of Object.values(PRICE_TABLE.regions)) {
      for (const type of [...Object.keys(region.training), ...Object.keys(region.hosting)]) {
        expect(INSTANCE_SPECS[type]).toBeDefined();
        expect(type).toMatch(/^ml\.[a-z0-9]+\.[a-z0-9]+$/);
      }
    }
  });

  test('european prices not below us-east-1', () => {
    const us = PRICE_TABLE.regions['us-east-1'];
    for (const region of ['eu-west-1', 'eu-central-1']) {
      for (const [type, price] of Object.entries(PRICE_TABLE.regions[region].hosting)) {
        expect(price).toBeGreaterThanOrEqual(us.hosting[type]);
      }
    }
  });
});

describe('resolvePrice', () => {
  test('table price names date and region', () => {
    expect(resolvePrice(undefined, 'us-east-1', 'ml.m5.large', 'training')).toEqual({
      pricePerHourUsd: 0.115,
      onDemandPerHourUsd: 0.115,
      spot: false,
      source: `table ${PRICE_TABLE.date} us-east-1`,
    });
    expect(resolvePrice({}, 'eu-central-1', 'ml.p3.2xlarge', 'hosting').source).toBe(`table ${PRICE_TABLE.date} eu-central-1`);
  });

  test('override wins over table', () => {
    const price = resolvePrice({ training: { 'ml.p3.2xlarge': 16 } }, 'us-east-1', 'ml.p3.2xlarge', 'training');
    expect(price.pricePerHourUsd).toBe(16);
    expect(price.source).toBe('override');
  });

  test('override of other usage ignored', () => {
    const price = resolvePrice({ training: { 'ml.m5.large': 1 } }, 'us-east-1', 'ml.m5.large', 'hosting');
    expect(price.pricePerHourUsd).toBe(0.115);
  });

  test('override works outside table regions', () => {
    expect(resolvePrice({ hosting: { 'ml.m5.large': 0.2 } }, 'ap-south-1', 'ml.m5.large', 'hosting').pricePerHourUsd).toBe(0.2);
  });

  test('spot applies usual discount', () => {
    expect(SPOT_TRAINING_DISCOUNT).toBe(0.7);
    const price = resolvePrice(undefined, 'us-east-1', 'ml.p3.2xlarge', 'training', true);
    expect(price.pricePerHourUsd).toBe(1.1475);
    expect(price.onDemandPerHourUsd).toBe(3.825);
    expect(price.spot).toBe(true);
    expect(resolvePrice({ training: { 'ml.p3.2xlarge': 16 } }, 'us-east-1', 'ml.p3.2xlarge', 'training', true).pricePerHourUsd).toBe(4.8);
  });

  test('spot hosting rejected', () => {
    expect(() => resolvePrice(undefined, 'us-east-1', 'ml.m5.large', 'hosting', true)).toThrow(/spot capacity is for training only/);
  });

  test('unknown type names type and fix', () => {
    let caught: unknown;
    try {
      resolvePrice({ training: { 'ml.p3.2xlarge': 16 } }, 'us-east-1', 'ml.r5.large', 'training');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PriceNotFoundError);
    const message = (caught as Error).message;
    expect(message).toContain('ml.r5.large');
    expect(message).toContain('us-east-1');
    expect(message).toContain('under prices.training in the project spec');
  });

  test('training-only gap not guessed', () => {
    expect(() => resolvePrice(undefined, 'us-east-1', 'ml.t3.medium', 'training')).toThrow(/no training price for ml.t3.medium/);
  });

  test('unknown region names covered regions', () => {
    expect(() => resolvePrice(undefined, 'ap-south-1', 'ml.m5.large', 'hosting')).toThrow(
      /no bundled prices for region ap-south-1: .*covers us-east-1, us-west-2, eu-west-1, eu-central-1; set prices\.hosting\.ml\.m5\.large/,
    );
  });
});

describe('storage and transfer prices', () => {
  test('table and override sources', () => {
    expect(resolveStoragePrice(undefined, 'us-east-1')).toEqual({ priceUsd: 0.023, source: `table ${PRICE_TABLE.date} us-east-1` });
    expect(resolveStoragePrice({ storageGbMonthUsd: 0 }, 'ap-south-1')).toEqual({ priceUsd: 0, source: 'override' });
    expect(resolveTransferPrice(undefined, 'eu-west-1').priceUsd).toBe(0.09);
    expect(resolveTransferPrice({ transferGbUsd: 0.05 }, 'eu-west-1')).toEqual({ priceUsd: 0.05, source: 'override' });
  });

  test('unknown region names spec field', () => {
    expect(() => resolveStoragePrice(undefined, 'sa-east-1')).toThrow(/set prices\.storageGbMonthUsd/);
    expect(() => resolveTransferPrice({}, 'sa-east-1')).toThrow(/set prices\.transferGbUsd/);
  });
});
