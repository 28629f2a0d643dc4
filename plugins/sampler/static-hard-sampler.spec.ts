import { describe, expect, it } from 'vitest';
import type { Batch, TrainingSet } from '../../src/extension-points/samples.ts';
import { Bm25Index } from '../../kits/text/bm25-index.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { describeSamplerConformance } from '../../test/conformance/data-conformance.ts';
import plugin, { StaticHardSampler } from './static-hard-sampler.ts';

const TEXTS = ['apple pie', 'apple pie recipe', 'apple pie crust', 'banana bread', 'banana bread easy', 'cherry cake', 'cherry cake recipe', 'dog videos'];

/** Each query's closest lexical neighbour is known; 'apple pie' lists its top BM25 neighbour as relevant. */
function trainingSet(): TrainingSet {
  return {
    items: { texts: [...TEXTS, 'generated apple pie video'], corpusSize: TEXTS.length },
    lists: [
      { query: 'apple pie', itemIds: [0, 1], grades: [4, 4] },
      { query: 'banana bread', itemIds: [3], grades: [4] },
      { query: 'cherry cake', itemIds: [5, 8], grades: [4, 4] },
      { query: 'apple crust', itemIds: [2], grades: [4] },
    ],
    originCounts: {},
    gradeCounts: {},
  };
}

async function sampler(params: Record<string, unknown> = {}, batchQueries = 4): Promise<StaticHardSampler> {
  const s = instantiate<StaticHardSampler>(plugin, params, { seed: 3 });
  await s.init(trainingSet(), { batchQueries });
  return s;
}

const gradeOf = (b: Batch, query: string, item: number) => b.grades[b.queries.indexOf(query) * b.itemIds.length + b.itemIds.indexOf(item)];

describe('static-hard sampler', () => {
  it('adds each query’s top BM25 item that it does not list as relevant, as a grade-0 negative', async () => {
    const b = await (await sampler()).next(0);
    // 'apple pie recipe' outranks 'apple pie crust' for 'apple pie' but is one of its positives
    const bm25 = new Bm25Index({ k1: 0.9, b: 0.4 });
    bm25.build(TEXTS);
    expect(Array.from(bm25.search(['apple pie'], 3)[0]!.itemIds)).toEqual([0, 1, 2]);
    expect(gradeOf(b, 'apple pie', 2)).toBe(0);
    expect(gradeOf(b, 'apple pie', 1)).toBe(4);
    expect(gradeOf(b, 'banana bread', 4)).toBe(0);
    expect(gradeOf(b, 'cherry cake', 6)).toBe(0);
    // the hard negative of 'apple pie' is the positive of 'apple crust', which keeps its grade
    expect(gradeOf(b, 'apple crust', 2)).toBe(4);
    // pseudo-items are never mined: item 8 appears only as the positive of 'cherry cake'
    expect(gradeOf(b, 'apple pie', 8)).toBe(0);
  });

  it('adds nothing beyond in-batch candidates with hardNegatives 0, and more with 2', async () => {
    const none = await (await sampler({ hardNegatives: 0 })).next(0);
    expect([...none.itemIds].sort()).toEqual([0, 1, 2, 3, 5, 8]);
    const two = await (await sampler({ hardNegatives: 2 })).next(0);
    expect(two.itemIds).toContain(4);
    expect(two.itemIds).toContain(6);
    expect(two.itemIds.length).toBeGreaterThanOrEqual(none.itemIds.length + 2);
  });

  it('keeps the same negatives in every step (static)', async () => {
    const s = await sampler({}, 2);
    for (let step = 0; step < 6; step++) {
      const b = await s.next(step);
      if (b.queries.includes('banana bread')) expect(gradeOf(b, 'banana bread', 4)).toBe(0);
    }
  });
});

describeSamplerConformance(plugin);
