/**
 * `mlops estimate <spec> [--compare <other-spec>]`: the estimate of one
 * spec, or the line-by-line diff of two, priced with the table that
 * loadPriceTable picks.
 */
import { estimateCost, type CostEstimate } from '../domain/estimate';
import { diffEstimates, formatEstimateDiff } from '../domain/estimate-diff';
import { formatEstimate } from '../domain/estimate-summary';
import { PriceNotFoundError, type PriceTable } from '../domain/prices';
import { invalidInput } from './errors';
import { loadPriceTable } from './prices';
import { loadSpec } from './projects';

/**
 * Returns what `mlops estimate` prints: the JSON value and the text. With
 * `compare`, the first spec is "before". A missing price is invalid input
 * (exit 2), because the message names the spec field to add.
 */
export function runEstimate(specFile: string, options: { home: string; compare?: string }): { json: unknown; text: string } {
  const priceTable = loadPriceTable(options.home);
  const estimate = estimateFile(specFile, priceTable);
  if (options.compare === undefined) return { json: estimate, text: formatEstimate(estimate) };

  const diff = diffEstimates(estimate, estimateFile(options.compare, priceTable), specFile, options.compare);
  return { json: diff, text: formatEstimateDiff(diff) };
}

function estimateFile(specFile: string, priceTable: PriceTable): CostEstimate {
  const { spec } = loadSpec(specFile);
  try {
    return estimateCost(spec, { priceTable });
  } catch (err) {
    if (err instanceof PriceNotFoundError) throw invalidInput(`${specFile}: ${err.message}`, { cause: err });
    throw err;
  }
}
