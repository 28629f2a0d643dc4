import { injectable, inject } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import { LogDb } from '../../kits/logs/log-db.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { Candidate, Origin } from '../../src/extension-points/samples.ts';
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

/** The origins by the code the SQL gives them, in the order the output lists them (string order). */
const ORIGINS = ['prerank-filtered', 'ranked-not-shown', 'search-click', 'shown-not-clicked'] as const satisfies readonly Origin[];
const CLICK = ORIGINS.indexOf('search-click');

/**
 * Per (query, origin, item) the item's best (lowest) funnel position; clicks uncapped, each stage
 * origin cut to its `$max_per_stage` best positions per query (ties by item id). Origins travel as
 * small integer codes (indexes into ORIGINS), which group, sort and convert faster than strings.
 */
const SEARCH_CLICKS_SQL = `
WITH sessions AS (
  -- a session id listed twice keeps its last row, as a lookup built from the list would
  SELECT session_id, query FROM train.search_sessions
  QUALIFY row_number() OVER (PARTITION BY session_id ORDER BY rowid DESC) = 1
),
found AS (
  SELECT s.query,
         CASE WHEN i.stage = 'shown' AND (i.clicked OR i.liked) THEN ${CLICK}
              WHEN i.stage = 'shown' THEN ${ORIGINS.indexOf('shown-not-clicked')}
              WHEN i.stage = 'ranked_not_shown' THEN ${ORIGINS.indexOf('ranked-not-shown')}
              ELSE ${ORIGINS.indexOf('prerank-filtered')} END AS origin,
         i.item_id, min(i.position) AS position
  FROM train.impressions i JOIN sessions s ON s.session_id = i.session_id
  WHERE s.query IS NOT NULL AND ($stage_negatives OR (i.stage = 'shown' AND (i.clicked OR i.liked)))
  GROUP BY s.query, origin, i.item_id
),
kept AS (
  SELECT * FROM found
  QUALIFY origin = ${CLICK} OR row_number() OVER (PARTITION BY query, origin ORDER BY position, item_id) <= $max_per_stage
)
-- one row per query: far fewer strings to hand to JS than one per candidate
SELECT query, list(origin ORDER BY origin, position, item_id) AS origins, list(item_id ORDER BY origin, position, item_id) AS items
FROM kept GROUP BY query`;

/**
 * P0, the baseline supervision: shown items a user clicked or liked under a query become
 * `search-click` candidates for that query. With `stageNegatives`, the same funnel logs also give
 * graded negatives by how far an item got (`shown-not-clicked` > `ranked-not-shown` >
 * `prerank-filtered`), as FS-LR and HLA use them. The mining runs as one SQL statement on the
 * LogStore's DuckDB tables (docs/data-engine.md). Reads the train split only; impressions of
 * sessions missing from the sessions table are ignored. Each (query, item, origin) appears once,
 * in a deterministic order: query (JS string order), origin, best funnel position, item id.
 */
@injectable()
export class SearchClicksPositiveSource implements PositiveSource {
  constructor(@inject(PluginParams) private readonly params: SearchClicksParams) {}

  async mine(store: LogStore): Promise<MinedCandidates> {
    const { stageNegatives, maxPerStage } = this.params;
    const db = await LogDb.of(store);
    await db.require('train.search_sessions', 'train.impressions');
    const rows = await db.query<{ query: string; origins: number[]; items: number[] }>(SEARCH_CLICKS_SQL, {
      stage_negatives: stageNegatives,
      max_per_stage: maxPerStage,
    });
    // one row per query: JS orders the queries, as DuckDB's string order (UTF-8 bytes) differs from JS's (UTF-16 code units) past U+FFFF
    rows.sort((a, b) => (a.query < b.query ? -1 : a.query > b.query ? 1 : 0));
    const candidates: Candidate[] = [];
    for (const { query, origins, items } of rows) for (let k = 0; k < items.length; k++) candidates.push({ query, itemId: items[k]!, origin: ORIGINS[origins[k]!]! });
    return { candidates };
  }
}

export default definePlugin({
  kind: 'positiveSource',
  name: 'search-clicks',
  consults: [],
  summary: 'P0: clicked or liked search results, plus funnel-stage negatives (shown, ranked, pre-rank filtered)',
  schema: SearchClicksParams,
  implementation: SearchClicksPositiveSource,
  conflicts: [{ trait: 'no-interaction-logs', because: 'it mines clicks and impressions from search sessions, and this dataset has no logs (only queries, documents and qrels); use the qrels positive source for its judged train pairs' }],
});
