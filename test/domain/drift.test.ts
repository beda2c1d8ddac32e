import { binIndex, computeBaseline, parseBaseline, psi, PSI_EPSILON } from '../../domain/drift';

/** Rows with x = 0 … n-1 shifted by `shift`, and y = x mod 5. */
function rows(n: number, shift = 0): Record<string, number>[] {
  return Array.from({ length: n }, (_, i) => ({ x: i + shift, y: i % 5 }));
}

describe('computeBaseline', () => {
  test('deciles of uniform values', () => {
    const baseline = computeBaseline(rows(1000), ['x']);
    expect(baseline.rows).toBe(1000);
    expect(baseline.features.x.edges).toEqual([99.5, 199.5, 299.5, 399.5, 499.5, 599.5, 699.5, 799.5, 899.5]);
    expect(baseline.features.x.expected).toEqual(new Array(10).fill(0.1));
  });

  test('hand-checked two bins', () => {
    const baseline = computeBaseline(
      Array.from({ length: 10 }, (_, i) => ({ v: i + 1 })),
      ['v'],
      2,
    );
    expect(baseline.features.v).toEqual({ edges: [5.5], expected: [0.5, 0.5] });
  });

  test('repeated values get fewer bins', () => {
    const values = [...new Array(90).fill(0), ...Array.from({ length: 10 }, (_, i) => i + 1)].map((v) => ({ v }));
    const { edges, expected } = computeBaseline(values, ['v']).features.v;
    expect(edges[0]).toBe(0.5);
    expect(expected[0]).toBeCloseTo(0.9, 12);
    expect(expected.every((share) => share > 0)).toBe(true);
    expect(edges.length + 1).toBe(expected.length);
  });

  test('edges ascending, shares sum one', () => {
    const baseline = computeBaseline(rows(537), ['x', 'y'], 7);
    for (const { edges, expected } of Object.values(baseline.features)) {
      expect(edges.every((edge, i) => i === 0 || edge > edges[i - 1])).toBe(true);
      expect(expected).toHaveLength(edges.length + 1);
      expect(expected.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    expect(baseline.features.y.edges).toEqual([0.5, 1.5, 2.5, 3.5]);
  });

  test('constant feature gets one bin', () => {
    expect(computeBaseline([{ c: 3 }, { c: 3 }], ['c']).features.c).toEqual({ edges: [], expected: [1] });
  });

  test('feature without numbers rejected', () => {
    expect(() => computeBaseline([{ a: 1 }], ['missing'])).toThrow(/feature "missing" has no numeric value in the 1 training rows/);
  });

  test('bad bin count rejected', () => {
    expect(() => computeBaseline(rows(10), ['x'], 0)).toThrow(RangeError);
    expect(() => computeBaseline(rows(10), ['x'], 2.5)).toThrow(/invalid bin count 2.5/);
  });

  test('baseline passes its own validation', () => {
    const baseline = computeBaseline(rows(100), ['x', 'y']);
    expect(parseBaseline(JSON.parse(JSON.stringify(baseline)))).toEqual(baseline);
  });
});

describe('binIndex', () => {
  test('value on edge goes above', () => {
    expect(binIndex(5, [5])).toBe(1);
    expect(binIndex(4.999, [5])).toBe(0);
    expect(binIndex(-100, [1, 2, 3])).toBe(0);
    expect(binIndex(2, [1, 2, 3])).toBe(2);
    expect(binIndex(100, [1, 2, 3])).toBe(3);
    expect(binIndex(7, [])).toBe(0);
  });
});

describe('psi', () => {
  const baseline = computeBaseline(rows(1000), ['x', 'y']);

  test('identical distribution scores zero', () => {
    const result = psi(baseline, rows(1000));
    expect(result.features.x.psi).toBeCloseTo(0, 12);
    expect(result.features.y.psi).toBeCloseTo(0, 12);
    expect(result.max).toBeCloseTo(0, 12);
    expect(result.samplesUsed).toBe(1000);
  });

  test('shifted distribution exceeds 0.2', () => {
    const result = psi(baseline, rows(1000, 300));
    expect(result.features.x.psi).toBeGreaterThan(0.2);
    expect(result.max).toBe(result.features.x.psi);
    expect(result.maxFeature).toBe('x');
    expect(result.features.y.psi).toBeCloseTo(0, 12);
  });

  test('hand-checked two-bin score', () => {
    const twoBins = { rows: 10, features: { v: { edges: [5.5], expected: [0.5, 0.5] } } };
    const samples = [1, 2, 3, 4, 5, 1, 2, 3, 9, 10].map((v) => ({ v }));
    // (0.8 - 0.5) ln(0.8 / 0.5) + (0.2 - 0.5) ln(0.2 / 0.5)
    expect(psi(twoBins, samples).features.v.psi).toBeCloseTo(0.3 * Math.log(1.6) - 0.3 * Math.log(0.4), 12);
  });

  test('empty bin uses epsilon', () => {
    const twoBins = { rows: 10, features: { v: { edges: [5.5], expected: [0.5, 0.5] } } };
    const expectedScore = 0.5 * Math.log(2) + (PSI_EPSILON - 0.5) * Math.log(PSI_EPSILON / 0.5);
    const score = psi(twoBins, [{ v: 1 }, { v: 2 }]).features.v.psi;
    expect(Number.isFinite(score)).toBe(true);
    expect(score).toBeCloseTo(expectedScore, 12);
  });

  test('empty sample gives no score', () => {
    const result = psi(baseline, []);
    expect(result.max).toBeUndefined();
    expect(result.maxFeature).toBeUndefined();
    expect(result.samplesUsed).toBe(0);
    expect(result.samplesTotal).toBe(0);
    expect(result.features.x).toEqual({ psi: undefined, samplesUsed: 0 });
  });

  test('non-numeric values ignored, counted', () => {
    const samples: Record<string, unknown>[] = [
      { x: 10, y: 'three' },
      { x: '12', y: null },
      { x: Number.NaN, y: 2 },
      { other: 1 },
      { x: 500, y: 4 },
    ];
    const result = psi(baseline, samples);
    expect(result.features.x.samplesUsed).toBe(2);
    expect(result.features.y.samplesUsed).toBe(2);
    expect(result.samplesUsed).toBe(3);
    expect(result.samplesTotal).toBe(5);
  });
});

describe('parseBaseline', () => {
  test.each([
    [null, /expected \{ "rows": number/],
    [{ rows: 1, features: { a: { edges: [2, 1], expected: [0.2, 0.3, 0.5] } } }, /feature "a": edges \[2,1\] are not strictly ascending/],
    [{ rows: 1, features: { a: { edges: [1], expected: [1] } } }, /expected 2 proportions for 1 edges, got 1/],
    [{ rows: 1, features: { a: { edges: [1], expected: [0.5, 0.6] } } }, /not non-negative shares summing to 1/],
    [{ rows: 1, features: { a: { edges: ['1'], expected: [0.5, 0.5] } } }, /lists of numbers/],
  ])('rejects %j', (json, message) => {
    expect(() => parseBaseline(json)).toThrow(message);
  });
});
