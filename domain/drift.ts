/**
 * Data drift as the population stability index (PSI) of each numeric
 * feature between the training data (the baseline) and captured requests.
 *
 * Baseline statistics are the JSON that training scripts write beside the
 * model (`baseline.json`):
 *
 *     { "rows": N,
 *       "features": { "<name>": { "edges": [k-1 ascending interior cut points],
 *                                 "expected": [k proportions summing to 1] } } }
 *
 * Bin i of k contains the values v with edges[i-1] <= v < edges[i]: the first
 * bin is open below and the last open above. This is numpy's
 * `np.searchsorted(edges, v, side="right")` and `np.digitize(v, edges)`.
 *
 * PSI = Σ (actual − expected) × ln(actual / expected) over the bins. A
 * common rule of thumb reads below 0.1 as stable, 0.1 to 0.2 as a moderate
 * shift and above 0.2 as a significant shift.
 */

export interface FeatureBaseline {
  /** Interior cut points, strictly ascending; k-1 of them for k bins. */
  edges: number[];
  /** Share of the training rows in each bin; k values summing to 1. */
  expected: number[];
}

export interface Baseline {
  /** Training rows the statistics were computed from. */
  rows: number;
  features: Record<string, FeatureBaseline>;
}

export interface FeaturePsi {
  /** Undefined when no sample had a numeric value for the feature. */
  psi?: number;
  /** Samples with a finite numeric value for the feature. */
  samplesUsed: number;
}

export interface PsiResult {
  features: Record<string, FeaturePsi>;
  /** Largest PSI over the features, undefined when no feature could be scored. */
  max?: number;
  /** Feature with the largest PSI; the first in baseline order on a tie. */
  maxFeature?: string;
  /** Samples with a numeric value for at least one baseline feature. */
  samplesUsed: number;
  /** All samples given, used or not. */
  samplesTotal: number;
}

/**
 * Share given to an empty bin, on either side, so that the logarithm stays
 * finite. A bin that is empty in one distribution and has a real share in
 * the other still contributes a large term.
 */
export const PSI_EPSILON = 1e-4;

/** Default number of quantile bins per feature. */
export const DEFAULT_BINS = 10;

/**
 * Computes baseline statistics for `features` from training rows, with up
 * to `bins` quantile bins per feature (fewer when values repeat, see
 * quantileEdges). Values that are not finite numbers are skipped. Throws
 * when a feature has no finite numeric value or `bins` is not a whole
 * number of at least 1.
 */
export function computeBaseline(rows: Record<string, number>[], features: string[], bins = DEFAULT_BINS): Baseline {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`invalid bin count ${bins}: expected a whole number of at least 1`);
  }
  const result: Baseline = { rows: rows.length, features: {} };
  for (const feature of features) {
    const values = numericValues(rows, feature).sort((a, b) => a - b);
    if (values.length === 0) {
      throw new Error(`feature ${JSON.stringify(feature)} has no numeric value in the ${rows.length} training rows; drop it from the drift features`);
    }
    const edges = quantileEdges(values, bins);
    result.features[feature] = { edges, expected: proportions(binCounts(values, edges), values.length) };
  }
  return result;
}

/**
 * Computes the PSI of each baseline feature over `samples`. Values that are
 * not finite numbers (strings, null, NaN, missing) are ignored, so each
 * feature reports how many samples it used. With no usable sample a feature
 * gets no PSI and `max` is undefined: callers must not read that as "no
 * drift", and should also compare `samplesUsed` with a minimum.
 */
export function psi(baseline: Baseline, samples: Record<string, unknown>[]): PsiResult {
  const result: PsiResult = { features: {}, samplesUsed: 0, samplesTotal: samples.length };
  for (const [feature, stats] of Object.entries(baseline.features)) {
    const values = numericValues(samples, feature);
    const score = values.length > 0 ? featurePsi(stats, values) : undefined;
    result.features[feature] = { psi: score, samplesUsed: values.length };
    if (score !== undefined && (result.max === undefined || score > result.max)) {
      result.max = score;
      result.maxFeature = feature;
    }
  }
  result.samplesUsed = samples.filter((sample) => Object.keys(baseline.features).some((f) => isFiniteNumber(sample[f]))).length;
  return result;
}

function featurePsi(stats: FeatureBaseline, values: number[]): number {
  const actual = proportions(binCounts(values, stats.edges), values.length);
  let total = 0;
  stats.expected.forEach((expectedShare, i) => {
    const e = Math.max(expectedShare, PSI_EPSILON);
    const a = Math.max(actual[i], PSI_EPSILON);
    total += (a - e) * Math.log(a / e);
  });
  return total;
}

/**
 * Checks that parsed JSON is baseline statistics in the format above and
 * returns it typed. Throws an Error naming the first bad field.
 */
export function parseBaseline(json: unknown): Baseline {
  if (!isRecord(json) || typeof json.rows !== 'number' || !isRecord(json.features)) {
    throw new Error('invalid baseline statistics: expected { "rows": number, "features": { name: { "edges": [...], "expected": [...] } } }');
  }
  for (const [name, stats] of Object.entries(json.features)) {
    const problem = baselineFeatureProblem(stats);
    if (problem) throw new Error(`invalid baseline statistics for feature ${JSON.stringify(name)}: ${problem}`);
  }
  return json as unknown as Baseline;
}

function baselineFeatureProblem(stats: unknown): string | undefined {
  if (!isRecord(stats) || !isNumberArray(stats.edges) || !isNumberArray(stats.expected)) {
    return 'expected "edges" and "expected" lists of numbers';
  }
  const { edges, expected } = stats;
  if (edges.some((edge, i) => i > 0 && edge <= edges[i - 1])) return `edges ${JSON.stringify(edges)} are not strictly ascending`;
  if (expected.length !== edges.length + 1) {
    return `expected ${edges.length + 1} proportions for ${edges.length} edges, got ${expected.length}`;
  }
  const sum = expected.reduce((a, b) => a + b, 0);
  if (expected.some((share) => share < 0) || Math.abs(sum - 1) > 1e-6) {
    return `proportions ${JSON.stringify(expected)} are not non-negative shares summing to 1`;
  }
  return undefined;
}

/**
 * Interior cut points near the quantiles 1/bins … (bins-1)/bins of sorted
 * values. Each cut sits midway between two neighbouring distinct values,
 * choosing the pair nearest to the quantile's rank (the lower pair on a
 * tie). So no cut equals a data value, repeated values never straddle a
 * cut, and a feature with few distinct values gets fewer, non-empty bins.
 */
function quantileEdges(sorted: number[], bins: number): number[] {
  const n = sorted.length;
  const boundaries: number[] = [];
  for (let i = 1; i < n; i++) {
    if (sorted[i - 1] < sorted[i]) boundaries.push(i);
  }
  if (boundaries.length === 0) return [];

  const chosen = new Set<number>();
  for (let q = 1; q < bins; q++) {
    chosen.add(nearestBoundary(boundaries, Math.round((q * n) / bins)));
  }
  return [...chosen].sort((a, b) => a - b).map((b) => (sorted[b - 1] + sorted[b]) / 2);
}

/** Element of the ascending, non-empty `boundaries` closest to `rank`; the lower one on a tie. */
function nearestBoundary(boundaries: number[], rank: number): number {
  const above = binIndex(rank - 0.5, boundaries);
  const lower = boundaries[Math.max(above - 1, 0)];
  const upper = boundaries[Math.min(above, boundaries.length - 1)];
  return rank - lower <= upper - rank ? lower : upper;
}

/** Counts values per bin, where bin i contains edges[i-1] <= v < edges[i]. */
function binCounts(values: number[], edges: number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const value of values) counts[binIndex(value, edges)]++;
  return counts;
}

/** Number of edges less than or equal to `value`, by binary search. */
export function binIndex(value: number, edges: number[]): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (edges[middle] <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function proportions(counts: number[], total: number): number[] {
  return counts.map((count) => count / total);
}

function numericValues(rows: Record<string, unknown>[], feature: string): number[] {
  return rows.map((row) => row[feature]).filter(isFiniteNumber);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every(isFiniteNumber);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
