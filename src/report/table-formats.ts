/** The report table as Markdown, CSV and aligned terminal text. LaTeX is in latex-table.ts. */
import type { ReportCell, ReportRow, ReportTable } from './report-table.ts';
import { trainingCells } from './convergence.ts';
import { ciText, hasSpread, hasTests, markedDeltaText, pCells, percent, pTitle, tableNotes } from './table-text.ts';

const MD_DASH = '–';

/** Backslash-escapes what Markdown would read as markup or a cell border. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\|*_`<>[\]]/g, (c) => `\\${c}`);
}

function valueText(cell: ReportCell, bold: (s: string) => string): string {
  const s = cell.summary;
  if (!s) return 'n/a';
  const m = cell.best ? bold(percent(s.mean)) : percent(s.mean);
  return s.std === undefined ? m : `${m} ± ${percent(s.std)}`;
}

/** Header and body cells of the main table: method, n, then each metric (and its Δ with a baseline). */
export function mainCells(table: ReportTable, bold: (s: string) => string, dash: string, label: (r: ReportRow) => string, metric: (m: string) => string) {
  const withDelta = table.baseline !== undefined;
  const header = ['Method', 'n', ...table.metrics.flatMap((m) => (withDelta ? [metric(m), 'Δ'] : [metric(m)]))];
  const body = table.rows.map((r) => [
    label(r),
    String(r.runs.length),
    ...r.cells.flatMap((c) => {
      const v = valueText(c, bold);
      return withDelta ? [v, r === table.baseline ? dash : (markedDeltaText(c) ?? 'n/a')] : [v];
    }),
  ]);
  return { header, body };
}

/** Header and body cells of the confidence-interval table: method, then each metric. */
export function ciCells(table: ReportTable, dash: string, label: (r: ReportRow) => string, metric: (m: string) => string) {
  const header = ['Method', ...table.metrics.map(metric)];
  const body = table.rows.map((r) => [label(r), ...r.cells.map((c) => (c.summary ? (ciText(c) ?? dash) : 'n/a'))]);
  return { header, body };
}

export function markdownGrid(header: string[], body: string[][]): string {
  const align = header.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [header, align, ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** A Markdown report: the main table (mean ± std, Δ), the confidence intervals, the notes. */
export function formatMarkdown(table: ReportTable, extraNotes: string[] = []): string {
  const label = (r: ReportRow) => escapeMarkdown(r.label);
  const metric = (m: string) => escapeMarkdown(m);
  const main = mainCells(table, (s) => `**${s}**`, MD_DASH, label, metric);
  const parts = [`## ${escapeMarkdown(table.title)}`, markdownGrid(main.header, main.body)];
  if (hasSpread(table)) {
    const ci = ciCells(table, MD_DASH, label, metric);
    parts.push('95% confidence intervals of the mean, in percent:', markdownGrid(ci.header, ci.body));
  }
  if (hasTests(table)) {
    const p = pCells(table, label, metric);
    parts.push(`${escapeMarkdown(pTitle(table))}:`, markdownGrid(p.header, p.body));
  }
  const training = trainingCells(table.rows, label);
  if (training.body.length > 0) parts.push('Training length under dev selection (optimisation steps):', markdownGrid(training.header, training.body));
  parts.push(tableNotes(table, { best: 'bold', dash: MD_DASH }, extraNotes.map(escapeMarkdown)).join('\n'));
  return `${parts.join('\n\n')}\n`;
}

export function alignedGrid(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Plain aligned text for the terminal; the best mean per column carries a `*`. */
export function formatTerminal(table: ReportTable, extraNotes: string[] = []): string {
  const main = mainCells(table, (s) => `${s}*`, '-', (r) => r.label, (m) => m);
  const parts = [table.title, alignedGrid(main.header, main.body)];
  if (hasSpread(table)) {
    const ci = ciCells(table, '-', (r) => r.label, (m) => m);
    parts.push(`95% confidence intervals of the mean, in percent:\n${alignedGrid(ci.header, ci.body)}`);
  }
  if (hasTests(table)) {
    const p = pCells(table, (r) => r.label, (m) => m);
    parts.push(`${pTitle(table)}:\n${alignedGrid(p.header, p.body)}`);
  }
  parts.push(tableNotes(table, { best: '*', dash: '-' }, extraNotes).join('\n'));
  return `${parts.join('\n\n')}\n`;
}

/** One CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
export function csvField(v: string | number | boolean | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = [
  'method',
  'trial_group',
  'metric',
  'n',
  'mean',
  'std',
  'ci95_low',
  'ci95_high',
  'delta',
  'delta_relative',
  'best',
  'baseline',
  'queries',
  'query_ci95_low',
  'query_ci95_high',
  'ci_shown',
  'delta_ci95_low',
  'delta_ci95_high',
  'p_value',
  'p_holm',
  'significant',
] as const;

/**
 * Long-form CSV, one line per method and metric, raw values as logged (fractions, not percent):
 * `delta` is the difference to the baseline's mean, `delta_relative` that difference over the
 * baseline's mean; `ci95_*` the seeds' t interval, `query_ci95_*` the query bootstrap interval,
 * `ci_shown` which of the two the tables show; `delta_ci95_*` the paired bootstrap interval of the
 * difference, `p_value`/`p_holm` the paired test against the baseline before and after Holm's
 * correction, `queries` how many queries were paired. Empty fields where a value does not exist
 * (std and t interval for one seed, tests without per-query values or baseline).
 */
export function formatCsv(table: ReportTable): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of table.rows) {
    r.cells.forEach((c, i) => {
      const s = c.summary;
      const t = c.test;
      const fields = [
        ...[r.label, r.group, table.metrics[i]!, s?.n ?? 0, s?.mean, s?.std, s?.ci?.[0], s?.ci?.[1], c.delta?.diff, c.delta?.relative, c.best, r === table.baseline],
        ...[t?.queries ?? c.queryValues?.size, c.queryCi?.[0], c.queryCi?.[1], c.shownCi?.source, t?.deltaCi[0], t?.deltaCi[1], t?.p, t?.pHolm, t?.significant],
      ];
      lines.push(fields.map(csvField).join(','));
    });
  }
  return `${lines.join('\n')}\n`;
}
