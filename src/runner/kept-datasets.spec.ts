import { describe, expect, it } from 'vitest';
import { KEPT_DATASETS, keepDataset, recallDataset } from './trial-runner.ts';

describe('the datasets a trial process keeps', () => {
  it('keeps the most recently used ones, at most KEPT_DATASETS', () => {
    const kept = new Map<string, number>();
    keepDataset(kept, 'a', 1);
    keepDataset(kept, 'b', 2);
    // using a marks it recent, so c pushes out b
    expect(recallDataset(kept, 'a')).toBe(1);
    keepDataset(kept, 'c', 3);
    expect(KEPT_DATASETS).toBe(2);
    expect([...kept.keys()]).toEqual(['a', 'c']);
    expect(recallDataset(kept, 'b')).toBeUndefined();
    keepDataset(kept, 'd', 4);
    expect([...kept.keys()]).toEqual(['c', 'd']);
  });
});
