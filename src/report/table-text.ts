/** Number formatting and notes shared by the Markdown, LaTeX and terminal forms of a report table. */
import type { ReportCell, ReportRow, ReportTable } from './report-table.ts';
import { convergenceNotes } from './convergence.ts';

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

/** Marks a difference to the baseline that the paired test finds significant after correction. */
export const SIGNIFICANT = '†';
/** Marks an interval from the query bootstrap (shown where wider than the seeds' interval). */
export const QUERY_CI = '(q)';

/** `[43.10, 47.14]`, `[41.02, 49.30] (q)` for a query-bootstrap interval, or undefined when there is none. */
export function ciText(cell: ReportCell): string | undefined {
  const shown = cell.shownCi;
  if (!shown) return undefined;
  return `[${percent(shown.ci[0])}, ${percent(shown.ci[1])}]${shown.source === 'queries' ? ` ${QUERY_CI}` : ''}`;
}

/** `+1.88 (+4.2%)`, with `†` when the paired test finds the difference significant. */
export function markedDeltaText(cell: ReportCell): string | undefined {
  const d = deltaText(cell);
  return d === undefined ? undefined : `${d}${cell.test?.significant ? SIGNIFICANT : ''}`;
}

/** A p-value with three decimals, `<0.001` below that. */
export function pText(p: number): string {
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

export function hasSpread(table: ReportTable): boolean {
  return table.rows.some((r) => r.cells.some((c) => c.shownCi !== undefined));
}

export function hasTests(table: ReportTable): boolean {
  return table.rows.some((r) => r.cells.some((c) => c.test !== undefined));
}

function hasQueryCi(table: ReportTable): boolean {
  return table.rows.some((r) => r.cells.some((c) => c.shownCi?.source === 'queries'));
}

/** Header and body cells of the p-value table: each row but the baseline, Holm-adjusted p per metric. */
export function pCells(table: ReportTable, label: (r: ReportRow) => string, metric: (m: string) => string) {
  const header = ['Method', ...table.metrics.map(metric)];
  const body = table.rows.filter((r) => r !== table.baseline).map((r) => [label(r), ...r.cells.map((c) => (c.test ? `${pText(c.test.pHolm)}${c.test.significant ? SIGNIFICANT : ''}` : 'n/a'))]);
  return { header, body };
}

/** The heading of the p-value table. */
export function pTitle(table: ReportTable): string {
  return `Paired randomization test against the baseline (${table.baseline?.label ?? ''}) over queries: p-values after Holm's correction`;
}

export function hasSingleSeed(table: ReportTable): boolean {
  return table.rows.some((r) => r.cells.some((c) => c.summary?.n === 1));
}

/**
 * The sentences under a table. `style` words them for the medium: how the best value is marked
 * and how a missing value looks. `extra` are caller notes, e.g. trials left out.
 */
export function tableNotes(table: ReportTable, style: { best: string; dash: string }, extra: string[] = []): string[] {
  const sig = table.significance;
  const tested = table.bestTested.some((t) => t);
  const bestRule = tested
    ? `${style.best} marks the best mean per column when a paired randomization test over queries separates it from the runner-up (p < ${sig.alpha})${table.bestTested.every((t) => t) ? '' : '; in columns without per-query values, the best mean'}`
    : `${style.best} marks the best mean per column`;
  const notes = [`Mean ± sample standard deviation over seeds, in percent; ${bestRule}.`];
  if (table.baseline) notes.push(`Δ: difference to the baseline (${table.baseline.label}) in percentage points, relative change in parentheses.`);
  if (hasTests(table)) {
    notes.push(
      `${SIGNIFICANT}: different from the baseline by a two-sided paired randomization test over queries (per-query values averaged over each row's seeds, ${sig.permutations} random sign flips, exact below that), p < ${sig.alpha} after Holm's correction over the rows of the column.`,
    );
  }
  if (hasSpread(table)) {
    notes.push(
      hasQueryCi(table)
        ? `Confidence intervals: 95% for the mean; Student's t over seeds (n − 1 degrees of freedom), or, marked ${QUERY_CI}, a percentile bootstrap over queries (${sig.bootstrap} resamples) where that is wider.`
        : "Confidence intervals: 95% for the mean, Student's t with n − 1 degrees of freedom.",
    );
  }
  if (hasSingleSeed(table)) {
    notes.push(
      hasQueryCi(table)
        ? `n = 1 (a single seed): no standard deviation or seed interval (${style.dash} where there is no interval at all).`
        : `n = 1 (a single seed): no standard deviation or confidence interval, shown as ${style.dash}.`,
    );
  }
  notes.push(...convergenceNotes(table.rows));
  return [...notes, ...extra];
}
