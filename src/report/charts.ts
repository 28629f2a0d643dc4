/**
 * Report charts as Vega-Lite specs, rendered to SVG in Node by Vega's headless view (no browser
 * or canvas needed; text is measured by estimate). Vega is imported on first use so commands that
 * draw nothing do not pay for loading it.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportTable } from './report-table.ts';

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

/** One bar chart per metric: the mean per method in percent, error bars spanning the 95% CI. */
export function metricCharts(table: ReportTable): Chart[] {
  return table.metrics.map((metric, c) => {
    const values = table.rows
      .filter((r) => r.cells[c]!.summary)
      .map((r) => {
        const s = r.cells[c]!.summary!;
        return { method: r.label, mean: s.mean * 100, low: s.ci ? s.ci[0] * 100 : null, high: s.ci ? s.ci[1] * 100 : null, n: s.n };
      });
    const x = { field: 'method', type: 'nominal' as const, sort: null, title: null, axis: { labelAngle: -30, labelLimit: 220 } };
    const spec: TopLevelSpec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: `${table.title}: ${metric}`, subtitle: 'mean over seeds; error bars: 95% confidence interval' },
      data: { values },
      width: { step: 48 },
      height: 220,
      layer: [
        { mark: { type: 'bar', color: '#4c78a8' }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: `${metric} (%)` } } },
        {
          transform: [{ filter: 'datum.low != null' }],
          mark: { type: 'errorbar', ticks: true, color: '#222' },
          // the same title as the bars', or Vega-Lite joins the two into one axis title
          encoding: { x, y: { field: 'low', type: 'quantitative', title: `${metric} (%)` }, y2: { field: 'high' } },
        },
      ],
    };
    return { file: `${chartName(metric)}.svg`, spec };
  });
}

/** One line chart per training metric (e.g. `train/loss`): a line per trial over the steps. */
export function curveChart(title: string, key: string, series: CurveSeries[]): Chart | undefined {
  const values = series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.value)).map((p) => ({ trial: s.trial, step: p.step, value: p.value })));
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
        color: { field: 'trial', type: 'nominal', title: 'trial', legend: { labelLimit: 320 } },
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
