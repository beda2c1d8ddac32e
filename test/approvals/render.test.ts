import { escapeHtml, renderSummaryHtml, renderSummaryText } from '../../client/approvals/render';
import type { ReviewSummary } from '../../domain/status';
import { costSummary } from './fixtures';

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
});
