export interface TableRow {
  label: string;
  status: string;
  values: Record<string, number | undefined>;
}

/**
 * A plain-text table of trials x metrics, values in percent as the paper prints them, the best
 * value per column marked with `*`.
 */
export function formatResultsTable(rows: TableRow[], columns: string[]): string {
  const best = new Map<string, number>();
  for (const c of columns) {
    const vals = rows.map((r) => r.values[c]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (vals.length > 1) best.set(c, Math.max(...vals));
  }
  const cell = (r: TableRow, c: string) => {
    const v = r.values[c];
    if (v === undefined || !Number.isFinite(v)) return r.status === 'FINISHED' || r.status === 'SKIPPED' ? 'n/a' : '-';
    return `${(v * 100).toFixed(2)}${best.get(c) === v ? '*' : ' '}`;
  };
  const header = ['trial', ...columns, 'status'];
  const body = rows.map((r) => [r.label, ...columns.map((c) => cell(r, c)), r.status.toLowerCase()]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
