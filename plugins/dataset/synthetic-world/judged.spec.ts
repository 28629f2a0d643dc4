import { describe, expect, it } from 'vitest';
import { hashString } from '../../../src/core/rng.ts';
import { evaluate } from '../../../src/eval/evaluate.ts';
import { buildTestSets, rerankedSets } from '../../../src/eval/test-sets.ts';
import type { Item } from '../../../src/extension-points/log-store.ts';
import type { Ranking, Retriever } from '../../../src/extension-points/retriever.ts';
import { NdcgMetric } from '../../metric/ndcg-metric.ts';
import { SyntheticWorldDataset, SyntheticWorldParams } from '../synthetic-world-dataset.ts';
import type { World } from './world.ts';

const SMALL = { items: 800, users: 300, sessionsPerDay: 400 };
const generate = (judgedPairs?: 'all-relevant' | 'sampled') => new SyntheticWorldDataset(SyntheticWorldParams.parse({ ...SMALL, judgedPairs })).generate();

/** Distinct scores that follow the true grade loosely, so rankings are neither perfect nor random. */
function score(world: World, query: string, itemId: number, gradeWeight = 1): number {
  return gradeWeight * world.trueGrade(query, itemId) + (hashString(`${query}\u0000${itemId}`) % 100_000) / 50_000;
}

/** Ranks the whole corpus by `score`; `scoreItems` is left out, so re-ranking would go through `search`. */
class GradeNoiseRetriever implements Retriever {
  private items: Item[] = [];
  constructor(
    private readonly world: World,
    private readonly gradeWeight = 1,
  ) {}
  async build(items: Item[]): Promise<void> {
    this.items = items;
  }
  async search(queries: string[], k: number): Promise<Ranking[]> {
    return queries.map((q) => {
      const scored = this.items.map((it) => ({ id: it.id, s: score(this.world, q, it.id, this.gradeWeight) })).sort((a, b) => b.s - a.s);
      const top = scored.slice(0, Math.min(k, scored.length));
      return { itemIds: Int32Array.from(top, (x) => x.id), scores: Float32Array.from(top, (x) => x.s) };
    });
  }
}

describe('synthetic-world judged set', () => {
  it('lists every item with a true grade above 0 for each judged query, and keeps the sampled pool', () => {
    const g = generate();
    const byQuery = new Map<string, Map<number, number>>();
    for (const j of g.store.judgments) {
      if (!byQuery.has(j.query)) byQuery.set(j.query, new Map());
      byQuery.get(j.query)!.set(j.itemId, j.grade);
    }
    expect([...byQuery.keys()].sort()).toEqual(g.judged.queries);
    for (const q of g.judged.queries) {
      const relevant = g.world.items.filter((it) => g.world.trueGrade(q, it.id) > 0).map((it) => it.id);
      const listed = [...byQuery.get(q)!].filter(([, grade]) => grade > 0).map(([id]) => id);
      expect(listed.sort((a, b) => a - b)).toEqual(relevant);
    }
    for (const j of g.judged.pool) expect(byQuery.get(j.query)!.get(j.itemId)).toBe(j.grade);
    expect(g.store.judgmentsComplete).toBe(true);
    // the sampled mode writes exactly the pool and the same judged queries
    const sampled = generate('sampled');
    expect(sampled.store.judgments).toEqual(g.judged.pool);
    expect(sampled.store.judgmentsComplete).toBeUndefined();
  });

  it('scores NDCG@4 over the whole corpus exactly as a brute-force count from the world grades', async () => {
    const g = generate();
    const sets = buildTestSets(g.store);
    const retriever = new GradeNoiseRetriever(g.world);
    await retriever.build(g.store.items);
    const spec = { metric: 'ndcg', k: 4, set: 'judged' };
    const metrics = new Map([['ndcg', new NdcgMetric()]]);
    expect(rerankedSets(g.store)).toEqual([]);
    const got = await evaluate(retriever, sets, [spec], metrics, { rerankSets: rerankedSets(g.store) });

    const gain = (grades: number[]) => grades.slice(0, 4).reduce((sum, grade, r) => sum + grade / Math.log2(r + 2), 0);
    let sum = 0;
    let counted = 0;
    for (const q of g.judged.queries) {
      const grades = g.world.items.map((it) => g.world.trueGrade(q, it.id));
      if (!grades.some((x) => x > 0)) continue; // queries without a relevant item are left out of the set
      const ranked = g.world.items.map((it) => it.id).sort((a, b) => score(g.world, q, b) - score(g.world, q, a));
      sum += gain(ranked.map((id) => grades[id]!)) / gain([...grades].sort((a, b) => b - a));
      counted++;
    }
    expect(sets.get('judged')!.queries.length).toBe(counted);
    expect(got.values['ndcg@4/judged']).toBeCloseTo(sum / counted, 10);

    // a retriever blind to relevance: re-ranking ~10 pooled items (about 40% relevant) still scores
    // well, ranking the corpus does not
    const blind = new GradeNoiseRetriever(g.world, 0);
    await blind.build(g.store.items);
    const corpus = (await evaluate(blind, sets, [spec], metrics, { rerankSets: rerankedSets(g.store) })).values['ndcg@4/judged']!;
    const pool = generate('sampled');
    expect(rerankedSets(pool.store)).toEqual(['judged']);
    const reranked = (await evaluate(blind, buildTestSets(pool.store), [spec], metrics, { rerankSets: rerankedSets(pool.store) })).values['ndcg@4/judged']!;
    expect(reranked).toBeGreaterThan(corpus + 0.2);
  });
});
