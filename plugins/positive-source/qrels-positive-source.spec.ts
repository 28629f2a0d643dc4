import { describe, expect, it } from 'vitest';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { PositiveSource } from '../../src/extension-points/positive-source.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { HlaLabelScheme } from '../label-scheme/hla-label-scheme.ts';
import { BinaryLabelScheme } from '../label-scheme/binary-label-scheme.ts';
import plugin from './qrels-positive-source.ts';

const empty = () => ({ sessions: [], impressions: [], recInteractions: [] });
const store: LogStore = {
  items: ['red fox den', 'fox hunting at night', 'whale song', 'blue whale', 'owl'].map((text, id) => ({ id, text })),
  train: empty(),
  test: empty(),
  judgments: [],
  trainJudgments: [
    { query: 'fox den', itemId: 0, grade: 2 },
    { query: 'fox den', itemId: 4, grade: 0 },
    { query: 'whale', itemId: 2, grade: 1 },
  ],
};

describe('qrels positive source', () => {
  it('turns judged pairs into graded origins, leaving grade 0 out', async () => {
    const mined = await instantiate<PositiveSource>(plugin).mine(store);
    expect(mined.candidates).toEqual([
      { query: 'fox den', itemId: 0, origin: 'qrel-2' },
      { query: 'whale', itemId: 2, origin: 'qrel' },
    ]);
  });

  it("adds BM25's best unjudged items as bm25-negative, which hla grades between positives and in-batch negatives", async () => {
    const mined = await instantiate<PositiveSource>(plugin, { bm25Negatives: 1 }).mine(store);
    expect(mined.candidates.filter((c) => c.origin === 'bm25-negative')).toEqual([
      { query: 'fox den', itemId: 1, origin: 'bm25-negative' },
      { query: 'whale', itemId: 3, origin: 'bm25-negative' },
    ]);
    const hla = new HlaLabelScheme({ grades: {}, positiveGrade: 4 });
    expect([hla.grade('qrel-2')!, hla.grade('qrel')!, hla.grade('bm25-negative')!]).toEqual([5, 4, 1]);
    const binary = new BinaryLabelScheme({ keepNegatives: true });
    expect([binary.grade('qrel-2'), binary.grade('qrel'), binary.grade('bm25-negative')]).toEqual([1, 1, 0]);
  });

  it('says what is missing when the dataset has no training judgments', async () => {
    await expect(instantiate<PositiveSource>(plugin).mine({ ...store, trainJudgments: undefined })).rejects.toThrow(/no training judgments.*trainSplit/);
  });
});
