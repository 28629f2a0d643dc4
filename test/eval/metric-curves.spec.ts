import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.ts';
import type { Item } from '../../src/extension-points/log-store.ts';
import { evaluate, parseEvalSpec, specKey } from '../../src/eval/evaluate.ts';
import { formatMetricCurves, metricCurves, parseMetricCurves } from '../../src/eval/metric-curves.ts';
import type { TestSet } from '../../src/eval/test-sets.ts';
import type { Metric } from '../../src/extension-points/metric.ts';
import type { Ranking, Retriever } from '../../src/extension-points/retriever.ts';
import { NdcgMetric } from '../../plugins/metric/ndcg-metric.ts';
import { RecallMetric } from '../../plugins/metric/recall-metric.ts';
import { cutoffCharts } from '../../src/report/charts.ts';
import { buildReportTable, type TrialRun } from '../../src/report/report-table.ts';

const N = 1500;

/** Scores from a seeded table, with coarse values so ties (and trec_eval's tie order) occur. */
class TableRetriever implements Retriever {
  constructor(private readonly scoreOf: (q: string, id: number) => number) {}
  async build(_items: Item[]): Promise<void> {}
  async search(queries: string[], k: number): Promise<Ranking[]> {
    return queries.map((q) => {
      const ids = Array.from({ length: N }, (_, i) => i).sort((a, b) => this.scoreOf(q, b) - this.scoreOf(q, a) || a - b);
      const top = ids.slice(0, Math.min(k, N));
      return { itemIds: Int32Array.from(top), scores: Float32Array.from(top, (i) => this.scoreOf(q, i)) };
    });
  }
  async scoreItems(queries: string[], itemIds: ArrayLike<number>[]): Promise<Float32Array[]> {
    return queries.map((q, i) => Float32Array.from(itemIds[i]!, (id) => this.scoreOf(q, id)));
  }
}

function randomSet(name: string, rng: Rng, queries: number, perQuery: number, grades: number): TestSet {
  const byQuery = new Map<string, Map<number, number>>();
  for (let q = 0; q < queries; q++) {
    const items = new Map<number, number>();
    while (items.size < perQuery) items.set(rng.int(N), grades === 1 ? 1 : rng.int(grades + 1));
    byQuery.set(`q${q}`, items);
  }
  return { name, byQuery, queries: [...byQuery.keys()].sort() };
}

const METRICS = new Map<string, Metric>([
  ['recall', new RecallMetric()],
  ['ndcg', new NdcgMetric()],
]);

describe('metric-at-cutoff curves', () => {
  const rng = new Rng(11);
  const table = new Map<string, number>();
  const scoreOf = (q: string, id: number) => {
    const key = `${q}|${id}`;
    if (!table.has(key)) table.set(key, Math.round(rng.next() * 200) / 200);
    return table.get(key)!;
  };
  const sets = new Map<string, TestSet>([
    ['ct', randomSet('ct', new Rng(3), 25, 120, 1)],
    ['judged', randomSet('judged', new Rng(4), 10, 12, 3)],
  ]);
  const specs = ['recall@100/ct', 'recall@7/ct', 'ndcg@4/judged'].map(parseEvalSpec);

  it('gives at every cutoff the value evaluate gives for metric@k, up to the run depth', async () => {
    const retriever = new TableRetriever(scoreOf);
    const evaluation = await evaluate(retriever, sets, specs, METRICS, { runDepth: 1000 });
    const file = metricCurves(evaluation, sets, specs, METRICS);
    expect(Object.keys(file.curves)).toEqual(['recall/ct', 'ndcg/judged']);
    const recall = file.curves['recall/ct']!;
    expect(recall.cutoffs).toEqual([1, 2, 3, 5, 7, 10, 20, 30, 50, 100, 200, 300, 500, 1000]);
    const direct = await evaluate(retriever, sets, recall.cutoffs.map((k) => ({ metric: 'recall', k, set: 'ct' })), METRICS, { runDepth: 1000 });
    recall.cutoffs.forEach((k, i) => expect(recall.values[i]).toBe(direct.values[specKey({ metric: 'recall', k, set: 'ct' })]));
    expect(recall.values[recall.cutoffs.indexOf(100)]).toBe(evaluation.values['recall@100/ct']);
    for (let i = 1; i < recall.values.length; i++) expect(recall.values[i]!).toBeGreaterThanOrEqual(recall.values[i - 1]!);
    expect(recall.values.at(-1)!).toBeGreaterThan(recall.values[0]!);
    // the judged set is re-ranked: its curve stops at the judged items per query
    expect(file.curves['ndcg/judged']!.cutoffs).toEqual([1, 2, 3, 4, 5, 10]);
    expect(file.curves['ndcg/judged']!.values[3]).toBe(evaluation.values['ndcg@4/judged']);
  });

  it('round-trips through its artifact and refuses a malformed one', async () => {
    const evaluation = await evaluate(new TableRetriever(scoreOf), sets, specs, METRICS, { runDepth: 200 });
    const file = metricCurves(evaluation, sets, specs, METRICS);
    expect(file.curves['recall/ct']!.cutoffs.at(-1)).toBe(200);
    const back = parseMetricCurves(formatMetricCurves(file));
    expect(back.get('recall/ct')).toEqual(file.curves['recall/ct']);
    expect(() => parseMetricCurves('{"version":1,"curves":{"recall/ct":{"cutoffs":[1,2],"values":[0.1]}}}')).toThrow(/equally long/);
    expect(() => parseMetricCurves('{"version":2}')).toThrow(/version 1/);
  });

  it('draws one line per method, averaged over its runs, on a log axis', () => {
    const run = (trialId: string, seed: number, values: number[]): TrialRun => ({
      trialId,
      runId: trialId,
      seed,
      metrics: { 'recall_at_100-ct': values[1]! },
      cutoffCurves: new Map([['recall/ct', { cutoffs: [10, 100], values }]]),
    });
    const table = buildReportTable(
      [run('m=a,seed=1', 1, [0.2, 0.4]), run('m=a,seed=2', 2, [0.4, 0.6]), run('m=b,seed=1', 1, [0.1, 0.9]), { trialId: 'm=c,seed=1', runId: 'c', seed: 1, metrics: { 'recall_at_100-ct': 0.5 } }],
      { title: 't', metrics: ['recall@100/ct'] },
    );
    const [chart] = cutoffCharts(table);
    expect(chart!.file).toBe('recall_at_k-ct.svg');
    const spec = chart!.spec as unknown as { data: { values: Array<{ method: string; k: number; value: number }> }; encoding: { x: { scale: { type: string } } } };
    expect(spec.encoding.x.scale.type).toBe('log');
    const byMethod = (m: string) => spec.data.values.filter((v) => v.method === m).map((v) => [v.k, Number(v.value.toFixed(6))]);
    expect(byMethod('m=a')).toEqual([[10, 30], [100, 50]]);
    expect(byMethod('m=b')).toEqual([[10, 10], [100, 90]]);
    expect(byMethod('m=c')).toEqual([]);
  });
});
