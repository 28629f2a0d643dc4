import { describe, expect, it } from 'vitest';
import type { Impression, LogStore } from '../../src/extension-points/log-store.ts';
import plugin, { SearchClicksParams, SearchClicksPositiveSource } from './search-clicks-positive-source.ts';
import { describePositiveSourceConformance } from '../../test/conformance/data-conformance.ts';

const imp = (sessionId: number, itemId: number, stage: Impression['stage'], position: number, clicked = false, liked = false): Impression => ({
  sessionId,
  itemId,
  stage,
  position,
  clicked,
  liked,
  playMs: clicked ? 5000 : 0,
});

function store(): LogStore {
  const split = (sessions: LogStore['train']['sessions'], impressions: Impression[]) => ({ sessions, impressions, recInteractions: [] });
  return {
    items: Array.from({ length: 20 }, (_, id) => ({ id, text: `item ${id}` })),
    train: split(
      [
        { sessionId: 1, userId: 1, tsMs: 10, query: 'cat', source: 'typed' },
        { sessionId: 2, userId: 2, tsMs: 20, query: 'cat', source: 'typed' },
        { sessionId: 3, userId: 1, tsMs: 30, query: 'dog', source: 'typed' },
      ],
      [
        imp(1, 0, 'shown', 0, true),
        imp(1, 1, 'shown', 1),
        imp(1, 2, 'ranked_not_shown', 2),
        imp(1, 3, 'ranked_not_shown', 3),
        imp(1, 4, 'prerank_filtered', 4),
        imp(2, 1, 'shown', 0, false, true), // liked without a click still counts
        imp(2, 0, 'shown', 1), // clicked elsewhere, shown-not-clicked here: both kept
        imp(2, 3, 'ranked_not_shown', 2), // duplicate (query, item, origin): once
        imp(2, 5, 'prerank_filtered', 3),
        imp(3, 7, 'prerank_filtered', 9),
      ],
    ),
    // the test split must never be mined
    test: split([{ sessionId: 9, userId: 1, tsMs: 99, query: 'cat', source: 'typed' }], [imp(9, 11, 'shown', 0, true)]),
    judgments: [],
  };
}

const mine = async (params: Partial<SearchClicksParams> = {}) =>
  (await new SearchClicksPositiveSource(SearchClicksParams.parse(params)).mine(store())).candidates.map((c) => `${c.query}/${c.itemId}/${c.origin}`);

describe('search-clicks positive source', () => {
  it('maps funnel stages to origins from the train split only, deduplicated and ordered', async () => {
    expect(await mine()).toEqual([
      'cat/5/prerank-filtered',
      'cat/4/prerank-filtered',
      'cat/2/ranked-not-shown',
      'cat/3/ranked-not-shown',
      'cat/0/search-click',
      'cat/1/search-click',
      'cat/0/shown-not-clicked',
      'cat/1/shown-not-clicked',
      'dog/7/prerank-filtered',
    ]);
  });

  it('emits clicks only without stage negatives', async () => {
    expect(await mine({ stageNegatives: false })).toEqual(['cat/0/search-click', 'cat/1/search-click']);
  });

  it('caps each stage per query, keeping the best positions, never capping clicks', async () => {
    const got = await mine({ maxPerStage: 1 });
    expect(got.filter((c) => c.startsWith('cat/') && c.endsWith('ranked-not-shown'))).toEqual(['cat/2/ranked-not-shown']);
    expect(got.filter((c) => c.startsWith('cat/') && c.endsWith('prerank-filtered'))).toEqual(['cat/5/prerank-filtered']);
    expect(got.filter((c) => c.endsWith('search-click'))).toHaveLength(2);
  });

  it('has a strict schema with defaults', () => {
    expect(plugin.schema.parse({})).toEqual({ stageNegatives: true, maxPerStage: 50 });
    expect(() => plugin.schema.parse({ maxPerstage: 3 })).toThrow();
    expect(plugin.name).toBe('search-clicks');
  });
});

describePositiveSourceConformance(plugin);
