/**
 * Training cost per run and its growth with the data, with figures checked
 * by hand in the comments.
 */
import { estimateCost } from '../../domain/estimate';
import { dataGrowthFromEstimate, dataGrowthFromSpec, projectTrainingGrowth, type DataGrowth, type MeasuredRun } from '../../domain/training-growth';
import { makeSpec } from './fixtures';

function run(change: Partial<MeasuredRun> = {}): MeasuredRun {
  // 30 minutes on ml.m5.large at $0.115/h: $0.0575.
  return { name: 'demo-bench-0', instanceType: 'ml.m5.large', instanceCount: 1, spot: false, status: 'Completed', durationSeconds: 1800, costUsd: 0.0575, stopped: false, ...change };
}

const growth: DataGrowth = { sizeGb: 10, growthGbPerMonth: 2, retrainingsPerMonth: 30 };

describe('projectTrainingGrowth', () => {
  test('time per GB scales runs', () => {
    const result = projectTrainingGrowth([run()], growth);
    const [configuration] = result.configurations;

    expect(configuration.configuration).toBe('1 × ml.m5.large on-demand');
    expect(configuration.costPerRunUsd).toBe(0.0575);
    // 1,800 s ÷ 10 GB = 180 s per GB; $0.0575 ÷ 10 GB = $0.00575 per GB.
    expect(configuration.secondsPerGb).toBe(180);
    expect(configuration.costPerGbUsd).toBeCloseTo(0.00575, 12);
    // Now 10 GB; in 6 months 10 + 6 × 2 = 22 GB; in 12 months 34 GB.
    expect(configuration.projections.map((p) => [p.months, p.sizeGb])).toEqual([
      [0, 10],
      [6, 22],
      [12, 34],
    ]);
    // 180 s × 22 GB = 3,960 s and 180 s × 34 GB = 6,120 s.
    expect(configuration.projections.map((p) => p.durationSeconds)).toEqual([1800, 3960, 6120]);
    // $0.00575 × 22 = $0.1265 and × 34 = $0.1955.
    expect(configuration.projections.map((p) => p.costUsd)).toEqual([expect.closeTo(0.0575, 12), expect.closeTo(0.1265, 12), expect.closeTo(0.1955, 12)]);
    // 30 retrainings a month: $1.725, $3.795 and $5.865.
    expect(configuration.projections.map((p) => p.retrainingUsdPerMonth)).toEqual([
      expect.closeTo(1.725, 12),
      expect.closeTo(3.795, 12),
      expect.closeTo(5.865, 12),
    ]);
    expect(result.warnings).toEqual([]);
  });

  test('run past deadline warns once', () => {
    // 3,960 s is within 5,000 s; 6,120 s in 12 months is not.
    const result = projectTrainingGrowth([run()], { ...growth, deadlineSeconds: 5000 });
    const projections = result.configurations[0].projections;

    expect(projections.map((p) => p.overDeadline)).toEqual([false, false, true]);
    expect(result.warnings).toEqual([
      'In 12 months, at 34 GB, a run on 1 × ml.m5.large on-demand would take about 1 h 42 min, longer than training.maxRuntimeSeconds ' +
        '(1 h 23 min), so SageMaker would stop it; raise the limit or choose a faster configuration.',
    ]);
  });

  test('run above cost cap warns', () => {
    // $0.1265 in 6 months is above a $0.10 cap already.
    const result = projectTrainingGrowth([run()], { ...growth, perRunBudgetUsd: 0.1 });

    expect(result.configurations[0].projections.map((p) => p.overBudget)).toEqual([false, true, true]);
    expect(result.warnings).toEqual([
      'In 6 months, at 22 GB, a run on 1 × ml.m5.large on-demand would cost about $0.13, above budgets.perTrainingJobUsd ($0.10), so its cost cap would stop it.',
    ]);
  });

  test('stopped and failed runs skipped', () => {
    const result = projectTrainingGrowth(
      [run({ name: 'capped', stopped: true, status: 'Stopped' }), run({ name: 'broken', status: 'Failed' }), run({ name: 'good', instanceType: 'ml.c5.xlarge', spot: true })],
      growth,
    );

    expect(result.configurations.map((c) => c.jobName)).toEqual(['good']);
    expect(result.configurations[0].configuration).toBe('1 × ml.c5.xlarge spot');
    expect(result.skipped).toEqual([
      { jobName: 'capped', reason: 'stopped by its cost cap, so its run time is only a lower bound' },
      { jobName: 'broken', reason: 'ended Failed' },
    ]);
  });

  test('no data size, no projection', () => {
    const result = projectTrainingGrowth([run()], { sizeGb: 0, growthGbPerMonth: 1 });

    expect(result.configurations[0].costPerRunUsd).toBe(0.0575);
    expect(result.configurations[0].secondsPerGb).toBeUndefined();
    expect(result.configurations[0].projections).toEqual([]);
  });
});

describe('data growth inputs', () => {
  test('spec gives deadline and cap', () => {
    const spec = makeSpec((raw) => {
      raw.requirements.dataScale = { sizeGb: 40, growthGbPerMonth: 5, updateFrequency: 'weekly' };
      raw.training.maxRuntimeSeconds = 7200;
    });

    expect(dataGrowthFromSpec(spec)).toEqual({
      sizeGb: 40,
      growthGbPerMonth: 5,
      deadlineSeconds: 7200,
      perRunBudgetUsd: 10,
      // 730 h ÷ 168 h per week.
      retrainingsPerMonth: 730 / 168,
    });
  });

  test('estimate recovers monthly growth', () => {
    const spec = makeSpec((raw) => {
      raw.requirements.dataScale = { sizeGb: 73, growthGbPerMonth: 5, updateFrequency: 'daily' };
    });

    const fromEstimate = dataGrowthFromEstimate(estimateCost(spec));

    expect(fromEstimate.sizeGb).toBe(73);
    // The storage line ends at 73 + 5 × 720 ÷ 730 GB; dividing by 720 ÷ 730 months gives 5 back.
    expect(fromEstimate.growthGbPerMonth).toBeCloseTo(5, 9);
    expect(fromEstimate.perRunBudgetUsd).toBe(10);
    expect(fromEstimate.retrainingsPerMonth).toBeCloseTo(730 / 24, 9);
    expect(fromEstimate.deadlineSeconds).toBeUndefined();
  });
});
