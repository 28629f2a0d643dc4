import { trialGroup } from '../config/report-check.ts';
import { didYouMean } from '../core/did-you-mean.ts';
import type { MetricCurve } from '../eval/metric-curves.ts';
import { metricKey } from '../tracking/mlflow-keys.ts';
import { bootstrapMeanCi, holmAdjust, pairedRandomizationTest } from './significance.ts';
import { summarise, type Summary } from './stats.ts';
import { trainingLength, type TrainingLength } from './convergence.ts';

export { trialGroup };

/** One finished trial run as the report needs it; metrics are keyed by their MLflow key. */
export interface TrialRun {
  trialId: string;
  runId: string;
  seed?: number;
  metrics: Record<string, number>;
  /** `metric@k/set` -> query key -> value, from the run's per-query artifact (absent for older runs) */
  perQuery?: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** `metric/set` -> metric at each cutoff, from the run's metric-curves artifact (absent for older runs) */
  cutoffCurves?: ReadonlyMap<string, MetricCurve>;
  /** the run's step cap (`train.steps`), when its params recorded it */
  stepCap?: number;
  /** the run's dev scores by step, when it trained under `train.select` */
  devCurve?: ReadonlyArray<{ step: number; value: number }>;
}

/** How differences are tested over queries; every field has a default. */
export interface SignificanceOptions {
  /** family-wise error rate per column (default 0.05) */
  alpha?: number;
  /** random sign assignments of the paired test (default 10000) */
  permutations?: number;
  /** resamples of the query bootstrap (default 2000: enough for a 95% percentile interval, and the bootstraps dominate the time a report takes) */
  bootstrap?: number;
}

export interface ReportOptions {
  title: string;
  /** columns as `metric@k/set` labels */
  metrics: string[];
  /** trial-group id or row label of the row the others are compared with */
  baseline?: string;
  /** trial-group id -> row label */
  labels?: Record<string, string>;
  significance?: SignificanceOptions;
  /** appended to the warning about rows that share no query with the baseline: where they are compared instead */
  unpairedHint?: string;
}

/** The paired test of a row against the baseline in one column. */
export interface CellTest {
  /** queries paired (those both rows were scored on) */
  queries: number;
  /** two-sided p-value of the paired randomization test */
  p: number;
  /** p after Holm's correction over the column's rows */
  pHolm: number;
  /** pHolm < alpha: marked † */
  significant: boolean;
  /** percentile bootstrap interval of the mean paired difference (row − baseline) */
  deltaCi: [number, number];
}

export interface ReportCell {
  /** absent when no run of the row logged this metric */
  summary?: Summary;
  best: boolean;
  /** difference to the baseline's mean (same unit as the metric) and relative to it */
  delta?: { diff: number; relative?: number };
  /** the row's per-query values (mean over its seeds), when every run of the row logged them */
  queryValues?: Map<string, number>;
  /** percentile bootstrap interval of the mean over the row's queries */
  queryCi?: [number, number];
  /** the interval the tables show: the seeds' t interval, or the query bootstrap one where wider */
  shownCi?: { ci: [number, number]; source: 'seeds' | 'queries' };
  test?: CellTest;
}

export interface ReportRow {
  /** the trial id without its `seed=N` part: every seed of one ablation cell */
  group: string;
  label: string;
  runs: TrialRun[];
  cells: ReportCell[];
  /** how long the row's runs trained and whether the step cap stopped any (with dev selection) */
  training?: TrainingLength;
}

export interface ReportTable {
  title: string;
  metrics: string[];
  rows: ReportRow[];
  baseline?: ReportRow;
  /** problems worth telling the user that do not stop the report (unknown labels, missing baseline) */
  warnings: string[];
  /** settings of the tests over queries, with defaults filled in */
  significance: Required<SignificanceOptions>;
  /**
   * per column: whether "best" was decided by the paired test against the runner-up (both rows
   * had per-query values) rather than by the mean alone
   */
  bestTested: boolean[];
}

const width = (ci: [number, number]) => ci[1] - ci[0];

/**
 * Per query, the mean over the row's runs that scored it; undefined unless every run logged the
 * metric per query. Runs on one test set share their queries; runs on different worlds (another
 * dataset seed) bring their own, so the row's queries are the union over its worlds.
 */
function rowQueryValues(runs: TrialRun[], metric: string): Map<string, number> | undefined {
  const maps = runs.map((r) => r.perQuery?.get(metric));
  if (maps.length === 0 || maps.some((m) => m === undefined || m.size === 0)) return undefined;
  const sums = new Map<string, { sum: number; count: number }>();
  for (const m of maps) {
    for (const [key, v] of m!) {
      const acc = sums.get(key) ?? sums.set(key, { sum: 0, count: 0 }).get(key)!;
      acc.sum += v;
      acc.count++;
    }
  }
  return new Map([...sums].map(([key, { sum, count }]) => [key, sum / count]));
}

/** The values of two rows on the queries both have, in the same order. */
function paired(a: Map<string, number>, b: Map<string, number>): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined) continue;
    x.push(v);
    y.push(w);
  }
  return { x, y };
}

/**
 * Groups runs into method rows (in order of first appearance), summarises each metric over the
 * seeds of a row, marks the best mean per column and the difference to the baseline row. All
 * metrics are taken as higher-is-better, which holds for recall, NDCG and MRR.
 */
export function buildReportTable(runs: TrialRun[], opts: ReportOptions): ReportTable {
  const warnings: string[] = [];
  const sig: Required<SignificanceOptions> = { alpha: 0.05, permutations: 10_000, bootstrap: 2_000, ...opts.significance };
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
    training: trainingLength(list),
    cells: opts.metrics.map((m): ReportCell => {
      const values = list.map((r) => r.metrics[metricKey(m)]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      const cell: ReportCell = { summary: values.length > 0 ? summarise(values) : undefined, best: false };
      const queryValues = cell.summary ? rowQueryValues(list, m) : undefined;
      if (queryValues) {
        cell.queryValues = queryValues;
        cell.queryCi = bootstrapMeanCi([...queryValues.values()], { resamples: sig.bootstrap, seed: `ci|${m}|${group}` });
      }
      const seedCi = cell.summary?.ci;
      if (cell.queryCi && (!seedCi || width(cell.queryCi) > width(seedCi))) cell.shownCi = { ci: cell.queryCi, source: 'queries' };
      else if (seedCi) cell.shownCi = { ci: seedCi, source: 'seeds' };
      return cell;
    }),
  }));

  const bestTested = opts.metrics.map(() => false);
  opts.metrics.forEach((m, c) => {
    const ranked = rows.filter((r) => r.cells[c]!.summary !== undefined).sort((a, b) => b.cells[c]!.summary!.mean - a.cells[c]!.summary!.mean);
    if (ranked.length === 0 && rows.length > 0) warnings.push(`metric ${m} was not logged by any trial of this sweep (key ${metricKey(m)})`);
    if (ranked.length < 2) return;
    const [top, second] = [ranked[0]!.cells[c]!, ranked[1]!.cells[c]!];
    if (top.queryValues && second.queryValues) {
      // best only when the paired test separates it from the runner-up (a tie never is)
      bestTested[c] = true;
      const { x, y } = paired(top.queryValues, second.queryValues);
      if (x.length > 0 && top.summary!.mean > second.summary!.mean) {
        top.best = pairedRandomizationTest(x, y, { permutations: sig.permutations, seed: `best|${m}|${ranked[0]!.group}|${ranked[1]!.group}` }).p < sig.alpha;
      }
      return;
    }
    const best = top.summary!.mean;
    for (const r of rows) if (r.cells[c]!.summary?.mean === best) r.cells[c]!.best = true;
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
    const unpaired = new Map<string, string[]>();
    opts.metrics.forEach((m, c) => testColumn(rows, baseline, m, c, sig, warnings, unpaired));
    if (unpaired.size > 0) warnings.push(`${unpairedWarning(unpaired, opts.metrics.length)}${opts.unpairedHint ? `; ${opts.unpairedHint}` : ''}`);
  }
  return { title: opts.title, metrics: opts.metrics, rows, baseline, warnings, significance: sig, bestTested };
}

/**
 * One line for every row that shares no query with the baseline (another world's test sets, as in a
 * sensitivity map over a world knob), rather than one per row and metric: naming each metric only
 * where some were paired.
 */
function unpairedWarning(unpaired: Map<string, string[]>, metricCount: number): string {
  const rows = [...unpaired].map(([label, metrics]) => (metrics.length === metricCount ? label : `${label} (${metrics.join(', ')})`));
  const which = rows.length === 1 ? `${rows[0]} shares` : `${rows.length} rows share`;
  return `${which} no query with the baseline (different test sets, e.g. another world), so no difference of theirs is tested${rows.length === 1 ? '' : `: ${rows.join('; ')}`}`;
}

/**
 * Tests each row against the baseline in column `c` over the queries both were scored on: the
 * paired randomization test on per-query values (each row's mean over its seeds), Holm's
 * correction over the column's tested rows, and the paired bootstrap interval of the difference.
 */
function testColumn(rows: ReportRow[], baseline: ReportRow, metric: string, c: number, sig: Required<SignificanceOptions>, warnings: string[], unpaired: Map<string, string[]>): void {
  const base = baseline.cells[c]!.queryValues;
  if (!base) return;
  const tested: Array<{ cell: ReportCell; queries: number; p: number; deltaCi: [number, number] }> = [];
  for (const r of rows) {
    const cell = r.cells[c]!;
    if (r === baseline || !cell.queryValues) continue;
    const { x, y } = paired(cell.queryValues, base);
    if (x.length === 0) {
      unpaired.set(r.label, [...(unpaired.get(r.label) ?? []), metric]);
      continue;
    }
    if (x.length < Math.max(cell.queryValues.size, base.size)) warnings.push(`${metric}: ${r.label} is tested on the ${x.length} queries it shares with the baseline (of ${cell.queryValues.size} and ${base.size})`);
    const seed = `${metric}|${r.group}|${baseline.group}`;
    const { p } = pairedRandomizationTest(x, y, { permutations: sig.permutations, seed: `test|${seed}` });
    const deltaCi = bootstrapMeanCi(x.map((v, i) => v - y[i]!), { resamples: sig.bootstrap, seed: `delta|${seed}` });
    tested.push({ cell, queries: x.length, p, deltaCi });
  }
  const adjusted = holmAdjust(tested.map((t) => t.p));
  tested.forEach((t, i) => {
    t.cell.test = { queries: t.queries, p: t.p, pHolm: adjusted[i]!, significant: adjusted[i]! < sig.alpha, deltaCi: t.deltaCi };
  });
}
