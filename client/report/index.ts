/** The cost report: model, renderers and the `mlops report` command. */
export { buildReport, type BenchmarkRow, type BuildReportOptions, type ReportCharts, type ReportModel } from './model';
export { forecastMonthEnd, leastSquaresSlope, nextMonthStart, spendSeries, type SpendForecast, type SpendPoint } from './forecast';
export { CHART_IDS, renderReportHtml } from './html';
export { escapeMarkdown, renderReportMarkdown } from './markdown';
export { defaultDestination, isReportFormat, renderReport, REPORT_FORMATS, type ReportFormat } from './output';
export { registerReportCommand } from './command';
