import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.ts';
import { topK } from './legacy-funnel.ts';
import { WeightedTable } from './sampling.ts';

describe('topK', () => {
  it('matches a full sort (score descending, lower id on ties) for every k', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 50; trial++) {
      const n = rng.int(40);
      const ids = rng.shuffle(Array.from({ length: n }, (_, i) => i * 3));
      // few distinct scores, so ties are common
      const score = Float64Array.from(ids, () => rng.int(5));
      const reference = ids.map((id, p) => ({ id, s: score[p]! })).sort((a, b) => b.s - a.s || a.id - b.id).map((x) => x.id);
      for (const k of [0, 1, 5, n, n + 3]) expect(topK(ids, score, k)).toEqual(reference.slice(0, Math.max(0, k)));
    }
  });
});

describe('WeightedTable', () => {
  it('draws indices in proportion to their weights and never a zero weight', () => {
    const t = new WeightedTable([1, 0, 3]);
    const rng = new Rng(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[t.sample(rng)]!++;
    expect(counts[1]).toBe(0);
    expect(counts[2]! / counts[0]!).toBeGreaterThan(2.5);
    expect(counts[2]! / counts[0]!).toBeLessThan(3.5);
  });
});
