import { describe, expect, it } from 'vitest';
import { compareBytes, orderLikeTrecEval, rankingInTrecOrder } from './trec-order.ts';

describe('orderLikeTrecEval', () => {
  it('sorts by score descending and breaks ties by docno descending in string order', () => {
    const run = [
      { docno: '12', score: 0.5 },
      { docno: '9', score: 0.5 },
      { docno: '100', score: 0.5 },
      { docno: '7', score: 0.9 },
      { docno: '3', score: 0.1 },
    ];
    // strcmp: "9" > "12" > "100", so that is the descending order among the 0.5 ties
    expect(orderLikeTrecEval(run).map((d) => d.docno)).toEqual(['7', '9', '12', '100', '3']);
    expect(run[0]!.docno).toBe('12');
  });

  it('compares like strcmp on UTF-8 bytes, also for characters outside the BMP', () => {
    expect(compareBytes('a', 'b')).toBeLessThan(0);
    expect(compareBytes('ab', 'a')).toBeGreaterThan(0);
    expect(compareBytes('x', 'x')).toBe(0);
    // U+1F600 encodes as F0.. in UTF-8, above U+FF5E's EF..; UTF-16 code units would say the opposite
    expect(compareBytes('\u{1F600}', '\uFF5E')).toBeGreaterThan(0);
    expect('\u{1F600}' < '\uFF5E').toBe(true);
    expect(Buffer.compare(Buffer.from('\u{1F600}'), Buffer.from('\uFF5E'))).toBe(1);
  });

  it('reorders only the tied part of a ranking, keeping it when already in trec order', () => {
    const r = { itemIds: Int32Array.from([4, 9, 12, 1]), scores: Float32Array.from([0.9, 0.5, 0.5, 0.2]) };
    expect(rankingInTrecOrder(r)).toBe(r);
    const tied = { itemIds: Int32Array.from([4, 12, 9, 1]), scores: Float32Array.from([0.9, 0.5, 0.5, 0.2]) };
    const out = rankingInTrecOrder(tied);
    expect(Array.from(out.itemIds)).toEqual([4, 9, 12, 1]);
    expect(Array.from(out.scores)).toEqual(Array.from(tied.scores));
  });
});
