import { recommend, type BenchmarkResult, type Objective } from '../../domain/recommend';

const accuracy: Objective = { metric: 'accuracy', goal: 'maximize', target: 0.9 };

function run(overrides: Partial<BenchmarkResult>): BenchmarkResult {
  return {
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    spot: false,
    status: 'Completed',
    costUsd: 1,
    durationSeconds: 600,
    stopped: false,
    metrics: { accuracy: 0.95 },
    resourceUsage: { cpuPercentMax: 190, cpuPercentAvg: 150, memoryMiBMax: 2048 },
    ...overrides,
  };
}

describe('recommend', () => {
  test('cheapest qualifying run chosen', () => {
    const result = recommend(
      [
        run({ name: 'large', instanceType: 'ml.m5.2xlarge', costUsd: 3 }),
        run({ name: 'cheap-but-poor', instanceType: 'ml.c5.xlarge', costUsd: 0.5, metrics: { accuracy: 0.85 } }),
        run({ name: 'cheap-but-stopped', instanceType: 'ml.g4dn.xlarge', costUsd: 0.2, stopped: true, status: 'Stopped' }),
        run({ name: 'failed', instanceType: 'ml.c5.2xlarge', costUsd: 0.1, status: 'Failed' }),
        run({ name: 'winner', instanceType: 'ml.m5.xlarge', costUsd: 1.5 }),
      ],
      accuracy,
    );
    expect(result.recommendation).toMatchObject({ instanceType: 'ml.m5.xlarge', instanceCount: 1, spot: false });
    expect(result.reason).toBe(
      '1 × ml.m5.xlarge on-demand is the cheapest of 2 configurations that completed and met accuracy >= 0.9: $1.50 in 10 min 00 s, accuracy 0.95.',
    );
    expect(result.recommendation?.reason).toBe(result.reason);
  });

  test('none meeting target picks none', () => {
    const result = recommend(
      [
        run({ instanceType: 'ml.m5.large', metrics: { accuracy: 0.8 } }),
        run({ instanceType: 'ml.m5.xlarge', metrics: {} }),
        run({ instanceType: 'ml.c5.xlarge', stopped: true, status: 'Stopped' }),
        run({ instanceType: 'ml.c5.2xlarge', status: 'Failed' }),
      ],
      accuracy,
    );
    expect(result.recommendation).toBeUndefined();
    expect(result.notes).toEqual([]);
    expect(result.reason).toBe(
      'No configuration can be recommended: none of the 4 runs met accuracy >= 0.9. ' +
        '1 × ml.m5.large on-demand reached accuracy 0.8, short of the target >= 0.9; ' +
        '1 × ml.m5.xlarge on-demand reported no accuracy; ' +
        '1 × ml.c5.xlarge on-demand was stopped by its cost cap; ' +
        '1 × ml.c5.2xlarge on-demand ended Failed.',
    );
  });

  test('empty benchmark picks none', () => {
    expect(recommend([], accuracy)).toEqual({ reason: 'No configuration can be recommended: the benchmark has no results.', notes: [], warnings: [] });
  });

  test('minimize goal reads target as ceiling', () => {
    const rmse: Objective = { metric: 'rmse', goal: 'minimize', target: 3 };
    const result = recommend(
      [run({ instanceType: 'ml.c5.xlarge', costUsd: 0.5, metrics: { rmse: 3.2 } }), run({ instanceType: 'ml.m5.large', costUsd: 0.9, metrics: { rmse: 3 } })],
      rmse,
    );
    expect(result.recommendation?.instanceType).toBe('ml.m5.large');
  });

  test('no objective takes cheapest completed', () => {
    const result = recommend([run({ instanceType: 'ml.m5.xlarge', costUsd: 2 }), run({ instanceType: 'ml.c5.xlarge', costUsd: 1, metrics: {} })]);
    expect(result.recommendation?.instanceType).toBe('ml.c5.xlarge');
    expect(result.reason).toContain('cheapest of 2 configurations that completed:');
  });

  test('ties broken independent of order', () => {
    const runs = [
      run({ name: 'b', instanceType: 'ml.m5.xlarge', costUsd: 1, metrics: { accuracy: 0.95 } }),
      run({ name: 'a', instanceType: 'ml.c5.xlarge', costUsd: 1, metrics: { accuracy: 0.97 } }),
      run({ name: 'c', instanceType: 'ml.c5.2xlarge', costUsd: 1, metrics: { accuracy: 0.97 }, durationSeconds: 300 }),
      run({ name: 'd', instanceType: 'ml.c5.2xlarge', costUsd: 1.0000001, metrics: { accuracy: 0.97 }, durationSeconds: 300, spot: true }),
    ];
    // All cost $1.000000; best accuracy 0.97 leaves a, c, d; shortest leaves c, d; on-demand before spot picks c.
    for (const order of [runs, [...runs].reverse(), [runs[3], runs[1], runs[0], runs[2]]]) {
      expect(recommend(order, accuracy).recommendation).toMatchObject({ instanceType: 'ml.c5.2xlarge', spot: false });
    }
  });

  test('sub-cent costs pick the cheapest', () => {
    // Benchmark runs of small models cost fractions of a cent; the cheapest must still win over a shorter, dearer run.
    const runs = [
      run({ instanceType: 'ml.p3.2xlarge', costUsd: 0.0049, durationSeconds: 5, metrics: { accuracy: 0.97 } }),
      run({ instanceType: 'ml.m5.large', costUsd: 0.004, durationSeconds: 120, metrics: { accuracy: 0.97 } }),
    ];
    expect(recommend(runs, accuracy).recommendation?.instanceType).toBe('ml.m5.large');
    expect(recommend([...runs].reverse(), accuracy).recommendation?.instanceType).toBe('ml.m5.large');
  });

  test('low CPU suggests smaller type', () => {
    const result = recommend(
      [run({ instanceType: 'ml.m5.xlarge', resourceUsage: { cpuPercentAvg: 40, cpuPercentMax: 95, memoryMiBMax: 3072 } })],
      accuracy,
    );
    expect(result.notes[0]).toBe(
      'CPU averaged 10 % of the 4 vCPUs of ml.m5.xlarge (peak 95 % of one core) and memory peaked at 3 GiB of 16 GiB. ' +
        'CPU use is low: ml.m5.large may do at a lower price; add it to training.candidates to benchmark it.',
    );
  });

  test('low CPU but large memory warns', () => {
    const result = recommend(
      [run({ instanceType: 'ml.m5.xlarge', resourceUsage: { cpuPercentAvg: 40, cpuPercentMax: 95, memoryMiBMax: 7 * 1024 } })],
      accuracy,
    );
    expect(result.notes[0]).toContain('ml.m5.large (8 GiB) would leave too little memory headroom');
  });

  test('busy CPU gets no suggestion', () => {
    const result = recommend([run({ instanceType: 'ml.m5.xlarge', resourceUsage: { cpuPercentAvg: 300, cpuPercentMax: 400, memoryMiBMax: 1024 } })], accuracy);
    expect(result.notes[0]).toMatch(/^CPU averaged 75 % of the 4 vCPUs/);
    expect(result.notes[0]).not.toContain('may do');
  });

  test('GPU and unknown types not judged', () => {
    expect(recommend([run({ instanceType: 'ml.g5.xlarge' })], accuracy).notes[0]).toContain('GPU use was not measured');
    expect(recommend([run({ instanceType: 'ml.r5.large' })], accuracy).notes[0]).toContain('ml.r5.large is not in the instance table');
    expect(recommend([run({ resourceUsage: undefined })], accuracy).notes[0]).toContain('No resource usage was recorded');
  });

  test('spot notes per case', () => {
    const spotChosen = recommend([run({ spot: true, costUsd: 0.3 }), run({ costUsd: 1 })], accuracy);
    expect(spotChosen.recommendation?.spot).toBe(true);
    expect(spotChosen.notes[1]).toContain('uses managed spot training');

    const spotStopped = recommend([run({ spot: true, costUsd: 0.3, stopped: true }), run({ costUsd: 1 })], accuracy);
    expect(spotStopped.notes[1]).toBe('The spot run of the same configuration was stopped by its cost cap, so on-demand is recommended.');

    const noSpot = recommend([run({ costUsd: 1 })], accuracy);
    expect(noSpot.notes[1]).toBe(
      'Managed spot training usually costs about 70 % less (about $0.30 for this run) if the training script checkpoints; add spot: true to a candidate to benchmark it.',
    );
  });
});

describe('recommend warnings', () => {
  test('cheapest missing quality target warns', () => {
    const result = recommend(
      [run({ name: 'poor', instanceType: 'ml.c5.xlarge', costUsd: 0.5, metrics: { accuracy: 0.85 } }), run({ name: 'good', instanceType: 'ml.m5.xlarge', costUsd: 1.5 })],
      accuracy,
    );

    expect(result.recommendation?.instanceType).toBe('ml.m5.xlarge');
    expect(result.warnings).toEqual([
      'The cheapest configuration, 1 × ml.c5.xlarge on-demand at $0.50, missed the quality target: it reached accuracy 0.85, short of the target >= 0.9. ' +
        'The recommended 1 × ml.m5.xlarge on-demand costs $1.00 more per run.',
    ]);
  });

  test('cheapest past deadline warns', () => {
    const result = recommend([run({ costUsd: 0.5, durationSeconds: 5400 }), run({ instanceType: 'ml.m5.xlarge', costUsd: 0.8 })], accuracy, {
      deadlineSeconds: 3600,
    });

    expect(result.recommendation?.instanceType).toBe('ml.m5.large');
    expect(result.warnings).toEqual([
      'The cheapest configuration, 1 × ml.m5.large on-demand, took 1 h 30 min, longer than the deadline training.maxRuntimeSeconds (1 h 00 min).',
    ]);
  });

  test('recommended past deadline warns', () => {
    const result = recommend(
      [run({ name: 'poor', costUsd: 0.2, metrics: { accuracy: 0.5 } }), run({ name: 'slow', instanceType: 'ml.m5.xlarge', costUsd: 0.9, durationSeconds: 4000 })],
      accuracy,
      { deadlineSeconds: 3600 },
    );

    expect(result.warnings).toHaveLength(2);
    expect(result.warnings[0]).toMatch(/^The cheapest configuration, 1 × ml.m5.large on-demand at \$0.20, missed the quality target/);
    expect(result.warnings[1]).toBe(
      'The recommended configuration, 1 × ml.m5.xlarge on-demand, took 1 h 06 min, longer than the deadline training.maxRuntimeSeconds (1 h 00 min).',
    );
  });

  test('capped cheaper run not cheapest', () => {
    // A run its cap stopped cost less only because it did not finish.
    const result = recommend([run({ costUsd: 0.1, stopped: true, status: 'Stopped', metrics: {} }), run({ instanceType: 'ml.m5.xlarge', costUsd: 0.8 })], accuracy, {
      deadlineSeconds: 3600,
    });

    expect(result.warnings).toEqual([]);
  });

  test('no recommendation still warns', () => {
    const result = recommend([run({ costUsd: 0.5, metrics: { accuracy: 0.7 } })], accuracy);

    expect(result.recommendation).toBeUndefined();
    expect(result.warnings).toEqual([
      'The cheapest configuration, 1 × ml.m5.large on-demand at $0.50, missed the quality target: it reached accuracy 0.7, short of the target >= 0.9.',
    ]);
  });
});
