/**
 * The sensitivity map: how the effect of each method against a baseline changes along one
 * ablation axis, typically a knob of the simulated world (bubble strength, vocabulary gap, ranker
 * mix, discriminator noise, LLM fidelity). The trials at each value of the axis form their own
 * small report table, with the baseline row at that same value, so every difference is paired on
 * the queries of one world and tested the way the main table is (paired randomization test, Holm
 * over the methods, bootstrap interval of the mean difference). The map shows, per metric, the
 * difference of each method at each value, and whether it is separated from zero.
 */
import { splitAxis } from '../config/report-check.ts';
import { buildReportTable, type ReportOptions, type ReportTable, type TrialRun } from './report-table.ts';

export interface SensitivitySettings {
  /** the ablation axis, as written in trial ids (e.g. `dataset.params.querySynonymRate`) */
  axis: string;
  /** trial group (without the axis, the world and the seed) the methods are compared with */
  baseline: string;
  /** metrics of the map, as metric@k/set; default: the report's */
  metrics?: string[];
  /** trial group (without the axis) -> method name */
  labels?: Record<string, string>;
  /** axis value as in trial ids -> the name the map shows for it */
  valueLabels?: Record<string, string>;
}

export interface SensitivityCell {
  /** method mean − baseline mean at this value (fractions) */
  delta?: number;
  /** paired bootstrap interval of the difference over queries */
  deltaCi?: [number, number];
  pHolm?: number;
  significant?: boolean;
}

export interface SensitivityMap {
  axis: string;
  /** the axis values, in the order the trials first show them */
  values: string[];
  metrics: string[];
  baseline: string;
  /** method labels (the baseline excluded), in order of first appearance */
  methods: string[];
  /** metric -> method -> value -> cell */
  cells: Map<string, Map<string, Map<string, SensitivityCell>>>;
  /** the report table of each value */
  tables: Map<string, ReportTable>;
  warnings: string[];
}


/** The value of `axis` in a trial id (`a=1,b=x,seed=2`, axis `b` -> `x`), or undefined. */
export function axisValueOf(trialId: string, axis: string): string | undefined {
  return splitAxis(trialId, axis)?.value;
}

/** The trial id without its `axis=value` part; the report's grouping then strips world and seed. */
export function withoutAxis(trialId: string, axis: string): string {
  return splitAxis(trialId, axis)?.rest ?? trialId;
}

/** Builds the map; trials without the axis in their id are left out with a warning. */
export function buildSensitivityMap(runs: TrialRun[], settings: SensitivitySettings, opts: Omit<ReportOptions, 'baseline' | 'labels'>): SensitivityMap {
  const warnings: string[] = [];
  const byValue = new Map<string, TrialRun[]>();
  let outside = 0;
  for (const r of runs) {
    const split = splitAxis(r.trialId, settings.axis);
    if (split === undefined) {
      outside++;
      continue;
    }
    const value = settings.valueLabels?.[split.value] ?? split.value;
    const list = byValue.get(value) ?? byValue.set(value, []).get(value)!;
    list.push({ ...r, trialId: split.rest });
  }
  if (outside > 0) warnings.push(`sensitivity: ${outside} trial${outside === 1 ? '' : 's'} without '${settings.axis}=' in the id left out of the map`);
  const metrics = settings.metrics ?? opts.metrics;
  const map: SensitivityMap = { axis: settings.axis, values: [...byValue.keys()], metrics, baseline: settings.baseline, methods: [], cells: new Map(metrics.map((m) => [m, new Map()])), tables: new Map(), warnings };
  for (const [value, list] of byValue) {
    const table = buildReportTable(list, { ...opts, metrics, baseline: settings.baseline, labels: settings.labels });
    map.tables.set(value, table);
    for (const w of table.warnings) warnings.push(`${settings.axis}=${value}: ${w}`);
    if (!table.baseline) continue;
    for (const row of table.rows) {
      if (row === table.baseline) continue;
      if (!map.methods.includes(row.label)) map.methods.push(row.label);
      metrics.forEach((m, c) => {
        const cell = row.cells[c]!;
        const byMethod = map.cells.get(m)!;
        const byValueCells = byMethod.get(row.label) ?? byMethod.set(row.label, new Map()).get(row.label)!;
        byValueCells.set(value, { delta: cell.delta?.diff, deltaCi: cell.test?.deltaCi, pHolm: cell.test?.pHolm, significant: cell.test?.significant });
      });
    }
  }
  return map;
}

/** Percentage points with a sign; a value that rounds to zero has none. */
const points = (x: number) => {
  const text = Math.abs(x * 100).toFixed(1);
  return text === '0.0' ? text : `${x >= 0 ? '+' : '−'}${text}`;
};

/** One cell as text: `+2.3 [+0.8, +3.9] †` (percentage points), `—` when absent. */
export function formatSensitivityCell(cell: SensitivityCell | undefined, dash = '—'): string {
  if (cell?.delta === undefined) return dash;
  const ci = cell.deltaCi ? ` [${points(cell.deltaCi[0])}, ${points(cell.deltaCi[1])}]` : '';
  return `${points(cell.delta)}${ci}${cell.significant ? ' †' : ''}`;
}

/** Markdown: per metric a grid of methods × axis values. */
export function formatSensitivityMarkdown(map: SensitivityMap, escape: (s: string) => string = (s) => s): string {
  const parts = [
    `## Sensitivity to ${escape(map.axis)}`,
    `Difference to ${escape(map.baseline)} at each value, in percentage points; in brackets the 95% paired bootstrap interval over queries; † where the paired randomization test (Holm over the methods) separates it from zero.`,
  ];
  for (const m of map.metrics) {
    const header = ['Method', ...map.values.map((v) => `${escape(map.axis.split('.').at(-1)!)} = ${escape(v)}`)];
    const body = map.methods.map((method) => [escape(method), ...map.values.map((v) => formatSensitivityCell(map.cells.get(m)?.get(method)?.get(v)))]);
    const align = header.map((_, i) => (i === 0 ? ':--' : '--:'));
    parts.push(`### ${escape(m)}`, [header, align, ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n'));
  }
  if (map.warnings.length > 0) parts.push(map.warnings.map((w) => `- ${escape(w)}`).join('\n'));
  return `${parts.join('\n\n')}\n`;
}

/** CSV: one line per metric, method and value. */
export function formatSensitivityCsv(map: SensitivityMap): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['metric,method,axis,value,delta,delta_ci95_low,delta_ci95_high,p_holm,significant'];
  for (const m of map.metrics) {
    for (const method of map.methods) {
      for (const v of map.values) {
        const c = map.cells.get(m)?.get(method)?.get(v);
        lines.push([m, method, map.axis, v, c?.delta ?? '', c?.deltaCi?.[0] ?? '', c?.deltaCi?.[1] ?? '', c?.pHolm ?? '', c?.significant ?? ''].map((x) => quote(String(x))).join(','));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
