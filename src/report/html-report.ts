/** One self-contained HTML page per report: tables, inline SVG charts, configs, world facts. */
import { trainingCells } from './convergence.ts';
import type { DatasetDiagnostic } from '../extension-points/dataset.ts';
import { onlineSection, type OnlineReport } from './online-report.ts';
import type { ReportTable } from './report-table.ts';
import { formatSensitivityCell, type SensitivityMap } from './sensitivity.ts';
import { ciCells, mainCells } from './table-formats.ts';
import { hasSpread, hasTests, pCells, pTitle, tableNotes } from './table-text.ts';

/** A fact about the logs a simulated dataset produced, with the range a realistic log falls in. */
export type WorldFact = DatasetDiagnostic;

export interface HtmlReportParts {
  table: ReportTable;
  notes: string[];
  /** e.g. `sweep run 1a2b… of experiment quickstart in /path/mlruns` */
  source: string;
  /** chart file name -> SVG text */
  charts: Array<[string, string]>;
  /** trial id -> resolved config (YAML text) */
  configs: Array<[string, string]>;
  /** per distinct dataset: its name and facts; only for simulated data */
  worlds?: Array<{ dataset: string; facts: WorldFact[] }>;
  /** the sensitivity map, when `report.sensitivity` asked for one */
  sensitivity?: SensitivityMap;
  /** the simulated online A/B tests, when trials ran `eval.online` */
  online?: OnlineReport[];
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{padding:.25rem .6rem;text-align:right;border-bottom:1px solid #ddd}
th:first-child,td:first-child{text-align:left}thead th{border-bottom:2px solid #444}
.notes{color:#555;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:1rem}.off{color:#b00}
pre{background:#f6f6f6;padding:.6rem;overflow:auto;font-size:12px}summary{cursor:pointer}`;

function htmlTable(header: string[], body: string[][]): string {
  const row = (cells: string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
  return `<table><thead>${row(header, 'th')}</thead><tbody>${body.map((b) => row(b, 'td')).join('')}</tbody></table>`;
}

function worldSection(worlds: NonNullable<HtmlReportParts['worlds']>): string {
  return worlds
    .map(({ dataset, facts }) => {
      const body = facts.map((f) => {
        const outside = f.target && typeof f.value === 'number' && (f.value < f.target[0] || f.value > f.target[1]);
        const value = escapeHtml(String(f.value));
        return [escapeHtml(f.key), outside ? `<span class="off">${value}</span>` : value, f.target ? `${f.target[0]} – ${f.target[1]}` : '', escapeHtml(f.about)];
      });
      return `<h3>${escapeHtml(dataset)}</h3>${htmlTable(['fact', 'value', 'realistic range', 'what it measures'], body)}`;
    })
    .join('\n');
}

function sensitivitySection(map: SensitivityMap): string {
  const parts = [
    `<h2>Sensitivity to ${escapeHtml(map.axis)}</h2>`,
    `<p class="notes">Difference to ${escapeHtml(map.baseline)} at each value, in percentage points; in brackets the 95% paired bootstrap interval over queries; † where the paired randomization test (Holm over the methods) separates it from zero.</p>`,
  ];
  for (const m of map.metrics) {
    const body = map.methods.map((method) => [escapeHtml(method), ...map.values.map((v) => escapeHtml(formatSensitivityCell(map.cells.get(m)?.get(method)?.get(v), '–')))]);
    parts.push(`<h3>${escapeHtml(m)}</h3>`, htmlTable(['method', ...map.values.map(escapeHtml)], body));
  }
  return parts.join('\n');
}

/**
 * The report as one HTML file that opens offline: no scripts, no external styles or images (the
 * charts are inline SVG). Values outside a world fact's realistic range are shown in red.
 */
export function formatHtml(parts: HtmlReportParts): string {
  const { table } = parts;
  const main = mainCells(table, (s) => `<strong>${s}</strong>`, '–', (r) => escapeHtml(r.label), escapeHtml);
  const sections = [`<h1>${escapeHtml(table.title)}</h1>`, `<p class="notes">${escapeHtml(parts.source)}</p>`, htmlTable(main.header, main.body)];
  if (hasSpread(table)) {
    const ci = ciCells(table, '–', (r) => escapeHtml(r.label), escapeHtml);
    sections.push('<h2>95% confidence intervals of the mean, in percent</h2>', htmlTable(ci.header, ci.body));
  }
  if (hasTests(table)) {
    const p = pCells(table, (r) => escapeHtml(r.label), escapeHtml);
    sections.push(`<h2>${escapeHtml(pTitle(table))}</h2>`, htmlTable(p.header, p.body));
  }
  const training = trainingCells(table.rows, (r) => escapeHtml(r.label));
  if (training.body.length > 0) sections.push('<h2>Training length under dev selection (optimisation steps)</h2>', htmlTable(training.header, training.body));
  sections.push(`<ul class="notes">${tableNotes(table, { best: 'bold', dash: '–' }, parts.notes).map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  if (parts.sensitivity) sections.push(sensitivitySection(parts.sensitivity));
  for (const report of parts.online ?? []) {
    const { title, tables, notes } = onlineSection(report);
    if (title) sections.push(`<h2>${escapeHtml(title)}</h2>`);
    for (const t of tables) sections.push(`<p>${escapeHtml(t.caption)}:</p>`, htmlTable(t.header.map(escapeHtml), t.body.map((row) => row.map(escapeHtml))));
    if (notes.length > 0) sections.push(`<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  }
  if (parts.charts.length > 0) {
    sections.push('<h2>Charts</h2>', `<div class="charts">${parts.charts.map(([name, svg]) => `<figure title="${escapeHtml(name)}">${svg}</figure>`).join('\n')}</div>`);
  }
  if (parts.worlds && parts.worlds.length > 0) sections.push('<h2>Simulated world</h2>', worldSection(parts.worlds));
  if (parts.configs.length > 0) {
    const details = parts.configs.map(([trial, yaml]) => `<details><summary>${escapeHtml(trial)}</summary><pre>${escapeHtml(yaml)}</pre></details>`);
    sections.push('<h2>Resolved configurations</h2>', details.join('\n'));
  }
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(table.title)}</title><style>${STYLE}</style></head>
<body>
${sections.join('\n')}
</body>
</html>
`;
}
