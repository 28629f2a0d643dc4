import { injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Metric } from '../../src/extension-points/metric.ts';

const schema = z.object({}).strict();

/**
 * Recall at k, exactly trec_eval's `recall.k`: relevant items (grade > 0) in the first k of the
 * ranking divided by all of the query's relevant items, retrieved or not. A query with no
 * relevant item scores 0, as trec_eval reports it (and still counts it in the mean).
 * This is the paper's Recall@100 on the CT and QR sets.
 */
@injectable()
export class RecallMetric implements Metric {
  label(k: number): string {
    return `recall@${k}`;
  }

  score(ranked: ArrayLike<number>, relevant: Map<number, number>, k: number): number {
    let total = 0;
    for (const g of relevant.values()) if (g > 0) total++;
    if (total === 0) return 0;
    let found = 0;
    const n = Math.min(k, ranked.length);
    for (let i = 0; i < n; i++) if ((relevant.get(ranked[i]!) ?? 0) > 0) found++;
    return found / total;
  }
}

export default definePlugin({
  kind: 'metric',
  name: 'recall',
  summary: 'recall@k: share of relevant items in the top k (trec_eval recall.k)',
  schema,
  implementation: RecallMetric,
});
