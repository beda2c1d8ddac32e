import { formatDuration, formatNumber, formatPrice, formatUsd, plural, roundUsd, sumUsd, toCents } from '../../domain/money';

describe('money', () => {
  test('cents absorb float noise', () => {
    expect(toCents(10000 * 0.00007)).toBe(70);
    expect(toCents(0.145)).toBe(15);
    expect(toCents(-0.145)).toBe(-15);
    expect(roundUsd(0.1 + 0.2)).toBe(0.3);
  });

  test('sum of worked example exact', () => {
    expect(sumUsd(64, 24 * 0.7)).toBe(80.8);
    expect(String(sumUsd(64, 24 * 0.7))).toBe('80.8');
  });

  test.each([
    [1234.56, '$1,234.56'],
    [1234567.891, '$1,234,567.89'],
    [80.80000000000001, '$80.80'],
    [0.7000000000000001, '$0.70'],
    [0, '$0.00'],
    [-1.5, '-$1.50'],
    [0.00007, '$0.00007'],
    [0.005, '$0.01'],
  ])('formatUsd(%p) is %s', (usd, text) => {
    expect(formatUsd(usd)).toBe(text);
  });

  test.each([
    [16, '$16.00'],
    [0.115, '$0.115'],
    [0.00007, '$0.00007'],
    [1234.5, '$1,234.50'],
  ])('formatPrice(%p) is %s', (usd, text) => {
    expect(formatPrice(usd)).toBe(text);
  });

  test('numbers group thousands, trim decimals', () => {
    expect(formatNumber(12000)).toBe('12,000');
    expect(formatNumber(2.7777)).toBe('2.78');
    expect(formatNumber(-1234.5, 1)).toBe('-1,234.5');
    expect(formatNumber(3, 4)).toBe('3');
  });

  test('plural adds s unless one', () => {
    expect(plural(1, 'run')).toBe('1 run');
    expect(plural(0, 'run')).toBe('0 runs');
    expect(plural(1200, 'run')).toBe('1,200 runs');
  });

  test.each([
    [45, '45 s'],
    [245, '4 min 05 s'],
    [7380, '2 h 03 min'],
    [-1, '-'],
    [Number.NaN, '-'],
  ])('formatDuration(%p) is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
