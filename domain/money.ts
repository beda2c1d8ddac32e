/**
 * Money and duration arithmetic and formatting shared by the estimate, the
 * cost cap and the review summaries. Amounts are US dollars as numbers.
 * Sums shown to people go through whole cents, so 64 + 24 × 0.70 prints as
 * $80.80 and not as 80.80000000000001.
 */

/** Hours in a month as AWS prices count them (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

/**
 * Converts dollars to whole cents, rounding half away from zero. Products
 * such as 10,000 × 0.00007 carry binary noise (0.7000000000000001), so the
 * value is first cut to 12 significant digits and then rounded.
 */
export function toCents(usd: number): number {
  const cents = Number((usd * 100).toPrecision(12));
  return Math.sign(cents) * Math.round(Math.abs(cents));
}

/** Rounds dollars to the nearest cent; the result is the closest double to that cent value. */
export function roundUsd(usd: number): number {
  return toCents(usd) / 100;
}

/** Adds dollar amounts in whole cents, so the sum of rounded amounts is itself rounded. */
export function sumUsd(...amounts: number[]): number {
  return amounts.reduce((cents, usd) => cents + toCents(usd), 0) / 100;
}

/**
 * Formats dollars as `$1,234.56`, negative as `-$1.50`. Non-zero amounts
 * smaller than a cent, such as a per-request price, keep up to 6 decimals
 * (`$0.00007`) so they do not print as `$0.00`.
 */
export function formatUsd(usd: number): string {
  const sign = usd < 0 ? '-' : '';
  const amount = Math.abs(usd);
  if (amount > 0 && amount < 0.005) {
    return `${sign}$${Number(amount.toPrecision(6)).toFixed(6).replace(/0+$/, '')}`;
  }
  const cents = toCents(amount);
  return `${sign}$${groupThousands(String(Math.floor(cents / 100)))}.${pad2(cents % 100)}`;
}

/**
 * Formats a unit price with as many decimals as it has, at least 2 and at
 * most 6: `$16.00`, `$0.115`, `$0.00007`.
 */
export function formatPrice(usd: number): string {
  const sign = usd < 0 ? '-' : '';
  const [whole, fraction] = Math.abs(usd).toFixed(6).split('.');
  return `${sign}$${groupThousands(whole)}.${fraction.replace(/0+$/, '').padEnd(2, '0')}`;
}

/** Formats a count with thousands separators and at most `digits` decimals, such as `12,000` or `2.78`. */
export function formatNumber(value: number, digits = 2): string {
  const sign = value < 0 ? '-' : '';
  const [whole, fraction] = Math.abs(value).toFixed(digits).split('.');
  const trimmed = (fraction ?? '').replace(/0+$/, '');
  return `${sign}${groupThousands(whole)}${trimmed ? `.${trimmed}` : ''}`;
}

/** Inserts commas every three digits; written by hand so the output does not depend on the ICU data of the runtime. */
function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Returns `1 item`, `2 items`: the count and the noun, with an `s` unless the count is 1. */
export function plural(count: number, noun: string): string {
  return `${formatNumber(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/** Formats seconds as `45 s`, `4 min 05 s` or `2 h 03 min`. Negative or non-finite input prints as `-`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${pad2(whole % 60)} s`;
  return `${Math.floor(whole / 3600)} h ${pad2(Math.floor((whole % 3600) / 60))} min`;
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}
