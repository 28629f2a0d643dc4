import { injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Metric } from '../../src/extension-points/metric.ts';

const schema = z.object({}).strict();

/**
 * NDCG at k, exactly trec_eval's `ndcg_cut.k`: gain is the grade itself (linear, trec_eval's
 * default, not 2^g - 1), the item at 1-based rank r is discounted by log2(r + 1), and the ideal
 * DCG sorts all of the query's judged grades > 0 descending and cuts them at k. A query with no
 * relevant item scores 0. The paper reports NDCG@4 on a human-graded set (grades 0..3).
 */
@injectable()
export class NdcgMetric implements Metric {
  label(k: number): string {
    return `ndcg@${k}`;
  }

  score(ranked: ArrayLike<number>, relevant: Map<number, number>, k: number): number {
    const grades = [...relevant.values()].filter((g) => g > 0).sort((a, b) => b - a);
    let ideal = 0;
    for (let i = 0; i < Math.min(k, grades.length); i++) ideal += grades[i]! / Math.log2(i + 2);
    if (ideal === 0) return 0;
    let dcg = 0;
    const n = Math.min(k, ranked.length);
    for (let i = 0; i < n; i++) {
      const g = relevant.get(ranked[i]!) ?? 0;
      if (g > 0) dcg += g / Math.log2(i + 2);
    }
    return dcg / ideal;
  }
}

export default definePlugin({
  kind: 'metric',
  name: 'ndcg',
  summary: 'ndcg@k with linear gains and log2(rank+1) discount (trec_eval ndcg_cut.k)',
  schema,
  implementation: NdcgMetric,
});
