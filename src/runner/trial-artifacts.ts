import type { Trial } from '../config/experiment.ts';
import type { TrialConfig } from '../config/trial-config.ts';
import type { Evaluation } from '../eval/evaluate.ts';
import type { TestSet } from '../eval/test-sets.ts';
import { formatPerQuery, PER_QUERY_ARTIFACT } from '../eval/per-query-file.ts';
import { formatMetricCurves, METRIC_CURVES_ARTIFACT, type MetricCurvesFile } from '../eval/metric-curves.ts';
import { formatQrels, formatQueries, formatRun } from '../eval/trec-files.ts';

export interface CurvePoint {
  step: number;
  values: Record<string, number>;
}

/**
 * The files attached to a trial's run: TREC run files and qrels per test set (so any result can be
 * re-scored with trec_eval or `crops eval`), every metric's value per query (what `crops report`
 * tests differences on), the metric-at-cutoff curves (Recall@k over k) and the training curves as CSV.
 */
export function trialArtifacts(
  trial: Trial,
  cfg: TrialConfig,
  evaluation: Evaluation,
  sets: ReadonlyMap<string, TestSet>,
  curves: CurvePoint[] = [],
  /** the docno written for dense item `id`: the user's own id (see src/eval/external-ids.ts) */
  docno?: (itemId: number) => string,
  cutoffCurves?: MetricCurvesFile,
): Array<[string, string | Uint8Array]> {
  const files: Array<[string, string | Uint8Array]> = [];
  if (cfg.eval.writeRuns) {
    for (const [name, rankings] of evaluation.runs) {
      const set = sets.get(name);
      if (!set) continue;
      const names = { qids: set.qids, docno };
      files.push([`trec/${name}.run`, formatRun(set.queries, rankings, trial.id, names)]);
      files.push([`trec/${name}.qrels`, formatQrels(set.queries, set, names)]);
      files.push([`trec/${name}.queries.tsv`, formatQueries(set.queries, names)]);
    }
  }
  if (evaluation.perQuery.size > 0) files.push([PER_QUERY_ARTIFACT, formatPerQuery(evaluation, sets)]);
  if (cutoffCurves && Object.keys(cutoffCurves.curves).length > 0) files.push([METRIC_CURVES_ARTIFACT, formatMetricCurves(cutoffCurves)]);
  if (curves.length > 0) {
    const keys = [...new Set(curves.flatMap((c) => Object.keys(c.values)))];
    const rows = curves.map((c) => [c.step, ...keys.map((k) => c.values[k] ?? '')].join(','));
    files.push(['curves.csv', [['step', ...keys].join(','), ...rows].join('\n') + '\n']);
  }
  return files;
}
