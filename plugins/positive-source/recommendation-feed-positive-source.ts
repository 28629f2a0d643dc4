import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import { LogDb } from '../../kits/logs/log-db.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { Candidate } from '../../src/extension-points/samples.ts';
import { Discriminator } from '../../src/extension-points/discriminator.ts';
import type { MinedCandidates, PositiveSource } from '../../src/extension-points/positive-source.ts';

/** Params of `recommendation-feed`. */
export const RecommendationFeedParams = z
  .object({
    windowSeconds: z.number().positive().default(3600).describe('feed interactions count for a query when within this many seconds before or after it (default ±1 hour)'),
    threshold: z.number().min(0).max(1).default(0.6).describe('keep a feed item when the discriminator scores it against the query above this (paper: 0.6)'),
    maxItems: z.number().int().positive().default(100).describe('at most this many feed items per query, after the discriminator (paper: 100)'),
    prefer: z
      .enum(['latest', 'nearest'])
      .default('latest')
      .describe("which items fill maxItems first: the most recent interactions ('latest') or those closest in time to a search for the query ('nearest')"),
    interactions: z
      .array(z.enum(['click', 'like', 'long-play', 'any']))
      .min(1)
      .default(['click', 'like', 'long-play'])
      .describe("feed interactions that count: clicked, liked, played at least longPlayFraction of the video, or 'any' logged view"),
    longPlayFraction: z.number().min(0).max(1).default(0.5).describe("share of the video's duration played that makes a 'long-play' interaction"),
  })
  .strict();
export type RecommendationFeedParams = z.output<typeof RecommendationFeedParams>;

const INTERACTION_SQL: Record<RecommendationFeedParams['interactions'][number], string> = {
  click: 'f.clicked',
  like: 'f.liked',
  'long-play': 'f.play_ms >= $long_play_fraction * f.duration_ms',
  any: 'TRUE',
};

/**
 * Every (query, feed item) the logs offer, before the discriminator, best first per query: a range
 * join puts each feed interaction next to the same user's searches within the window; an item seen
 * around several searches for one query keeps its latest time and its smallest gap.
 */
function feedSql(p: RecommendationFeedParams): string {
  const took = [...new Set(p.interactions)].map((k) => INTERACTION_SQL[k]).join(' OR ');
  const order = p.prefer === 'latest' ? 'latest_ts DESC, gap_ms' : 'gap_ms, latest_ts DESC';
  return `
WITH hits AS (
  SELECT s.query, f.item_id, f.ts_ms, abs(f.ts_ms - s.ts_ms) AS gap_ms, s.user_id, s.session_id, f.ts_ms - s.ts_ms AS signed_gap
  FROM train.search_sessions s
  JOIN train.rec_interactions f
    ON f.user_id = s.user_id AND f.ts_ms BETWEEN s.ts_ms - $window_ms AND s.ts_ms + $window_ms
  WHERE ${took}
),
per_item AS (
  -- the nearest search is the provenance; min over a struct compares field by field, so ties resolve deterministically
  SELECT query, item_id, max(ts_ms) AS latest_ts, min(gap_ms) AS gap_ms,
         min({'gap': gap_ms, 'user_id': user_id, 'session_id': session_id, 'signed_gap': signed_gap}) AS nearest
  FROM hits GROUP BY query, item_id
)
SELECT query, item_id, nearest.user_id AS user_id, nearest.session_id AS session_id, nearest.signed_gap AS signed_gap FROM per_item
ORDER BY query, ${order}, item_id`;
}

/**
 * P2: for the users who searched a query, the items they took in the recommendation feed within
 * ±`windowSeconds` of that search are positives for the query, after the injected `Discriminator`
 * keeps only those relevant to it (`threshold`). The feed is not shaped by the search system's
 * exposure bias, so it reaches long-tail meanings and fresh items that search never showed. The
 * range join runs in SQL on the LogStore's DuckDB tables; per query at most `maxItems` items pass,
 * the most recent first (or the nearest in time), ties by item id. Reads the train split only.
 * Candidates are unique per (query, item), ordered by query, then preference. Requires a
 * discriminator in the trial. See docs/data-engine.md.
 */
@injectable()
export class RecommendationFeedPositiveSource implements PositiveSource {
  constructor(
    @inject(PluginParams) private readonly params: RecommendationFeedParams,
    @inject(Discriminator) private readonly discriminator: Discriminator,
  ) {}

  async mine(store: LogStore): Promise<MinedCandidates> {
    const p = this.params;
    const db = await LogDb.of(store);
    await db.require('train.search_sessions', 'train.rec_interactions');
    const rows = await db.query<{ query: string; item_id: number; user_id: number; session_id: number; signed_gap: number }>(feedSql(p), {
      window_ms: p.windowSeconds * 1000,
      ...(p.interactions.includes('long-play') ? { long_play_fraction: p.longPlayFraction } : {}),
    });
    const candidates: Candidate[] = [];
    let query = '';
    let kept = 0;
    for (const row of rows) {
      if (row.query !== query) [query, kept] = [row.query, 0];
      if (kept >= p.maxItems) continue;
      const item = store.items[row.item_id];
      if (!item || !(this.discriminator.score(query, item.text, row.item_id) > p.threshold)) continue;
      candidates.push({ query, itemId: row.item_id, origin: 'feed', via: { userId: Number(row.user_id), sessionId: Number(row.session_id), gapMs: Number(row.signed_gap) } });
      kept++;
    }
    return { candidates };
  }
}

export default definePlugin({
  kind: 'positiveSource',
  name: 'recommendation-feed',
  consults: ['discriminator'],
  summary: 'P2: feed items the searching user took within a time window around the query, discriminator-filtered, capped per query',
  schema: RecommendationFeedParams,
  implementation: RecommendationFeedPositiveSource,
  requires: [{ trait: 'discriminator', because: 'it needs a discriminator to keep only feed items relevant to the query' }],
  conflicts: [{ trait: 'no-interaction-logs', because: 'it mines items watched in the recommendation feed after a search, and this dataset has no logs (only queries, documents and qrels); use the qrels positive source for its judged train pairs' }],
});
