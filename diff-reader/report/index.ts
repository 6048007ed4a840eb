/**
 * Diff reports: buildDiffReport() turns shadow comparisons into a DiffReport, readDiffReport() reads one from a
 * comparison store; renderDiffReport() formats it for a terminal, a pull-request comment, a self-contained HTML
 * file or as JSON.
 */
import { renderHtml, type HtmlOptions } from './html';
import { renderJson } from './json';
import { renderMarkdown, type MarkdownOptions } from './markdown';
import type { DiffReport } from './model';
import { renderText, type TextOptions } from './text';

export { buildDiffReport, buildReportFromCounts, DEFAULT_BUCKETS, DEFAULT_EXAMPLES_PER_FIELD } from './model';
export type {
  DiffReport,
  DiffReportOptions,
  ErrorReason,
  FieldExample,
  FieldReport,
  LatencySummary,
  OmittedFields,
  OutcomeCounts,
  OutcomeRates,
  ReportInput,
  ReportWindow,
  RouteReport,
  TimeBucket,
} from './model';
export { readDiffReport, type BuildReport, type ReadReportOptions } from './read';
export { ReportPool, OFF_LOOP_REPORT_ROWS, REPORT_WORKER_SCRIPT, type ReportPoolOptions } from './report-pool';
export { renderText, type TextOptions } from './text';
export { renderMarkdown, codeSpan, GITHUB_COMMENT_LIMIT, type MarkdownOptions } from './markdown';
export { renderHtml, escapeHtml, type HtmlOptions } from './html';
export { renderJson, DIFF_REPORT_FORMAT, type DiffReportJson } from './json';

export type DiffReportFormat = 'text' | 'markdown' | 'html' | 'json';
export const DIFF_REPORT_FORMATS: readonly DiffReportFormat[] = ['text', 'markdown', 'html', 'json'];

/** Options of every renderer together; each format reads only its own. */
export type RenderOptions = TextOptions & MarkdownOptions & HtmlOptions;

export function renderDiffReport(report: DiffReport, format: DiffReportFormat, options: RenderOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(report, options);
    case 'markdown':
      return renderMarkdown(report, options);
    case 'html':
      return renderHtml(report, options);
    case 'json':
      return renderJson(report);
    default:
      throw new RangeError(`unknown diff report format "${String(format satisfies never)}" (text, markdown, html or json)`);
  }
}
