import { trialGroup } from '../config/report-check.ts';
import { didYouMean } from '../core/did-you-mean.ts';
import { metricKey } from '../tracking/mlflow-keys.ts';
import { summarise, type Summary } from './stats.ts';

export { trialGroup };

/** One finished trial run as the report needs it; metrics are keyed by their MLflow key. */
export interface TrialRun {
  trialId: string;
  runId: string;
  seed?: number;
  metrics: Record<string, number>;
}

export interface ReportOptions {
  title: string;
  /** columns as `metric@k/set` labels */
  metrics: string[];
  /** trial-group id or row label of the row the others are compared with */
  baseline?: string;
  /** trial-group id -> row label */
  labels?: Record<string, string>;
}

export interface ReportCell {
  /** absent when no run of the row logged this metric */
  summary?: Summary;
  best: boolean;
  /** difference to the baseline's mean (same unit as the metric) and relative to it */
  delta?: { diff: number; relative?: number };
}

export interface ReportRow {
  /** the trial id without its `seed=N` part: every seed of one ablation cell */
  group: string;
  label: string;
  runs: TrialRun[];
  cells: ReportCell[];
}

export interface ReportTable {
  title: string;
  metrics: string[];
  rows: ReportRow[];
  baseline?: ReportRow;
  /** problems worth telling the user that do not stop the report (unknown labels, missing baseline) */
  warnings: string[];
}

/**
 * Groups runs into method rows (in order of first appearance), summarises each metric over the
 * seeds of a row, marks the best mean per column and the difference to the baseline row. All
 * metrics are taken as higher-is-better, which holds for recall, NDCG and MRR.
 */
export function buildReportTable(runs: TrialRun[], opts: ReportOptions): ReportTable {
  const warnings: string[] = [];
  const groups = new Map<string, TrialRun[]>();
  for (const r of runs) {
    const g = trialGroup(r.trialId, r.seed);
    const list = groups.get(g) ?? groups.set(g, []).get(g)!;
    list.push(r);
  }
  const labels = opts.labels ?? {};
  for (const key of Object.keys(labels)) {
    if (groups.has(key)) continue;
    const guess = didYouMean(key, [...groups.keys()]);
    warnings.push(`report.labels: no trial group '${key}' in this sweep${guess ? `; did you mean '${guess}'?` : ''}`);
  }
  const rows: ReportRow[] = [...groups].map(([group, list]) => ({
    group,
    label: labels[group] ?? group,
    runs: list,
    cells: opts.metrics.map((m) => {
      const values = list.map((r) => r.metrics[metricKey(m)]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      return { summary: values.length > 0 ? summarise(values) : undefined, best: false };
    }),
  }));

  opts.metrics.forEach((m, c) => {
    const means = rows.map((r) => r.cells[c]!.summary?.mean).filter((v): v is number => v !== undefined);
    if (means.length === 0 && rows.length > 0) warnings.push(`metric ${m} was not logged by any trial of this sweep (key ${metricKey(m)})`);
    if (means.length < 2) return;
    const top = Math.max(...means);
    for (const r of rows) if (r.cells[c]!.summary?.mean === top) r.cells[c]!.best = true;
  });

  let baseline: ReportRow | undefined;
  if (opts.baseline !== undefined) {
    baseline = rows.find((r) => r.group === opts.baseline) ?? rows.find((r) => r.label === opts.baseline);
    if (!baseline) {
      const guess = didYouMean(opts.baseline, rows.flatMap((r) => [r.group, r.label]));
      warnings.push(`report.baseline: no row '${opts.baseline}' in this sweep${guess ? `; did you mean '${guess}'?` : ''}; differences are left out`);
    }
  }
  if (baseline) {
    for (const r of rows) {
      if (r === baseline) continue;
      r.cells.forEach((cell, c) => {
        const base = baseline.cells[c]!.summary?.mean;
        if (cell.summary === undefined || base === undefined) return;
        const diff = cell.summary.mean - base;
        cell.delta = { diff, relative: base !== 0 ? diff / Math.abs(base) : undefined };
      });
    }
  }
  return { title: opts.title, metrics: opts.metrics, rows, baseline, warnings };
}
