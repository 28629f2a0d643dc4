import { describe, expect, it } from 'vitest';
import type { Impression, LogSplit } from '../extension-points/log-store.ts';
import { neverShownShare, positiveGrade, shownByQuery } from './never-shown.ts';
import type { TestSet } from './test-sets.ts';

const imp = (sessionId: number, itemId: number, stage: Impression['stage'] = 'shown'): Impression => ({ sessionId, itemId, stage, position: 0, clicked: false, liked: false, playMs: 0 });

// train day: query a showed items 1 and 2 (3 only reached the ranker); query b showed item 4
const train: LogSplit = {
  sessions: [
    { sessionId: 1, userId: 1, tsMs: 0, query: 'a', source: 'typed' },
    { sessionId: 2, userId: 2, tsMs: 1, query: 'b', source: 'typed' },
    { sessionId: 3, userId: 1, tsMs: 2, query: 'a', source: 'typed' },
  ],
  impressions: [imp(1, 1), imp(1, 3, 'ranked_not_shown'), imp(2, 4), imp(3, 2), imp(3, 5, 'prerank_filtered')],
  recInteractions: [],
};

const set = (name: string, byQuery: Record<string, Record<number, number>>): TestSet => ({
  name,
  byQuery: new Map(Object.entries(byQuery).map(([q, items]) => [q, new Map(Object.entries(items).map(([id, g]) => [Number(id), g]))])),
  queries: Object.keys(byQuery).sort(),
});

describe('never-shown share of a test set', () => {
  it('counts positives never shown for their query, and those shown under no query at all', () => {
    const shown = shownByQuery(train);
    expect([...shown.get('a')!].sort()).toEqual([1, 2]);
    // a: 1 shown; 3 only ranked (never shown); 4 shown, but under b. c: never asked, so 2 counts too
    const ct = set('ct', { a: { 1: 1, 3: 1, 4: 1 }, c: { 2: 1 } });
    expect(neverShownShare(ct, shown)).toEqual({ positives: 4, neverShown: 3, share: 0.75, neverShownAnywhere: 1, anywhereShare: 0.25 });
  });

  it('counts grade >= 2 as a positive on the judged set and any grade above 0 elsewhere', () => {
    expect(positiveGrade('judged')).toBe(2);
    expect(positiveGrade('qr')).toBe(1);
    const shown = shownByQuery(train);
    const judged = set('judged', { a: { 1: 3, 3: 1, 5: 2, 9: 0 } });
    expect(neverShownShare(judged, shown)).toMatchObject({ positives: 2, neverShown: 1, share: 0.5 });
    expect(neverShownShare(set('other', { a: { 1: 3, 3: 1, 5: 2, 9: 0 } }), shown)).toMatchObject({ positives: 3, neverShown: 2 });
    expect(neverShownShare(set('ct', {}), shown)).toEqual({ positives: 0, neverShown: 0, share: 0, neverShownAnywhere: 0, anywhereShare: 0 });
  });
});
