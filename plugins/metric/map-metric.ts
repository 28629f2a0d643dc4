import { injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Metric } from '../../src/extension-points/metric.ts';

const schema = z.object({}).strict();

/**
 * Average precision cut at k, exactly trec_eval's `map_cut.k`: the precision at the rank of each
 * relevant item (grade > 0) within the first k, summed and divided by all of the query's relevant
 * items, retrieved or not (not by min(k, relevant), which some toolkits use). A query with no
 * relevant item scores 0. Averaged over queries it is MAP@k.
 */
@injectable()
export class MapMetric implements Metric {
  label(k: number): string {
    return `map@${k}`;
  }

  score(ranked: ArrayLike<number>, relevant: Map<number, number>, k: number): number {
    let total = 0;
    for (const g of relevant.values()) if (g > 0) total++;
    if (total === 0) return 0;
    let hits = 0;
    let sum = 0;
    const n = Math.min(k, ranked.length);
    for (let i = 0; i < n; i++) if ((relevant.get(ranked[i]!) ?? 0) > 0) sum += ++hits / (i + 1);
    return sum / total;
  }
}

export default definePlugin({
  kind: 'metric',
  name: 'map',
  summary: 'map@k: average precision over the top k, divided by all relevant items (trec_eval map_cut.k)',
  schema,
  implementation: MapMetric,
});
