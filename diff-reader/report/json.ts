/**
 * The report as stable JSON: the model as it is (its objects are built with a fixed key order, absent
 * values are null, rates are fractions), under a format tag, pretty-printed with a final newline. The same
 * report always gives the same bytes.
 */
import type { DiffReport } from './model';

/** Names the shape of the JSON document; changes only with an incompatible change of the model. */
export const DIFF_REPORT_FORMAT = 'strangler.diff-report/v1';

export interface DiffReportJson extends DiffReport {
  format: typeof DIFF_REPORT_FORMAT;
}

export function renderJson(report: DiffReport): string {
  const document: DiffReportJson = { format: DIFF_REPORT_FORMAT, ...report };
  return `${JSON.stringify(document, null, 2)}\n`;
}
