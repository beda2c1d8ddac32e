import { escapeHtml, renderKeyFiguresText, renderSummaryHtml, renderSummaryText } from '../../client/approvals/render';
import type { ReviewChanges, ReviewSummary } from '../../domain/status';
import { renderReviewPage } from '../../client/approvals/pages';
import { claimsFor, costSummary, projectStatus } from './fixtures';

const KEY_FIGURES = [
  { label: 'Over budget', value: 'Running cost per month is estimated at $900.00, above the monthly budget of $800.00.', warning: true },
  { label: 'Budget', value: '$2,000.00 in total, $800.00 per month' },
  { label: 'Estimate per month', value: '$900.00, above the monthly budget of $800.00', warning: true },
];

const CHANGES: ReviewChanges = {
  reason: 'Plan for 20,000 users',
  lines: [
    { mark: '~', item: 'inference basis', before: '1 × ml.m5.large', after: '2 × ml.m5.large', change: 'changed' },
    { mark: '+', item: 'total per month', before: '$85.69', after: '$1,169.63', change: '+$1,083.94' },
    { mark: '-', item: 'training, one run', before: '$0.46', after: '$0.12', change: '-$0.34' },
  ],
  perMonthChangeUsd: 1083.94,
  summary: '3 estimate lines changed; the cost per month goes from $85.69 to $1,169.63 (+$1,083.94).',
};

describe('summary rendering', () => {
  test('text aligns table columns', () => {
    const text = renderSummaryText(costSummary());

    expect(text.split('\n')).toEqual([
      'Cost estimate for Image classifier',
      '==================================',
      '',
      'Training runs 4 h on ml.p3.2xlarge at $16.00 per hour: $64.00.',
      '',
      'First day',
      'Item             Cost',
      '---------------  ------',
      'Training         $64.00',
      'Inference, 24 h  $16.80',
      'Total            $80.80',
      '',
      'Notes:',
      '- Storage and data transfer are not included.',
    ]);
  });

  test('text tolerates ragged rows', () => {
    const summary: ReviewSummary = {
      ...costSummary(),
      tables: [{ caption: 'Ragged', columns: ['A'], rows: [['1', 'extra'], []] }],
      notes: [],
    };

    expect(renderSummaryText(summary)).toContain('Ragged\nA\n-  -----\n1  extra\n');
  });

  test('html escapes every summary string', () => {
    const hostile = '<img src=x onerror="alert(1)">&\'';
    const summary: ReviewSummary = {
      gate: 'cost',
      round: 1,
      title: hostile,
      paragraphs: [hostile],
      tables: [{ caption: hostile, columns: [hostile], rows: [[hostile]] }],
      notes: [hostile],
    };

    const html = renderSummaryHtml(summary);

    expect(html).not.toContain('<img');
    expect(html).not.toContain('"alert');
    expect(html.split(escapeHtml(hostile))).toHaveLength(7);
  });

  test('html omits empty notes', () => {
    expect(renderSummaryHtml({ ...costSummary(), notes: [] })).not.toContain('Notes');
  });

  test('text key figures mark warnings', () => {
    expect(renderKeyFiguresText(KEY_FIGURES).split('\n')).toEqual([
      'Key figures',
      '-----------',
      '! Over budget         Running cost per month is estimated at $900.00, above the monthly budget of $800.00.',
      '  Budget              $2,000.00 in total, $800.00 per month',
      '! Estimate per month  $900.00, above the monthly budget of $800.00',
    ]);
  });

  test('key figures precede summary body', () => {
    const summary = { ...costSummary(), keyFigures: KEY_FIGURES, changes: CHANGES };

    const text = renderSummaryText(summary);
    const html = renderSummaryHtml(summary);

    expect(text.indexOf('Key figures')).toBeGreaterThan(text.indexOf('====='));
    expect(text.indexOf('Key figures')).toBeLessThan(text.indexOf('Changes since the previous round'));
    expect(text.indexOf('Changes since the previous round')).toBeLessThan(text.indexOf('Training runs 4 h'));
    expect(html.indexOf('<table class="key-figures">')).toBeGreaterThan(html.indexOf('<h2>'));
    expect(html.indexOf('<table class="key-figures">')).toBeLessThan(html.indexOf('<table class="diff">'));
    expect(html.indexOf('<table class="diff">')).toBeLessThan(html.indexOf('<p>Training runs 4 h'));
    expect(html).toContain('<tr class="warning"><th scope="row">Over budget</th><td>Running cost per month is estimated');
    expect(html).toContain('<tr><th scope="row">Budget</th><td>$2,000.00 in total, $800.00 per month</td></tr>');
  });

  test('key figures can be left out', () => {
    const summary = { ...costSummary(), keyFigures: KEY_FIGURES };

    expect(renderSummaryText(summary, { keyFigures: false })).not.toContain('Key figures');
    expect(renderSummaryHtml(summary, { keyFigures: false })).not.toContain('key-figures');
  });

  test('text diff aligns like plan', () => {
    const lines = renderSummaryText({ ...costSummary(), changes: CHANGES }).split('\n');
    const start = lines.indexOf('Changes since the previous round');

    expect(lines.slice(start, start + 8)).toEqual([
      'Changes since the previous round',
      '--------------------------------',
      'Reason for the revision: Plan for 20,000 users',
      '   item                        before            after      change',
      '~  inference basis    1 × ml.m5.large  2 × ml.m5.large     changed',
      '+  total per month             $85.69        $1,169.63  +$1,083.94',
      '-  training, one run            $0.46            $0.12      -$0.34',
      '3 estimate lines changed; the cost per month goes from $85.69 to $1,169.63 (+$1,083.94).',
    ]);
  });

  test('html diff rows carry marks', () => {
    const html = renderSummaryHtml({ ...costSummary(), changes: CHANGES });

    expect(html).toContain('<p>Reason for the revision: Plan for 20,000 users</p>');
    expect(html).toContain(
      '<tr class="setting"><td class="mark">~</td><td>inference basis</td><td>1 × ml.m5.large</td><td>2 × ml.m5.large</td><td>changed</td></tr>',
    );
    expect(html).toContain('<tr class="more"><td class="mark">+</td><td>total per month</td><td>$85.69</td><td>$1,169.63</td><td>+$1,083.94</td></tr>');
    expect(html).toContain('<tr class="less"><td class="mark">-</td><td>training, one run</td><td>$0.46</td><td>$0.12</td><td>-$0.34</td></tr>');
    expect(html).toContain('<p><strong>3 estimate lines changed; the cost per month goes from $85.69 to $1,169.63 (+$1,083.94).</strong></p>');
  });

  test('unchanged revision shows no table', () => {
    const changes: ReviewChanges = { lines: [], perMonthChangeUsd: 0, summary: 'The revised spec leaves every line of the estimate as it was.' };

    const html = renderSummaryHtml({ ...costSummary(), changes });
    const text = renderSummaryText({ ...costSummary(), changes });

    expect(html).not.toContain('<table class="diff">');
    expect(html).not.toContain('Reason for the revision');
    expect(text).toContain('Changes since the previous round\n--------------------------------\nThe revised spec leaves every line of the estimate as it was.');
  });

  test('html escapes figures and changes', () => {
    const hostile = '<img src=x onerror="alert(1)">&\'';
    const summary: ReviewSummary = {
      ...costSummary(),
      keyFigures: [{ label: hostile, value: hostile, warning: true }],
      changes: { reason: hostile, lines: [{ mark: '~', item: hostile, before: hostile, after: hostile, change: hostile }], summary: hostile },
    };

    const html = renderSummaryHtml(summary);

    expect(html).not.toContain('<img');
    expect(html.split(escapeHtml(hostile))).toHaveLength(9);
  });
});

describe('review page form', () => {
  const page = (gate: 'cost' | 'deployment') =>
    renderReviewPage({
      status: projectStatus({ pendingGate: gate }),
      claims: claimsFor({ gate }),
      review: undefined,
      record: undefined,
      open: true,
      nonce: 'n0nce',
    });

  test('cost review offers request changes', () => {
    expect(page('cost')).toContain('value="request-changes"');
  });

  test('deployment review hides request changes', () => {
    const html = page('deployment');
    expect(html).not.toContain('value="request-changes"');
    expect(html).toContain('value="approved"');
    expect(html).toContain('value="rejected"');
  });
});
