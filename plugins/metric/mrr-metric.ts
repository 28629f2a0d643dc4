import { injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Metric } from '../../src/extension-points/metric.ts';

const schema = z.object({}).strict();

/**
 * Reciprocal rank cut at k: 1 / (1-based rank of the first item with grade > 0) when that rank is
 * at most k, else 0. Equals trec_eval's `recip_rank` on the run cut to its first k items
 * (`trec_eval -M k`); averaged over queries it is MRR@k.
 */
@injectable()
export class MrrMetric implements Metric {
  label(k: number): string {
    return `mrr@${k}`;
  }

  score(ranked: ArrayLike<number>, relevant: Map<number, number>, k: number): number {
    const n = Math.min(k, ranked.length);
    for (let i = 0; i < n; i++) if ((relevant.get(ranked[i]!) ?? 0) > 0) return 1 / (i + 1);
    return 0;
  }
}

export default definePlugin({
  kind: 'metric',
  name: 'mrr',
  summary: 'mrr@k: reciprocal rank of the first relevant item within the top k (trec_eval recip_rank)',
  schema,
  implementation: MrrMetric,
});
