import { join } from 'node:path';
import { writeUserFileAtomic } from '../io/atomic.js';
import { assertNotInput } from '../io/protect.js';
import { collectRunReport, type ReportSelection, type RunReport } from './collect.js';
import { renderReportHtml } from './html.js';

export interface WrittenReport {
  path: string;
  bytes: number;
  report: RunReport;
}

/** The default output: report.html inside the run directory. */
export function defaultReportPath(runDir: string): string {
  return join(runDir, 'report.html');
}

/** Read a run directory and write its HTML report (atomically: a reader never sees half a page). */
export function writeRunReport(runDir: string, output: string = defaultReportPath(runDir), selection: ReportSelection = {}): WrittenReport {
  const report = collectRunReport(runDir, selection);
  assertNotInput(output, report.inputFiles); // every file the page was made from
  const html = Buffer.from(renderReportHtml(report), 'utf8');
  writeUserFileAtomic(output, html);
  return { path: output, bytes: html.length, report };
}
