/**
 * Report charts as Vega-Lite specs, rendered to SVG in Node by Vega's headless view (no browser
 * or canvas needed; text is measured by estimate). Vega is imported on first use so commands that
 * draw nothing do not pay for loading it.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportTable } from './report-table.ts';
import type { SensitivityMap } from './sensitivity.ts';

export interface CurveSeries {
  /** the trial id */
  trial: string;
  points: Array<{ step: number; value: number }>;
}

export interface Chart {
  /** file name under charts/, e.g. `recall_at_100-ct.svg` */
  file: string;
  spec: TopLevelSpec;
}

/** A file-name-safe form of a metric label or key: `recall@100/ct` -> `recall_at_100-ct`. */
export function chartName(label: string): string {
  return label.replace(/@/g, '_at_').replace(/\//g, '-').replace(/[^\w.-]+/g, '_');
}

/** Characters a chart label keeps before its bracketed parameters are shortened (about 300 px at Vega's 10 px font). */
const LABEL_CHARS = 52;

/**
 * Labels for the methods beside a chart: short enough to read, and still one per method. Vega would
 * cut a long label at a pixel limit from the right, which turns `…oracle(noise=0.3)` and
 * `…oracle(noise=0.1)` into the same text; instead the deepest bracketed parameters of a long label
 * (`dense-teacher(train={encoder=hash-mlp(…)},high=0.6)`) are shortened to `…`, innermost first, and
 * only where the `…` could not stand for another label's text, so no two labels read alike. A
 * label that cannot be shortened that way is kept whole, and the chart widens for it.
 */
export function chartLabels(labels: readonly string[], limit = LABEL_CHARS): string[] {
  const out = [...labels];
  // a shortened label must not read as another one: its `…` could stand for that label's text too
  const taken = (candidate: string, i: number) => {
    const pattern = new RegExp(`^${candidate.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return labels.some((other, j) => j !== i && (pattern.test(other) || pattern.test(out[j]!)));
  };
  for (let i = 0; i < out.length; i++) {
    // a group whose text tells this label from another is kept, and so is every group around it
    const kept: Array<[number, number]> = [];
    let shortened = true;
    while (shortened && out[i]!.length > limit) {
      shortened = false;
      for (const [start, end] of bracketGroups(out[i]!)) {
        if (kept.some(([a, b]) => start <= a && b <= end)) continue;
        const candidate = `${out[i]!.slice(0, start + 1)}…${out[i]!.slice(end)}`;
        if (taken(candidate, i)) {
          kept.push([start, end]);
          continue;
        }
        out[i] = candidate;
        // the text after the group moved left: so did the kept spans after it, and the end of one around it
        const moved = end - start - 2;
        for (const span of kept) {
          if (span[0] > end) span[0] -= moved;
          if (span[1] >= end) span[1] -= moved;
        }
        shortened = true;
        break;
      }
    }
  }
  return out;
}

/** The spans of a label's bracketed contents not yet shortened, deepest first (then longest). */
function bracketGroups(label: string): Array<[number, number]> {
  const close: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const open: Array<{ at: number; char: string }> = [];
  const groups: Array<{ start: number; end: number; depth: number }> = [];
  for (let at = 0; at < label.length; at++) {
    const char = label[at]!;
    if (close[char]) open.push({ at, char });
    else if (open.length > 0 && char === close[open[open.length - 1]!.char]) {
      const { at: start } = open.pop()!;
      if (label.slice(start + 1, at) !== '…') groups.push({ start, end: at, depth: open.length });
    }
  }
  return groups.sort((a, b) => b.depth - a.depth || b.end - b.start - (a.end - a.start)).map((g) => [g.start, g.end]);
}

/** Vega's label limit for no limit: {@link chartLabels} keeps the labels short, and Vega would cut them from the right. */
const WHOLE = 0;

/** A colour scheme with a colour for each of n methods where one has enough (10, then 20). */
function colourScheme(n: number): 'tableau10' | 'tableau20' {
  return n <= 10 ? 'tableau10' : 'tableau20';
}

/**
 * One dot-and-whisker chart per metric: a row per method (in table order, one colour each), the
 * mean over seeds as a dot and the interval the tables show as a whisker (the seeds' t interval,
 * or the query bootstrap one where wider), on an axis fitted to the values rather than starting at
 * zero, so differences of a point or two stay visible. A dashed line marks the baseline's mean;
 * methods significantly different from it carry † after their name.
 */
export function metricCharts(table: ReportTable): Chart[] {
  const labels = chartLabels(table.rows.map((r) => r.label));
  const shown = new Map(table.rows.map((r, i) => [r, labels[i]!]));
  return table.metrics.map((metric, c) => {
    const values = table.rows
      .filter((r) => r.cells[c]!.summary)
      .map((r) => {
        const cell = r.cells[c]!;
        const ci = cell.shownCi?.ci;
        return {
          method: `${shown.get(r)}${cell.test?.significant ? ' †' : ''}`,
          mean: cell.summary!.mean * 100,
          low: ci ? ci[0] * 100 : null,
          high: ci ? ci[1] * 100 : null,
          n: cell.summary!.n,
        };
      });
    const sources = new Set(table.rows.map((r) => r.cells[c]!.shownCi?.source).filter((s) => s !== undefined));
    const whiskers =
      sources.size === 0
        ? 'no interval (one seed, no per-query values)'
        : sources.has('queries')
          ? sources.has('seeds')
            ? 'whiskers: 95% CI, the wider of seeds t and query bootstrap'
            : 'whiskers: 95% CI, query bootstrap'
          : "whiskers: 95% CI, Student's t over seeds";
    const baseMean = table.baseline?.cells[c]!.summary?.mean;
    const title = `${metric} (%)`;
    const y = { field: 'method', type: 'nominal' as const, sort: null, title: null, axis: { labelLimit: WHOLE } };
    const x = (field: string) => ({ field, type: 'quantitative' as const, title, scale: { zero: false } });
    const color = { field: 'method', type: 'nominal' as const, sort: null, legend: null, scale: { scheme: colourScheme(values.length) } };
    const spec: TopLevelSpec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: `${table.title}: ${metric}`, subtitle: `dot: mean over seeds; ${whiskers}${baseMean !== undefined ? '; dashed: baseline' : ''}` },
      data: { values },
      width: 420,
      height: { step: 26 },
      layer: [
        ...(baseMean !== undefined ? [{ mark: { type: 'rule' as const, strokeDash: [4, 3], color: '#888' }, encoding: { x: { datum: baseMean * 100, type: 'quantitative' as const, title, scale: { zero: false } } } }] : []),
        { transform: [{ filter: 'datum.low != null' }], mark: { type: 'rule', strokeWidth: 2 }, encoding: { y, x: x('low'), x2: { field: 'high' }, color } },
        { mark: { type: 'point', filled: true, size: 80, opacity: 1 }, encoding: { y, x: x('mean'), color } },
      ],
    };
    return { file: `${chartName(metric)}.svg`, spec };
  });
}

/**
 * One chart per metric-at-cutoff curve (e.g. Recall@k on `ct` for k = 1 … 1000): a line per method
 * (mean over its runs at each cutoff all of them reached), k on a log axis, the value axis fitted to
 * the values. Methods whose runs logged no curve are left out.
 */
export function cutoffCharts(table: ReportTable): Chart[] {
  const keys = [...new Set(table.rows.flatMap((r) => r.runs.flatMap((run) => [...(run.cutoffCurves?.keys() ?? [])])))];
  const shown = chartLabels(table.rows.map((r) => r.label));
  return keys.flatMap((key): Chart[] => {
    const values: Array<{ method: string; k: number; value: number }> = [];
    for (const [i, row] of table.rows.entries()) {
      const curves = row.runs.map((run) => run.cutoffCurves?.get(key));
      if (curves.length === 0 || curves.some((c) => c === undefined)) continue;
      for (const k of curves[0]!.cutoffs) {
        const at = curves.map((c) => c!.values[c!.cutoffs.indexOf(k)]);
        if (at.some((v) => v === undefined || !Number.isFinite(v))) continue;
        values.push({ method: shown[i]!, k, value: (at.reduce((a, v) => a + v!, 0) / at.length) * 100 });
      }
    }
    if (values.length === 0) return [];
    const [metric, set] = key.split('/');
    const methods = [...new Set(values.map((v) => v.method))];
    return [
      {
        file: `${chartName(`${metric}_at_k/${set}`)}.svg`,
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          title: { text: `${table.title}: ${metric}@k on ${set}`, subtitle: 'mean over each method\'s runs; k on a log scale' },
          data: { values },
          width: 420,
          height: 260,
          mark: { type: 'line', point: true, strokeWidth: 1.5 },
          encoding: {
            x: { field: 'k', type: 'quantitative', title: 'cutoff k', scale: { type: 'log' } },
            y: { field: 'value', type: 'quantitative', title: `${metric}@k (%)`, scale: { zero: false } },
            color: { field: 'method', type: 'nominal', sort: null, title: 'method', scale: { scheme: colourScheme(methods.length) }, legend: { labelLimit: WHOLE } },
          },
        },
      },
    ];
  });
}

/**
 * One chart per metric of a sensitivity map: the difference of each method to the baseline (in
 * points) against the axis value, a line per method with the paired bootstrap interval as a
 * whisker, and a dashed line at zero, so "helps", "hurts" and "does nothing" read off directly.
 * The axis is quantitative when every value is a number.
 */
export function sensitivityCharts(map: SensitivityMap): Chart[] {
  const numeric = map.values.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  return map.metrics.flatMap((metric): Chart[] => {
    const values = map.methods.flatMap((method) =>
      map.values.flatMap((v) => {
        const c = map.cells.get(metric)?.get(method)?.get(v);
        if (c?.delta === undefined) return [];
        return [{ method, at: numeric ? Number(v) : v, delta: c.delta * 100, low: c.deltaCi ? c.deltaCi[0] * 100 : null, high: c.deltaCi ? c.deltaCi[1] * 100 : null }];
      }),
    );
    if (values.length === 0) return [];
    // a numeric axis spans the values swept (0.1 to 0.5 is not squeezed into the right of 0 to 0.5), ticked at them
    const x = numeric
      ? { field: 'at', type: 'quantitative' as const, title: map.axis, scale: { zero: false, padding: 12 }, axis: { values: map.values.map(Number), format: '.6~g' } }
      : { field: 'at', type: 'ordinal' as const, title: map.axis, sort: map.values, axis: { labelLimit: WHOLE } };
    const color = { field: 'method', type: 'nominal' as const, sort: null, title: 'method', scale: { scheme: colourScheme(map.methods.length) }, legend: { labelLimit: WHOLE } };
    const y = (field: string) => ({ field, type: 'quantitative' as const, title: `Δ ${metric} vs ${map.baseline} (points)`, scale: { zero: false } });
    return [
      {
        file: `${chartName(`sensitivity-${metric}`)}.svg`,
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          title: { text: `Sensitivity of ${metric} to ${map.axis}`, subtitle: 'difference to the baseline at each value; whiskers: 95% paired bootstrap interval over queries; dashed: no difference' },
          data: { values },
          width: 420,
          height: 260,
          layer: [
            { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 0, type: 'quantitative' } } },
            { transform: [{ filter: 'datum.low != null' }], mark: { type: 'rule', strokeWidth: 2 }, encoding: { x, y: y('low'), y2: { field: 'high' }, color } },
            { mark: { type: 'line', point: { filled: true, size: 60 }, strokeWidth: 1.5 }, encoding: { x, y: y('delta'), color } },
          ],
        },
      },
    ];
  });
}

/** One line chart per training metric (e.g. `train/loss`): a line per trial over the steps. */
export function curveChart(title: string, key: string, series: CurveSeries[]): Chart | undefined {
  const shown = chartLabels(series.map((s) => s.trial));
  const values = series.flatMap((s, i) => s.points.filter((p) => Number.isFinite(p.value)).map((p) => ({ trial: shown[i]!, step: p.step, value: p.value })));
  if (values.length === 0) return undefined;
  return {
    file: `${chartName(key)}.svg`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: `${title}: ${key}`, subtitle: 'per trial, as logged during training' },
      data: { values },
      width: 420,
      height: 240,
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'value', type: 'quantitative', title: key, scale: { zero: false } },
        color: { field: 'trial', type: 'nominal', title: 'trial', legend: { labelLimit: WHOLE } },
      },
    },
  };
}

/** Compiles a Vega-Lite spec and renders it to an SVG string without a browser. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
