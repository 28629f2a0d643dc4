import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import { LogDb } from '../../kits/logs/log-db.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { Candidate } from '../../src/extension-points/samples.ts';
import { Discriminator } from '../../src/extension-points/discriminator.ts';
import type { MinedCandidates, PositiveSource } from '../../src/extension-points/positive-source.ts';

/** Params of `query-reformulation`. */
export const QueryReformulationParams = z
  .object({
    windowSeconds: z.number().positive().default(90).describe("longest gap between a query and the same user's next, reformulated query (paper: 90 s)"),
    threshold: z.number().min(0).max(1).default(0.6).describe('keep an item when the discriminator scores it against the ORIGINAL query above this (paper: 0.6)'),
    querySimilarity: z
      .number()
      .min(0)
      .max(1)
      .default(0.6)
      .describe('count a pair of queries as a reformulation when the discriminator scores (q, q\') above this; 0 accepts any different query'),
    interactions: z
      .array(z.enum(['click', 'like', 'long-play']))
      .min(1)
      .default(['click', 'like'])
      .describe('impressions under the reformulated query that count as the user taking the item: clicked, liked, or played at least longPlayMs'),
    longPlayMs: z.number().int().positive().default(10_000).describe("play time that makes a 'long-play' interaction"),
    chain: z
      .number()
      .int()
      .min(1)
      .default(2)
      .describe('follow chains q -> q\' -> q\'\' up to this many hops, each within windowSeconds of the one before, crediting every hop to the first query'),
  })
  .strict();
export type QueryReformulationParams = z.output<typeof QueryReformulationParams>;

const INTERACTION_SQL: Record<QueryReformulationParams['interactions'][number], string> = {
  click: 'i.clicked',
  like: 'i.liked',
  'long-play': 'i.play_ms >= $long_play_ms',
};

/**
 * Every (original query, reformulated query, item) the logs offer, before the discriminator: each
 * session links to the user's next session when it comes within the window and asks something
 * else; links chain up to `$hops`; the items the user took under a later session of the chain
 * are credited to its first query.
 */
function reformulationSql(interactions: QueryReformulationParams['interactions']): string {
  const took = [...new Set(interactions)].map((k) => INTERACTION_SQL[k]).join(' OR ');
  return `
WITH RECURSIVE ordered AS (
  SELECT session_id, user_id, ts_ms, query,
         LEAD(session_id) OVER per_user AS next_id,
         LEAD(ts_ms) OVER per_user AS next_ts,
         LEAD(query) OVER per_user AS next_query
  FROM train.search_sessions
  WINDOW per_user AS (PARTITION BY user_id ORDER BY ts_ms, session_id)
),
links AS (
  SELECT session_id AS from_id, user_id, ts_ms AS from_ts, query AS from_query, next_id AS to_id, next_ts AS to_ts, next_query AS to_query FROM ordered
  WHERE next_id IS NOT NULL AND next_ts - ts_ms <= $window_ms AND next_query <> query
),
-- each session has at most one next, so chains are paths; queries and times travel along to spare joins
chains(origin_query, origin_ts, user_id, session_id, session_ts, reformulation, hops) AS (
  SELECT from_query, from_ts, user_id, to_id, to_ts, to_query, 1 FROM links
  UNION ALL
  SELECT c.origin_query, c.origin_ts, c.user_id, l.to_id, l.to_ts, l.to_query, c.hops + 1 FROM chains c JOIN links l ON l.from_id = c.session_id WHERE c.hops < $hops
)
SELECT DISTINCT c.origin_query AS query, c.reformulation, i.item_id, c.user_id, c.session_id, c.session_ts - c.origin_ts AS gap_ms
FROM chains c JOIN train.impressions i ON i.session_id = c.session_id
WHERE c.reformulation <> c.origin_query AND (${took})
ORDER BY query, item_id, gap_ms, reformulation, user_id, session_id`;
}

/**
 * P1: when a user rephrases a query within `windowSeconds` (e.g. adds a specific word after the
 * first results missed their intent), the items they then click or like are positives for the
 * ORIGINAL query. The joins over the logs run in SQL on the LogStore's DuckDB tables; the injected
 * `Discriminator` then keeps a pair only if the two queries are similar (`querySimilarity`) and the
 * item is relevant to the original query (`threshold`), so unrelated follow-up searches and
 * off-intent clicks are dropped. Reads the train split only. Candidates are unique per (query,
 * item), ordered by query then item id. Requires a discriminator in the trial. See docs/data-engine.md.
 */
@injectable()
export class QueryReformulationPositiveSource implements PositiveSource {
  constructor(
    @inject(PluginParams) private readonly params: QueryReformulationParams,
    @inject(Discriminator) private readonly discriminator: Discriminator,
  ) {}

  async mine(store: LogStore): Promise<MinedCandidates> {
    const p = this.params;
    const db = await LogDb.of(store);
    await db.require('train.search_sessions', 'train.impressions');
    const rows = await db.query<{ query: string; reformulation: string; item_id: number; user_id: number; session_id: number; gap_ms: number }>(reformulationSql(p.interactions), {
      window_ms: p.windowSeconds * 1000,
      hops: p.chain,
      ...(p.interactions.includes('long-play') ? { long_play_ms: p.longPlayMs } : {}),
    });
    const similar = new Map<string, boolean>();
    const candidates: Candidate[] = [];
    // rows arrive ordered by (query, item): the item's verdict for the query is reused while the pair repeats
    let pair = '';
    let verdict: 'unknown' | 'kept' | 'dropped' = 'unknown';
    for (const { query, reformulation, item_id: itemId, user_id: userId, session_id: sessionId, gap_ms: gapMs } of rows) {
      const key = `${query}\u0000${itemId}`;
      if (key !== pair) [pair, verdict] = [key, 'unknown'];
      if (verdict !== 'unknown') continue;
      const queries = `${query}\u0000${reformulation}`;
      let isReformulation = similar.get(queries);
      if (isReformulation === undefined) similar.set(queries, (isReformulation = this.discriminator.score(query, reformulation) > p.querySimilarity));
      if (!isReformulation) continue;
      const item = store.items[itemId];
      verdict = item && this.discriminator.score(query, item.text, itemId) > p.threshold ? 'kept' : 'dropped';
      // the earliest reformulation that kept the pair is the provenance shown by `crops data --export`
      if (verdict === 'kept') candidates.push({ query, itemId, origin: 'reformulation', via: { userId: Number(userId), sessionId: Number(sessionId), sourceQuery: reformulation, gapMs: Number(gapMs) } });
    }
    return { candidates };
  }
}

export default definePlugin({
  kind: 'positiveSource',
  name: 'query-reformulation',
  consults: ['discriminator'],
  summary: 'P1: items a user took after reformulating a query within a time window, credited to the original query, discriminator-filtered',
  schema: QueryReformulationParams,
  implementation: QueryReformulationPositiveSource,
  requires: [{ trait: 'discriminator', because: 'it needs a discriminator to judge query pairs and the items taken after them' }],
  conflicts: [{ trait: 'no-interaction-logs', because: 'it mines query reformulations from search sessions, and this dataset has no logs (only queries, documents and qrels); use the qrels positive source for its judged train pairs' }],
});
