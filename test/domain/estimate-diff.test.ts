import { estimateCost } from '../../domain/estimate';
import { diffEstimates, formatEstimateDiff } from '../../domain/estimate-diff';
import { estimateToSummary } from '../../domain/estimate-summary';
import { exampleSpec, makeSpec } from './fixtures';

describe('diffEstimates', () => {
  // us-east-1 table: training 1 × ml.m5.large × 1 h × $0.115 before, 2 × ml.m5.xlarge × 1 h × $0.23 = $0.46 after.
  const before = estimateCost(makeSpec());
  const after = estimateCost(
    makeSpec((raw) => {
      raw.training.candidates = [{ instanceType: 'ml.m5.xlarge', instanceCount: 2 }];
      raw.deployment = { instanceType: 'ml.m5.large', instanceCount: 1 };
    }),
  );
  const diff = diffEstimates(before, after, 'a.yaml', 'b.yaml');
  const line = (item: string) => diff.lines.find((l) => l.item === item)!;

  test('cost increase marked plus', () => {
    expect(line('training, one run')).toEqual({ item: 'training, one run', kind: 'usd', before: 0.12, after: 0.46, change: 0.34, mark: '+' });
  });

  test('changed setting marked tilde', () => {
    expect(line('training instance')).toMatchObject({ before: '1 × ml.m5.large', after: '2 × ml.m5.xlarge', mark: '~' });
    expect(line('region').mark).toBe(' ');
  });

  test('unchanged inference has blank mark', () => {
    expect(line('inference per hour')).toMatchObject({ change: 0, mark: ' ' });
  });

  test('reverse diff marks minus', () => {
    const reverse = diffEstimates(after, before);
    expect(reverse.lines.find((l) => l.item === 'training, one run')).toMatchObject({ change: -0.34, mark: '-' });
  });

  test('text aligns and summarises', () => {
    const text = formatEstimateDiff(diff);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Estimate diff: a.yaml -> b.yaml');
    expect(lines.find((l) => l.includes('training, one run'))).toMatch(/^\+ +training, one run +\$0\.12 +\$0\.46 +\+\$0\.34$/);
    expect(lines.find((l) => l.includes('training instance'))).toMatch(/^~ +training instance +1 × ml\.m5\.large +2 × ml\.m5\.xlarge +changed$/);
    expect(lines.at(-1)).toMatch(/^\d+ of \d+ lines changed; the cost per month changes by \+?\$/);
  });

  test('identical estimates print no change', () => {
    expect(formatEstimateDiff(diffEstimates(before, before)).split('\n').at(-1)).toBe('No change.');
  });
});

describe('estimate summary depth', () => {
  test('summary adds period and option tables', () => {
    const summary = estimateToSummary(estimateCost(exampleSpec()));
    expect(summary.tables.map((t) => t.caption)).toEqual([
      'Cost by item',
      'Budgets',
      'Per month (730 h) and per year',
      'Inference options per month',
      'Training run: on-demand against spot',
      expect.stringContaining('savings plans, discounts are estimates'),
      'Sensitivity: cost per month',
    ]);
    // The example: inference 10,000 requests/h × $0.00007 = $0.70/h, × 730 h = $511.00 per month.
    expect(summary.tables[2].rows[1]).toEqual(['inference', '10,000 requests/h × $0.00007/request × 730 h', '$511.00', '$6,132.00']);
  });
});
