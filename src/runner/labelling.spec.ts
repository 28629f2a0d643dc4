import { describe, expect, it } from 'vitest';
import type { Item } from '../extension-points/log-store.ts';
import { buildTrainingSet } from './labelling.ts';
import type { LabelScheme } from '../extension-points/label-scheme.ts';
import type { MinedCandidates } from '../extension-points/positive-source.ts';

const items: Item[] = Array.from({ length: 5 }, (_, id) => ({ id, text: `item${id}` }));
const grades: Record<string, number> = { reformulation: 5, 'search-click': 4, llm: 4, 'shown-not-clicked': 3, 'prerank-filtered': 1 };
const hla: LabelScheme = { positiveGrade: 4, grade: (o) => grades[o] };

describe('buildTrainingSet', () => {
  it('keeps the highest grade per (query, item) and orders lists deterministically', () => {
    const mined: MinedCandidates[] = [
      {
        candidates: [
          { query: 'b', itemId: 2, origin: 'shown-not-clicked' },
          { query: 'b', itemId: 1, origin: 'search-click' },
          { query: 'a', itemId: 3, origin: 'prerank-filtered' },
          { query: 'a', itemId: 0, origin: 'search-click' },
          { query: 'b', itemId: 2, origin: 'prerank-filtered' },
        ],
      },
      { candidates: [{ query: 'b', itemId: 2, origin: 'reformulation' }, { query: 'a', itemId: 3, origin: 'search-click' }] },
    ];
    const set = buildTrainingSet(items, mined, hla);
    expect(set.lists).toEqual([
      { query: 'a', itemIds: [0, 3], grades: [4, 4] },
      { query: 'b', itemIds: [2, 1], grades: [5, 4] },
    ]);
    expect(set.originCounts).toEqual({ 'shown-not-clicked': 1, 'search-click': 3, 'prerank-filtered': 2, reformulation: 1 });
    expect(set.gradeCounts).toEqual({ '5': 1, '4': 3 });
    // the same input in another order gives the same set
    const reversed = mined.map((m) => ({ candidates: [...m.candidates].reverse() })).reverse();
    expect(buildTrainingSet(items, reversed, hla).lists).toEqual(set.lists);
  });

  it('drops ungraded origins and queries without a positive', () => {
    const set = buildTrainingSet(
      items,
      [
        {
          candidates: [
            { query: 'neg-only', itemId: 1, origin: 'shown-not-clicked' },
            { query: 'q', itemId: 1, origin: 'search-click' },
            { query: 'q', itemId: 2, origin: 'mystery' },
            { query: 'mystery-only', itemId: 2, origin: 'mystery' },
          ],
        },
      ],
      hla,
    );
    expect(set.lists).toEqual([{ query: 'q', itemIds: [1], grades: [4] }]);
    expect(set.originCounts).toEqual({ 'shown-not-clicked': 1, 'search-click': 1 });
    expect(set.gradeCounts).toEqual({ '4': 1 });
  });

  it('gives graded pseudo-items ids after the corpus, per source', () => {
    const set = buildTrainingSet(
      items,
      [
        {
          candidates: [{ query: 'q', itemId: 4, origin: 'shown-not-clicked' }],
          pseudo: {
            items: [
              { key: 'x', text: 'gen x' },
              { key: 'unused', text: 'gen unused' },
              { key: 'y', text: 'gen y' },
            ],
            candidates: [
              { query: 'q', pseudoKey: 'y', origin: 'llm' },
              { query: 'q', pseudoKey: 'x', origin: 'llm' },
            ],
          },
        },
        { candidates: [], pseudo: { items: [{ key: 'x', text: 'other x' }], candidates: [{ query: 'r', pseudoKey: 'x', origin: 'llm' }] } },
      ],
      hla,
    );
    expect(set.items.corpusSize).toBe(5);
    expect(set.items.texts.slice(5)).toEqual(['gen x', 'gen y', 'other x']);
    expect(set.lists).toEqual([
      { query: 'q', itemIds: [5, 6, 4], grades: [4, 4, 3] },
      { query: 'r', itemIds: [7], grades: [4] },
    ]);
  });

  it('rejects ids outside the corpus and unknown pseudo keys', () => {
    expect(() => buildTrainingSet(items, [{ candidates: [{ query: 'q', itemId: 5, origin: 'search-click' }] }], hla)).toThrow(/outside the corpus/);
    expect(() =>
      buildTrainingSet(items, [{ candidates: [], pseudo: { items: [], candidates: [{ query: 'q', pseudoKey: 'k', origin: 'llm' }] } }], hla),
    ).toThrow(/unknown pseudo-item/);
  });
});
