/**
 * Metric-at-cutoff curves (Recall@k for k = 1 … 1000, and the same for any other metric asked for),
 * computed from the rankings an evaluation already holds, so a trial's curve costs no extra search.
 * They are attached to the trial's run as `metric-curves.json`, and `crops report` draws one line
 * per method.
 *
 * Every (metric, set) pair of `eval.metrics` gets a curve over the cutoffs up to what its rankings
 * hold: the run depth for searched sets (`eval.runDepth`, default 1000), the judged items for
 * re-ranked ones. A value on the curve is the same number `metric@k/set` would give (same trec_eval
 * order, same mean over all the set's queries).
 */
import type { Metric } from '../extension-points/metric.ts';
import type { Ranking } from '../extension-points/retriever.ts';
import type { EvalSpec, Evaluation } from './evaluate.ts';
import type { TestSet } from './test-sets.ts';
import { rankingInTrecOrder } from './trec-order.ts';

export const METRIC_CURVES_ARTIFACT = 'metric-curves.json';

/** Cutoffs on a roughly logarithmic grid; the ones a user asked for are added. */
export const CURVE_CUTOFFS = [1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000];

export interface MetricCurve {
  cutoffs: number[];
  /** mean over the set's queries at each cutoff */
  values: number[];
}

export interface MetricCurvesFile {
  version: 1;
  /** `metric/set` (e.g. `recall/ct`) -> curve */
  curves: Record<string, MetricCurve>;
}

/** The curve key of a spec: `recall@100/ct` -> `recall/ct`. */
export function curveKey(spec: Pick<EvalSpec, 'metric' | 'set'>): string {
  return `${spec.metric}/${spec.set}`;
}

/**
 * The curves of every (metric, set) pair in `specs`, from `evaluation.runs`. Sets without queries
 * or rankings are left out.
 *
 * @param docno the docno of an item as the run files write it, which fixes trec_eval's tie order
 */
export function metricCurves(
  evaluation: Evaluation,
  sets: ReadonlyMap<string, TestSet>,
  specs: readonly EvalSpec[],
  metrics: ReadonlyMap<string, Metric>,
  docno?: (itemId: number) => string,
): MetricCurvesFile {
  const out: MetricCurvesFile = { version: 1, curves: {} };
  const ordered = new Map<string, Map<string, Ranking['itemIds']>>();
  for (const spec of specs) {
    const key = curveKey(spec);
    if (key in out.curves) continue;
    const set = sets.get(spec.set);
    const run = evaluation.runs.get(spec.set);
    const metric = metrics.get(spec.metric);
    if (!set || !run || !metric || set.queries.length === 0) continue;
    let lists = ordered.get(spec.set);
    if (!lists) {
      lists = new Map(set.queries.map((q) => [q, rankingInTrecOrder(run.get(q) ?? { itemIds: new Int32Array(0), scores: new Float32Array(0) }, docno).itemIds]));
      ordered.set(spec.set, lists);
    }
    const depth = Math.max(0, ...[...lists.values()].map((ids) => ids.length));
    const asked = specs.filter((s) => s.metric === spec.metric && s.set === spec.set).map((s) => s.k);
    const cutoffs = [...new Set([...CURVE_CUTOFFS.filter((k) => k <= depth), ...asked])].sort((a, b) => a - b);
    const values = cutoffs.map((k) => {
      let sum = 0;
      for (const q of set.queries) sum += metric.score(lists.get(q)!, set.byQuery.get(q) ?? new Map(), k);
      return sum / set.queries.length;
    });
    out.curves[key] = { cutoffs, values };
  }
  return out;
}

export function formatMetricCurves(file: MetricCurvesFile): string {
  return `${JSON.stringify(file)}\n`;
}

/** `metric/set` -> curve; throws on a malformed file. */
export function parseMetricCurves(text: string): Map<string, MetricCurve> {
  const file = JSON.parse(text) as Partial<MetricCurvesFile>;
  if (file.version !== 1 || typeof file.curves !== 'object' || file.curves === null) throw new Error(`not a ${METRIC_CURVES_ARTIFACT} file of version 1`);
  const out = new Map<string, MetricCurve>();
  for (const [key, curve] of Object.entries(file.curves)) {
    const ok = Array.isArray(curve?.cutoffs) && Array.isArray(curve.values) && curve.cutoffs.length === curve.values.length && curve.cutoffs.every((k) => Number.isInteger(k) && k > 0);
    if (!ok) throw new Error(`${METRIC_CURVES_ARTIFACT}: curve '${key}' needs equally long lists of positive integer cutoffs and values`);
    out.set(key, { cutoffs: curve.cutoffs, values: curve.values });
  }
  return out;
}
