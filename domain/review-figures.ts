/**
 * The key figures at the top of every review, written for business
 * readers: budget, estimate per month and per year, spend so far and, at
 * the cost and deployment gates, the recommended configuration with its
 * price. Over-budget warnings come first.
 */
import type { Gate } from './constants';
import type { BudgetCheck, CostEstimate } from './estimate';
import { formatNumber, formatPrice, formatUsd } from './money';
import { configurationLabel, type Recommendation } from './recommend';
import type { ProjectSpec } from './spec';
import type { KeyFigure } from './status';

/** The price of keeping a deployment plan in service, or the error message when the price is unknown. */
export type PlanPrice = { pricePerHourUsd: number; source: string; hourlyUsd: number; monthlyUsd: number } | { error: string };

/** The recommendation and plan of the deployment gate, as the key figures show them. */
export interface DeploymentFigures {
  recommendation?: Recommendation;
  /** Reason there is no recommendation, shown when `recommendation` is undefined. */
  noRecommendationReason: string;
  plan?: { instanceType: string; instanceCount: number };
  /** Price of `plan`; undefined when there is no plan. */
  price?: PlanPrice;
}

export interface KeyFigureInput {
  gate: Gate;
  spec: ProjectSpec;
  /** The project's cost estimate, or the message of the error that prevented it. */
  estimate: CostEstimate | { error: string };
  /** Spend so far in USD and where the figure comes from. */
  spend: { usd: number; source: 'metered' | 'training jobs' };
  /** Set at the deployment gate only. */
  deployment?: DeploymentFigures;
}

const LABELS = {
  overBudget: 'Over budget',
  budget: 'Budget',
  perMonth: 'Estimate per month',
  perYear: 'Estimate per year',
  spend: 'Spend so far',
  inferenceOption: 'Recommended inference option',
  recommended: 'Recommended configuration',
  plan: 'Deployment plan',
} as const;

const BUDGET_NAMES: Record<BudgetCheck['budget'], string> = {
  'budgets.totalUsd': 'the total budget',
  'budgets.monthlyUsd': 'the monthly budget',
  'budgets.perTrainingJobUsd': 'the cost cap per training job',
};

/** Builds the key figures of a review: every over-budget warning first, then the figures in a fixed order. */
export function buildKeyFigures(input: KeyFigureInput): KeyFigure[] {
  const { spec } = input;
  const warnings: KeyFigure[] = [];
  const figures: KeyFigure[] = [{ label: LABELS.budget, value: budgetText(spec) }];

  if ('error' in input.estimate) {
    const unknown = `unknown: ${input.estimate.error}`;
    figures.push({ label: LABELS.perMonth, value: unknown, warning: true }, { label: LABELS.perYear, value: unknown, warning: true });
  } else {
    figures.push(...estimateFigures(input.estimate, spec));
    warnings.push(...budgetWarnings(input.estimate));
  }

  figures.push(spendFigure(input.spend, spec));
  if (input.spend.usd > spec.budgets.totalUsd) {
    warnings.push(warning(`Spend so far, ${formatUsd(input.spend.usd)}, is above the total budget of ${formatUsd(spec.budgets.totalUsd)}.`));
  }

  if (input.gate === 'cost' && !('error' in input.estimate)) {
    const option = inferenceOptionFigure(input.estimate, spec);
    if (option) figures.push(option);
  }
  if (input.gate === 'deployment' && input.deployment) {
    figures.push(...deploymentFigures(input.deployment));
    warnings.push(...planWarnings(input.deployment, spec));
  }
  return [...warnings, ...figures];
}

function warning(value: string): KeyFigure {
  return { label: LABELS.overBudget, value, warning: true };
}

function budgetText(spec: ProjectSpec): string {
  const { totalUsd, monthlyUsd, perTrainingJobUsd } = spec.budgets;
  const monthly = monthlyUsd === undefined ? 'no monthly budget' : `${formatUsd(monthlyUsd)} per month`;
  return `${formatUsd(totalUsd)} in total, ${monthly}, at most ${formatUsd(perTrainingJobUsd)} per training job`;
}

function estimateFigures(estimate: CostEstimate, spec: ProjectSpec): KeyFigure[] {
  const { perMonthUsd, perYearUsd } = estimate.totals;
  const monthlyBudget = spec.budgets.monthlyUsd;
  const aboveMonthly = monthlyBudget !== undefined && perMonthUsd > monthlyBudget;
  const perMonth: KeyFigure = {
    label: LABELS.perMonth,
    value: aboveMonthly ? `${formatUsd(perMonthUsd)}, above the monthly budget of ${formatUsd(monthlyBudget)}` : formatUsd(perMonthUsd),
  };
  if (aboveMonthly) perMonth.warning = true;
  return [perMonth, { label: LABELS.perYear, value: `${formatUsd(perYearUsd)} (the first training run plus 12 months)` }];
}

/** Returns one warning per budget the estimate breaks, in plain words. */
function budgetWarnings(estimate: CostEstimate): KeyFigure[] {
  return estimate.budgetChecks
    .filter((check) => !check.within)
    .map((check) =>
      warning(
        `${capitalize(check.label)} is estimated at ${formatUsd(check.estimateUsd)}, ` +
          `above ${BUDGET_NAMES[check.budget]} of ${formatUsd(check.budgetUsd)}.`,
      ),
    );
}

function spendFigure(spend: KeyFigureInput['spend'], spec: ProjectSpec): KeyFigure {
  const share = `${formatNumber((spend.usd / spec.budgets.totalUsd) * 100, 1)} % of the total budget`;
  const source = spend.source === 'training jobs' ? ', training jobs only' : '';
  const figure: KeyFigure = { label: LABELS.spend, value: `${formatUsd(spend.usd)} (${share}${source})` };
  if (spend.usd > spec.budgets.totalUsd) figure.warning = true;
  return figure;
}

/**
 * Names the estimate's recommended inference option, its configuration and
 * its price per month. Returns undefined for estimates made before the
 * options existed, which lack them.
 */
function inferenceOptionFigure(estimate: CostEstimate, spec: ProjectSpec): KeyFigure | undefined {
  const options = estimate.inferenceOptions;
  if (!options) return undefined;
  const chosen = options.options.find((option) => option.option === options.recommended);
  if (!chosen) {
    return { label: LABELS.inferenceOption, value: `none: ${options.reason}`, warning: true };
  }
  let configuration = `${estimate.inference.instanceType} instances billed for busy hours only`;
  if (chosen.option === 'real-time') configuration = `${estimate.sizing.instanceCount} × ${estimate.inference.instanceType}`;
  if (chosen.option === 'serverless') configuration = `${formatNumber(spec.estimate.serverlessMemoryGb)} GB memory`;
  const price = chosen.monthlyUsd === undefined ? 'price unknown' : `${formatUsd(chosen.monthlyUsd)} per month`;
  return { label: LABELS.inferenceOption, value: `${chosen.option}, ${configuration}: ${price}` };
}

function deploymentFigures(deployment: DeploymentFigures): KeyFigure[] {
  const recommended: KeyFigure = deployment.recommendation
    ? { label: LABELS.recommended, value: `${configurationLabel(deployment.recommendation)}, from the benchmark` }
    : { label: LABELS.recommended, value: `none: ${deployment.noRecommendationReason}`, warning: true };
  if (!deployment.plan) {
    return [recommended, { label: LABELS.plan, value: 'none: no configuration qualified and the spec fixes no instance type', warning: true }];
  }
  const configuration = `${deployment.plan.instanceCount} × ${deployment.plan.instanceType}`;
  const price = deployment.price;
  if (!price || 'error' in price) {
    return [recommended, { label: LABELS.plan, value: `${configuration}, price unknown: ${price?.error ?? 'not priced'}`, warning: true }];
  }
  return [
    recommended,
    { label: LABELS.plan, value: `${configuration}: ${formatPrice(price.hourlyUsd)} per hour, ${formatUsd(price.monthlyUsd)} per month while in service` },
  ];
}

function planWarnings(deployment: DeploymentFigures, spec: ProjectSpec): KeyFigure[] {
  const price = deployment.price;
  const monthlyBudget = spec.budgets.monthlyUsd;
  if (!price || 'error' in price || monthlyBudget === undefined || price.monthlyUsd <= monthlyBudget) return [];
  return [warning(`The endpoint alone costs ${formatUsd(price.monthlyUsd)} per month, above the monthly budget of ${formatUsd(monthlyBudget)}.`)];
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
