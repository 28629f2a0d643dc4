import { injectable, inject } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { FunnelStage, Impression, LogStore } from '../../src/engine/log-store.ts';
import type { Candidate, Origin } from '../../src/engine/samples.ts';
import type { MinedCandidates, PositiveSource } from '../../src/extension-points/positive-source.ts';

/** Params of `search-clicks`. */
export const SearchClicksParams = z
  .object({
    stageNegatives: z.boolean().default(true).describe('also emit funnel-stage candidates: shown-not-clicked, ranked-not-shown, prerank-filtered'),
    maxPerStage: z
      .number()
      .int()
      .positive()
      .default(50)
      .describe('at most this many distinct items per query and stage origin (best funnel positions first); clicks are never capped'),
  })
  .strict();
export type SearchClicksParams = z.output<typeof SearchClicksParams>;

const STAGE_ORIGIN: Record<Exclude<FunnelStage, 'shown'>, Origin> = {
  ranked_not_shown: 'ranked-not-shown',
  prerank_filtered: 'prerank-filtered',
};

/** The origin of one train-split impression under this source, or undefined when it yields nothing. */
export function originOf(imp: Impression, stageNegatives: boolean): Origin | undefined {
  if (imp.stage === 'shown') {
    if (imp.clicked || imp.liked) return 'search-click';
    return stageNegatives ? 'shown-not-clicked' : undefined;
  }
  return stageNegatives ? STAGE_ORIGIN[imp.stage] : undefined;
}

/**
 * P0, the baseline supervision: shown items a user clicked or liked under a query become
 * `search-click` candidates for that query. With `stageNegatives`, the same funnel logs also give
 * graded negatives by how far an item got (`shown-not-clicked` > `ranked-not-shown` >
 * `prerank-filtered`), as FS-LR and HLA use them. Reads the train split only; each (query, item,
 * origin) appears once, in a deterministic order (query, then best funnel position, then item id).
 */
@injectable()
export class SearchClicksPositiveSource implements PositiveSource {
  constructor(@inject(PluginParams) private readonly params: SearchClicksParams) {}

  async mine(store: LogStore): Promise<MinedCandidates> {
    const { stageNegatives, maxPerStage } = SearchClicksParams.parse(this.params);
    const queryOf = new Map(store.train.sessions.map((s) => [s.sessionId, s.query]));
    // query -> origin -> item -> best (lowest) position seen
    const found = new Map<string, Map<Origin, Map<number, number>>>();
    for (const imp of store.train.impressions) {
      const origin = originOf(imp, stageNegatives);
      const query = queryOf.get(imp.sessionId);
      if (origin === undefined || query === undefined) continue;
      let byOrigin = found.get(query);
      if (!byOrigin) found.set(query, (byOrigin = new Map()));
      let items = byOrigin.get(origin);
      if (!items) byOrigin.set(origin, (items = new Map()));
      const prev = items.get(imp.itemId);
      if (prev === undefined || imp.position < prev) items.set(imp.itemId, imp.position);
    }
    const candidates: Candidate[] = [];
    for (const query of [...found.keys()].sort()) {
      const byOrigin = found.get(query)!;
      for (const origin of [...byOrigin.keys()].sort()) {
        const ranked = [...byOrigin.get(origin)!].sort(([ia, pa], [ib, pb]) => pa - pb || ia - ib);
        const keep = origin === 'search-click' ? ranked : ranked.slice(0, maxPerStage);
        for (const [itemId] of keep) candidates.push({ query, itemId, origin });
      }
    }
    return { candidates };
  }
}

export default definePlugin({
  kind: 'positiveSource',
  name: 'search-clicks',
  summary: 'P0: clicked or liked search results, plus funnel-stage negatives (shown, ranked, pre-rank filtered)',
  schema: SearchClicksParams,
  implementation: SearchClicksPositiveSource,
});
