import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { TrainingSet } from '../../src/extension-points/samples.ts';

/**
 * A hand-built log with every funnel stage: two users, three train sessions (one reformulation
 * 30 s after an unserved query), feed plays, and a test day.
 */
export function toyLogs(): LogStore {
  const items = ['red apple pie', 'green apple cider', 'apple phone repair', 'phone battery swap', 'pie crust recipe', 'cider press', 'battery charger', 'apple orchard tour'].map(
    (text, id) => ({ id, text }),
  );
  const day1 = Date.UTC(2024, 0, 1);
  const day3 = Date.UTC(2024, 0, 3);
  return {
    items,
    train: {
      sessions: [
        { sessionId: 1, userId: 1, tsMs: day1 + 1000, query: 'apple', source: 'typed' },
        { sessionId: 2, userId: 1, tsMs: day1 + 31_000, query: 'apple pie', source: 'typed' },
        { sessionId: 3, userId: 2, tsMs: day1 + 5000, query: 'phone repair', source: 'typed' },
      ],
      impressions: [
        { sessionId: 1, itemId: 2, stage: 'shown', position: 0, clicked: false, liked: false, playMs: 0 },
        { sessionId: 1, itemId: 1, stage: 'shown', position: 1, clicked: false, liked: false, playMs: 0 },
        { sessionId: 1, itemId: 7, stage: 'ranked_not_shown', position: 2, clicked: false, liked: false, playMs: 0 },
        { sessionId: 1, itemId: 0, stage: 'prerank_filtered', position: 3, clicked: false, liked: false, playMs: 0 },
        { sessionId: 2, itemId: 0, stage: 'shown', position: 0, clicked: true, liked: true, playMs: 20_000 },
        { sessionId: 2, itemId: 4, stage: 'shown', position: 1, clicked: false, liked: false, playMs: 0 },
        { sessionId: 3, itemId: 2, stage: 'shown', position: 0, clicked: true, liked: false, playMs: 9000 },
        { sessionId: 3, itemId: 3, stage: 'shown', position: 1, clicked: false, liked: false, playMs: 0 },
        { sessionId: 3, itemId: 6, stage: 'prerank_filtered', position: 2, clicked: false, liked: false, playMs: 0 },
      ],
      recInteractions: [
        { userId: 1, itemId: 5, tsMs: day1 + 600_000, playMs: 15_000, durationMs: 20_000, clicked: true, liked: false },
        { userId: 2, itemId: 3, tsMs: day1 + 900_000, playMs: 30_000, durationMs: 30_000, clicked: true, liked: true },
      ],
    },
    test: {
      sessions: [
        { sessionId: 10, userId: 1, tsMs: day3 + 1000, query: 'apple', source: 'typed' },
        { sessionId: 11, userId: 1, tsMs: day3 + 20_000, query: 'apple cider', source: 'typed' },
        { sessionId: 12, userId: 2, tsMs: day3 + 2000, query: 'phone repair', source: 'typed' },
      ],
      impressions: [
        { sessionId: 10, itemId: 2, stage: 'shown', position: 0, clicked: false, liked: false, playMs: 0 },
        { sessionId: 11, itemId: 1, stage: 'shown', position: 0, clicked: true, liked: false, playMs: 8000 },
        { sessionId: 12, itemId: 2, stage: 'shown', position: 0, clicked: true, liked: false, playMs: 8000 },
        { sessionId: 12, itemId: 3, stage: 'shown', position: 1, clicked: true, liked: false, playMs: 8000 },
      ],
      recInteractions: [],
    },
    judgments: [
      { query: 'apple', itemId: 0, grade: 2 },
      { query: 'apple', itemId: 1, grade: 2 },
      { query: 'apple', itemId: 3, grade: 0 },
      { query: 'phone repair', itemId: 2, grade: 3 },
      { query: 'phone repair', itemId: 4, grade: 0 },
    ],
  };
}

/** A labelled training set over {@link toyLogs}'s items with grades 0..5. */
export function toyTrainingSet(): TrainingSet {
  const texts = toyLogs().items.map((i) => i.text);
  return {
    items: { texts, corpusSize: texts.length },
    lists: [
      { query: 'apple', itemIds: [0, 1, 2, 7], grades: [5, 3, 3, 2] },
      { query: 'apple pie', itemIds: [0, 4], grades: [4, 3] },
      { query: 'phone repair', itemIds: [2, 3, 6], grades: [4, 3, 1] },
    ],
    originCounts: {},
    gradeCounts: {},
  };
}
