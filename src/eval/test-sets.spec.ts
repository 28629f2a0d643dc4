import { describe, expect, it } from 'vitest';
import type { Impression, LogStore, SearchSession } from '../extension-points/log-store.ts';
import { buildTestSets } from './test-sets.ts';

const S = (sessionId: number, userId: number, seconds: number, query: string): SearchSession => ({ sessionId, userId, tsMs: 1_000_000 + seconds * 1000, query, source: 'typed' });
const click = (sessionId: number, itemId: number, clicked = true): Impression => ({ sessionId, itemId, stage: 'shown', position: 0, clicked, liked: false, playMs: 0 });

function store(): LogStore {
  return {
    items: Array.from({ length: 12 }, (_, id) => ({ id, text: `item ${id}` })),
    train: { sessions: [S(100, 1, 0, 'train only')], impressions: [click(100, 11)], recInteractions: [] },
    test: {
      sessions: [
        S(1, 1, 0, 'cat'),
        S(2, 1, 30, 'cat video'),
        S(3, 1, 200, 'dog'), // 170 s after 'cat video': too late to be its reformulation
        S(5, 2, 100, 'kitten'), // exactly 90 s after session 4 (listed out of order on purpose)
        S(4, 2, 10, 'cat'),
        S(6, 3, 0, 'bird'),
        S(7, 3, 20, 'bird'), // same query again: not a reformulation
        S(8, 3, 40, 'parrot'),
        S(9, 4, 0, 'fish'),
        S(10, 4, 5, 'fish tank'), // reformulated, but nothing clicked
      ],
      impressions: [
        click(1, 1),
        click(1, 2),
        click(1, 3, false),
        click(2, 4),
        click(2, 5),
        click(3, 6),
        click(4, 2),
        click(5, 7),
        click(7, 8),
        click(8, 9),
        click(10, 10, false),
        click(999, 11), // session unknown to the split
      ],
      recInteractions: [],
    },
    judgments: [
      { query: 'a', itemId: 1, grade: 3 },
      { query: 'a', itemId: 2, grade: 0 },
      { query: 'a', itemId: 1, grade: 2 },
      { query: 'b', itemId: 3, grade: 0 },
    ],
  };
}

const asObject = (m: Map<string, Map<number, number>>) => Object.fromEntries([...m].map(([q, items]) => [q, Object.fromEntries(items)]));

describe('buildTestSets', () => {
  it('CT holds the test-day clicks per query string', () => {
    const ct = buildTestSets(store()).get('ct')!;
    expect(ct.name).toBe('ct');
    expect(asObject(ct.byQuery)).toEqual({
      cat: { 1: 1, 2: 1 },
      'cat video': { 4: 1, 5: 1 },
      dog: { 6: 1 },
      kitten: { 7: 1 },
      bird: { 8: 1 },
      parrot: { 9: 1 },
    });
    expect(ct.queries).toEqual(['bird', 'cat', 'cat video', 'dog', 'kitten', 'parrot']);
  });

  it('QR credits clicks of the next, different query within the window to the first query', () => {
    const qr = buildTestSets(store()).get('qr')!;
    expect(asObject(qr.byQuery)).toEqual({ cat: { 4: 1, 5: 1, 7: 1 }, bird: { 9: 1 } });
    expect(qr.queries).toEqual(['bird', 'cat']);
    const narrow = buildTestSets(store(), { qrWindowSeconds: 60 }).get('qr')!;
    expect(asObject(narrow.byQuery)).toEqual({ cat: { 4: 1, 5: 1 }, bird: { 9: 1 } });
  });

  it('QR keeps only items whose relevance grade / 3 exceeds the threshold', () => {
    const grades: Record<string, number> = { 'cat/4': 3, 'cat/5': 1, 'cat/7': 2, 'bird/9': 1 };
    const relevanceOf = (q: string, item: number) => grades[`${q}/${item}`] ?? 0;
    const qr = buildTestSets(store(), { relevanceOf }).get('qr')!;
    expect(asObject(qr.byQuery)).toEqual({ cat: { 4: 1, 7: 1 } }); // grade 2 -> 0.67 > 0.6 kept, grade 1 dropped
    const strict = buildTestSets(store(), { relevanceOf, threshold: 0.7 }).get('qr')!;
    expect(asObject(strict.byQuery)).toEqual({ cat: { 4: 1 } });
  });

  it('QR drops a (q, q\') pair whose similarity grade / 3 is not above the query-similarity threshold', () => {
    // 'cat' -> 'kitten' is planted as dissimilar (grade 1); 'cat' -> 'cat video' and 'bird' -> 'parrot' are similar
    const similarity: Record<string, number> = { 'cat/cat video': 3, 'cat/kitten': 1, 'bird/parrot': 2 };
    const querySimilarityOf = (q: string, r: string) => similarity[`${q}/${r}`] ?? 0;
    const qr = buildTestSets(store(), { querySimilarityOf }).get('qr')!;
    expect(asObject(qr.byQuery)).toEqual({ cat: { 4: 1, 5: 1 }, bird: { 9: 1 } });
    // its own threshold, defaulting to the item threshold: at 0.7 the grade-2 pair goes too
    expect(asObject(buildTestSets(store(), { querySimilarityOf, querySimilarity: 0.7 }).get('qr')!.byQuery)).toEqual({ cat: { 4: 1, 5: 1 } });
    expect(asObject(buildTestSets(store(), { querySimilarityOf, threshold: 0.7 }).get('qr')!.byQuery)).toEqual({ cat: { 4: 1, 5: 1 } });
    // 0 keeps every pair graded above 0
    expect(asObject(buildTestSets(store(), { querySimilarityOf, querySimilarity: 0 }).get('qr')!.byQuery)).toEqual({ cat: { 4: 1, 5: 1, 7: 1 }, bird: { 9: 1 } });
  });

  it('judged keeps graded pairs (highest grade of a repeated pair) and drops queries without relevant items', () => {
    const judged = buildTestSets(store()).get('judged')!;
    expect(asObject(judged.byQuery)).toEqual({ a: { 1: 3, 2: 0 } });
    const all = buildTestSets(store(), { keepQueriesWithoutRelevant: true }).get('judged')!;
    expect(asObject(all.byQuery)).toEqual({ a: { 1: 3, 2: 0 }, b: { 3: 0 } });
    expect(all.queries).toEqual(['a', 'b']);
  });

  it('never reads the train split', () => {
    const sets = buildTestSets(store());
    for (const set of sets.values()) expect(set.queries).not.toContain('train only');
  });
});
