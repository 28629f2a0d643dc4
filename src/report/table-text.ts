/** Number formatting and notes shared by the Markdown, LaTeX and terminal forms of a report table. */
import type { ReportCell, ReportTable } from './report-table.ts';

/** A metric value in percent with two decimals, as the paper prints it. */
export function percent(v: number): string {
  return (v * 100).toFixed(2);
}

/** `+1.23` / `-1.23`; a value that rounds to zero is `+0.00`, never `-0.00`. */
export function signed(v: number, digits: number): string {
  const body = Math.abs(v).toFixed(digits);
  return `${v < 0 && Number(body) !== 0 ? '-' : '+'}${body}`;
}

/** `+1.88 (+4.2%)`: points, then the change relative to the baseline. */
export function deltaText(cell: ReportCell): string | undefined {
  if (!cell.delta) return undefined;
  const rel = cell.delta.relative === undefined ? '' : ` (${signed(cell.delta.relative * 100, 1)}%)`;
  return `${signed(cell.delta.diff * 100, 2)}${rel}`;
}

/** `[43.10, 47.14]`, or undefined for a single seed. */
export function ciText(cell: ReportCell): string | undefined {
  const ci = cell.summary?.ci;
  return ci ? `[${percent(ci[0])}, ${percent(ci[1])}]` : undefined;
}

export function hasSpread(table: ReportTable): boolean {
  return table.rows.some((r) => r.cells.some((c) => c.summary?.ci !== undefined));
}

export function hasSingleSeed(table: ReportTable): boolean {
  return table.rows.some((r) => r.cells.some((c) => c.summary?.n === 1));
}

/**
 * The sentences under a table. `style` words them for the medium: how the best value is marked
 * and how a missing value looks. `extra` are caller notes, e.g. trials left out.
 */
export function tableNotes(table: ReportTable, style: { best: string; dash: string }, extra: string[] = []): string[] {
  const notes = [`Mean ± sample standard deviation over seeds, in percent; ${style.best} marks the best mean per column.`];
  if (table.baseline) notes.push(`Δ: difference to the baseline (${table.baseline.label}) in percentage points, relative change in parentheses.`);
  if (hasSpread(table)) notes.push("Confidence intervals: 95% for the mean, Student's t with n − 1 degrees of freedom.");
  if (hasSingleSeed(table)) notes.push(`n = 1 (a single seed): no standard deviation or confidence interval, shown as ${style.dash}.`);
  return [...notes, ...extra];
}
