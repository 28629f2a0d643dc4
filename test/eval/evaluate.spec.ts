import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CropsError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import type { Item } from '../../src/extension-points/log-store.ts';
import { evaluate, parseEvalSpec, specKey, type EvalSpec } from '../../src/eval/evaluate.ts';
import type { TestSet } from '../../src/eval/test-sets.ts';
import { evaluateRun } from '../../src/eval/trec-eval.ts';
import { parseQrels, parseRun, writeTrecFiles } from '../../src/eval/trec-files.ts';
import type { Metric } from '../../src/extension-points/metric.ts';
import type { Ranking, Retriever } from '../../src/extension-points/retriever.ts';
import { MrrMetric } from '../../plugins/metric/mrr-metric.ts';
import { NdcgMetric } from '../../plugins/metric/ndcg-metric.ts';
import { RecallMetric } from '../../plugins/metric/recall-metric.ts';

/** Host-only retriever over a fixed score table, ordered as the Retriever contract says. */
class TableRetriever implements Retriever {
  searched: Array<{ n: number; k: number }> = [];
  constructor(
    readonly n: number,
    private readonly scoreOf: (q: string, id: number) => number,
  ) {}
  async build(_items: Item[]): Promise<void> {}
  async search(queries: string[], k: number): Promise<Ranking[]> {
    this.searched.push({ n: queries.length, k });
    return queries.map((q) => {
      const ids = Array.from({ length: this.n }, (_, i) => i).sort((a, b) => this.scoreOf(q, b) - this.scoreOf(q, a) || a - b);
      const top = ids.slice(0, Math.min(k, this.n));
      return { itemIds: Int32Array.from(top), scores: Float32Array.from(top, (i) => this.scoreOf(q, i)) };
    });
  }
}
class ScoringRetriever extends TableRetriever {
  constructor(n: number, private readonly f: (q: string, id: number) => number) {
    super(n, f);
  }
  async scoreItems(queries: string[], itemIds: ArrayLike<number>[]): Promise<Float32Array[]> {
    return queries.map((q, i) => Float32Array.from(itemIds[i]!, (id) => this.f(q, id)));
  }
}

function set(name: string, byQuery: Record<string, Record<number, number>>): TestSet {
  const m = new Map(Object.entries(byQuery).map(([q, items]) => [q, new Map(Object.entries(items).map(([id, g]) => [Number(id), g]))]));
  return { name, byQuery: m, queries: [...m.keys()].sort() };
}

const METRICS = new Map<string, Metric>([
  ['recall', new RecallMetric()],
  ['ndcg', new NdcgMetric()],
  ['mrr', new MrrMetric()],
]);
const L3 = Math.log2(3);

// item scores per query; items 1 and 10 tie for 'q1'
const SCORES: Record<string, number[]> = {
  q1: [0.9, 0.5, 0.8, 0.3, 0.6, 0.0, 0.1, 0.1, 0.1, 0.1, 0.5, 0.1],
  q2: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.0, 0.0],
};
const scoreOf = (q: string, id: number) => SCORES[q]![id]!;

describe('evaluate', () => {
  const sets = new Map<string, TestSet>([
    ['ct', set('ct', { q1: { 2: 1, 4: 1, 5: 1 }, q2: { 9: 1 } })],
    ['judged', set('judged', { q1: { 0: 0, 1: 0, 3: 2, 10: 3 }, q2: { 0: 1, 11: 0 } })],
    ['qr', set('qr', {})],
  ]);

  it('ranks the corpus for ct, re-ranks judged items for judged, and averages over queries', async () => {
    const r = new ScoringRetriever(12, scoreOf);
    const specs: EvalSpec[] = ['recall@2/ct', 'recall@3/ct', 'mrr@10/ct', 'ndcg@2/judged', 'ndcg@4/judged'].map(parseEvalSpec);
    const out = await evaluate(r, sets, specs, METRICS);
    // q1 ranks 0,2,4,1|10,... : relevant 2,4 in the top 3, 5 last; q2 ranks 9 first
    expect(out.values['recall@2/ct']).toBeCloseTo((1 / 3 + 1) / 2, 15);
    expect(out.values['recall@3/ct']).toBeCloseTo((2 / 3 + 1) / 2, 15);
    expect(out.values['mrr@10/ct']).toBeCloseTo((1 / 2 + 1) / 2, 15);
    expect(r.searched).toEqual([{ n: 2, k: 10 }]); // one search at the deepest cutoff of the set
    // judged q1 (retriever order): 0 (0.9), 1 (0.5), 10 (0.5), 3 (0.3); trec_eval order puts '10' before '1'
    expect(Array.from(out.runs.get('judged')!.get('q1')!.itemIds)).toEqual([0, 1, 10, 3]);
    const q1ndcg2 = 3 / L3 / (3 + 2 / L3);
    const q1ndcg4 = (3 / L3 + 2 / Math.log2(5)) / (3 + 2 / L3);
    // judged q2: 0 (0.1) before 11 (0.0): perfect
    expect(out.perQuery.get('ndcg@2/judged')!.get('q1')).toBeCloseTo(q1ndcg2, 15);
    expect(out.values['ndcg@2/judged']).toBeCloseTo((q1ndcg2 + 1) / 2, 15);
    expect(out.values['ndcg@4/judged']).toBeCloseTo((q1ndcg4 + 1) / 2, 15);
    expect(out.runs.has('qr')).toBe(false);
    expect(out.warnings).toEqual([]);
  });

  it('falls back to a full-depth search when the retriever cannot score given items', async () => {
    const specs = [parseEvalSpec('ndcg@4/judged'), parseEvalSpec('ndcg@1/judged')];
    const withScores = await evaluate(new ScoringRetriever(12, scoreOf), sets, specs, METRICS);
    const plain = new TableRetriever(12, scoreOf);
    const fallback = await evaluate(plain, sets, specs, METRICS, { corpusSize: 12 });
    expect(fallback.values).toEqual(withScores.values);
    expect(plain.searched).toEqual([{ n: 2, k: 12 }]);
  });

  it('batches queries, reports progress, and scores a query with an empty ranking as 0', async () => {
    const three = new Map([['ct', set('ct', { a: { 1: 1 }, b: { 2: 1 }, c: { 3: 1 } })]]);
    const r = new TableRetriever(4, (q, id) => (q === 'c' ? 0 : id === { a: 1, b: 2 }[q] ? 1 : 0));
    const origSearch = r.search.bind(r);
    r.search = async (qs, k) => (await origSearch(qs, k)).map((x, i) => (qs[i] === 'c' ? { itemIds: new Int32Array(0), scores: new Float32Array(0) } : x));
    const progress: number[] = [];
    const out = await evaluate(r, three, [parseEvalSpec('recall@1/ct')], METRICS, { queryBatch: 2, onProgress: (_s, done) => progress.push(done) });
    expect(out.values['recall@1/ct']).toBeCloseTo(2 / 3, 15);
    expect([...out.perQuery.get('recall@1/ct')!]).toEqual([['a', 1], ['b', 1], ['c', 0]]);
    expect(progress).toEqual([2, 3]);
  });

  it('warns about a set without queries instead of reporting a number', async () => {
    const out = await evaluate(new TableRetriever(12, scoreOf), sets, [parseEvalSpec('recall@100/qr')], METRICS);
    expect(out.values).toEqual({});
    expect(out.warnings[0]).toMatch(/'qr' has no queries/);
  });

  it('rejects unknown sets and metrics with the valid names', async () => {
    const r = new TableRetriever(12, scoreOf);
    await expect(evaluate(r, sets, [parseEvalSpec('recall@10/judgd')], METRICS)).rejects.toThrow(/unknown test set 'judgd'.*did you mean 'judged'/);
    await expect(evaluate(r, sets, [parseEvalSpec('recal@10/ct')], METRICS)).rejects.toThrow(CropsError);
    expect(() => parseEvalSpec('recall@0/ct')).toThrow(/k > 0/);
    expect(specKey({ metric: 'ndcg', k: 4, set: 'judged' })).toBe('ndcg@4/judged');
  });

  it('gives the values trec_eval -c computes on the run and qrels files it writes', async () => {
    const rng = new Rng(11);
    const n = 60;
    const table = new Map<string, number[]>();
    const byQuery: Record<string, Record<number, number>> = {};
    const judged: Record<string, Record<number, number>> = {};
    for (let q = 0; q < 25; q++) {
      const query = `query ${q}`;
      table.set(query, Array.from({ length: n }, () => rng.int(8) / 8)); // coarse: many ties
      byQuery[query] = Object.fromEntries(Array.from({ length: 1 + rng.int(6) }, () => [rng.int(n), 1]));
      judged[query] = Object.fromEntries(Array.from({ length: 2 + rng.int(8) }, () => [rng.int(n), rng.int(4)]));
    }
    judged['query 0'] = { 3: 2, 4: 0 };
    const many = new Map([
      ['ct', set('ct', byQuery)],
      ['judged', set('judged', judged)],
    ]);
    const r = new ScoringRetriever(n, (q, id) => table.get(q)![id]!);
    const specs = ['recall@5/ct', 'recall@20/ct', 'ndcg@10/ct', 'ndcg@4/judged', 'ndcg@2/judged', 'recall@3/judged'].map(parseEvalSpec);
    const out = await evaluate(r, many, specs, METRICS);
    const dir = await mkdtemp(join(tmpdir(), 'crops-eval-'));
    for (const [name, s] of many) {
      const paths = await writeTrecFiles(dir, s, out.runs.get(name)!, 'test run');
      const te = evaluateRun(parseRun(await readFile(paths.run, 'utf8')), parseQrels(await readFile(paths.qrels, 'utf8')), ['recall.3,5,20', 'ndcg_cut.2,4,10'], { complete: true });
      for (const spec of specs.filter((x) => x.set === name)) {
        const trecName = spec.metric === 'recall' ? `recall_${spec.k}` : `ndcg_cut_${spec.k}`;
        expect(out.values[specKey(spec)], specKey(spec)).toBeCloseTo(te.all[trecName]!, 14);
      }
    }
  });
});
