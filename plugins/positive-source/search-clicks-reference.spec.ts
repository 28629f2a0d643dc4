import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLogDb } from '../../kits/logs/log-db.ts';
import type { Impression, LogStore, SearchSession } from '../../src/extension-points/log-store.ts';
import type { Candidate, Origin } from '../../src/extension-points/samples.ts';
import datasetPlugin from '../dataset/synthetic-world-dataset.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { SearchClicksParams, SearchClicksPositiveSource } from './search-clicks-positive-source.ts';

/** P0 written as plain loops over the JS arrays: the SQL must give exactly this list. */
function reference(store: LogStore, params: Partial<SearchClicksParams> = {}): Candidate[] {
  const { stageNegatives, maxPerStage } = SearchClicksParams.parse(params);
  const originOf = (imp: Impression): Origin | undefined => {
    if (imp.stage === 'shown' && (imp.clicked || imp.liked)) return 'search-click';
    if (!stageNegatives) return undefined;
    return imp.stage === 'shown' ? 'shown-not-clicked' : imp.stage === 'ranked_not_shown' ? 'ranked-not-shown' : 'prerank-filtered';
  };
  const queryOf = new Map(store.train.sessions.map((s) => [s.sessionId, s.query]));
  const best = new Map<string, Map<Origin, Map<number, number>>>();
  for (const imp of store.train.impressions) {
    const origin = originOf(imp);
    const query = queryOf.get(imp.sessionId);
    if (origin === undefined || query === undefined) continue;
    if (!best.has(query)) best.set(query, new Map());
    const byOrigin = best.get(query)!;
    if (!byOrigin.has(origin)) byOrigin.set(origin, new Map());
    const items = byOrigin.get(origin)!;
    items.set(imp.itemId, Math.min(items.get(imp.itemId) ?? Infinity, imp.position));
  }
  const out: Candidate[] = [];
  for (const query of [...best.keys()].sort()) {
    for (const origin of [...best.get(query)!.keys()].sort()) {
      const ranked = [...best.get(query)!.get(origin)!].sort(([ia, pa], [ib, pb]) => pa - pb || ia - ib);
      for (const [itemId] of origin === 'search-click' ? ranked : ranked.slice(0, maxPerStage)) out.push({ query, itemId, origin });
    }
  }
  return out;
}

const mine = async (store: LogStore, params: Partial<SearchClicksParams> = {}) => (await new SearchClicksPositiveSource(SearchClicksParams.parse(params)).mine(store)).candidates;

// JS sorts by UTF-16 code units, DuckDB by UTF-8 bytes: '😀' (a surrogate pair) sorts before '！' (U+FF01) only in JS
const QUERIES = ['cat', 'Cat', 'CAT', 'café', 'cafe', 'Éclair', 'éclair', '日本', '\uFF01', '😀', 'a b', 'z', 'ß', 'ss'];

/** Small logs dense in ties: few positions and items, so best positions collide and caps cut through ties. */
function tiedLogs(): LogStore {
  let state = 12345;
  const next = (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % n);
  const stages: Impression['stage'][] = ['shown', 'ranked_not_shown', 'prerank_filtered'];
  const sessions: SearchSession[] = Array.from({ length: 60 }, (_, k) => ({ sessionId: k, userId: k % 7, tsMs: k * 1000, query: QUERIES[k % QUERIES.length]!, source: 'typed' }));
  // a session id listed twice: its last row's query is the one that counts
  sessions.push({ sessionId: 3, userId: 3, tsMs: 99_000, query: 'z', source: 'typed' });
  const impressions: Impression[] = Array.from({ length: 1500 }, () => ({
    // ids 60..64 have no session: their impressions must be ignored
    sessionId: next(65),
    itemId: next(12),
    stage: stages[next(3)]!,
    position: next(5),
    clicked: next(4) === 0,
    liked: next(6) === 0,
    playMs: 0,
  }));
  const split = (s: SearchSession[], i: Impression[]) => ({ sessions: s, impressions: i, recInteractions: [] });
  return { items: Array.from({ length: 12 }, (_, id) => ({ id, text: `item ${id}` })), train: split(sessions, impressions), test: split([], []), judgments: [] };
}

const PARAMS: Array<Partial<SearchClicksParams>> = [{}, { stageNegatives: false }, { maxPerStage: 1 }, { maxPerStage: 2 }, { maxPerStage: 3 }, { maxPerStage: 3, stageNegatives: false }];

describe('search-clicks SQL against a plain JS reference', () => {
  const stores: LogStore[] = [];
  afterAll(async () => {
    for (const s of stores) await closeLogDb(s);
  });

  describe('hand-built logs with ties, mixed-case and non-ASCII queries', () => {
    const store = tiedLogs();
    stores.push(store);

    it.each(PARAMS)('gives the reference list for %o', async (params) => {
      const want = reference(store, params);
      expect(want.length).toBeGreaterThan(30);
      expect(await mine(store, params)).toEqual(want);
    });

    it('orders queries by UTF-16 code units, keeps case and accents apart, and applies the caps', async () => {
      const got = await mine(store, { maxPerStage: 2 });
      const queries = [...new Set(got.map((c) => c.query))];
      expect(queries).toEqual(['CAT', 'Cat', 'a b', 'cafe', 'café', 'cat', 'ss', 'z', 'Éclair', 'ß', 'éclair', '日本', '😀', '\uFF01']);
      for (const q of queries) for (const origin of ['shown-not-clicked', 'ranked-not-shown', 'prerank-filtered']) {
        expect(got.filter((c) => c.query === q && c.origin === origin).length).toBeLessThanOrEqual(2);
      }
      // clicks are never capped: some query has more than two
      expect(Math.max(...queries.map((q) => got.filter((c) => c.query === q && c.origin === 'search-click').length))).toBeGreaterThan(2);
    });
  });

  describe('the tiny synthetic world', () => {
    let store: LogStore;
    beforeAll(async () => {
      store = await (instantiate(datasetPlugin, { preset: 'tiny' }) as { load(): Promise<LogStore> }).load();
      stores.push(store);
    });

    it.each([{}, { stageNegatives: false }, { maxPerStage: 3 }])('gives the reference list for %o', async (params) => {
      const want = reference(store, params);
      expect(want.length).toBeGreaterThan(1000);
      expect(await mine(store, params)).toEqual(want);
    });
  });
});
