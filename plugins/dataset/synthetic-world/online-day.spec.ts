import { describe, expect, it } from 'vitest';
import { compareArms } from '../../../src/eval/online-ab.ts';
import { SyntheticWorldDataset } from '../synthetic-world-dataset.ts';

// A world whose legacy system misses what users mean: most query words are synonyms it does not
// know, so a channel that recalls the relevant items must raise clicks and cut reformulations.
const missing = new SyntheticWorldDataset({ preset: 'tiny', seed: 7, querySynonymRate: 0.9, legacySynonymCoverage: 0, ambiguousQueryRate: 0 } as never);
const world = missing.getWorld();

/** The planted channel: exactly the items graded >= 2 for the query, best grade and most popular first. */
const relevant = async (queries: string[], k: number) =>
  queries.map((q) => {
    const ids: number[] = [];
    for (let i = 0; i < world.items.length; i++) if (world.trueGrade(q, i) >= 2) ids.push(i);
    return ids.sort((a, b) => world.trueGrade(q, b) - world.trueGrade(q, a) || world.items[b]!.popularity - world.items[a]!.popularity || a - b).slice(0, k);
  });

/** A channel of arbitrary items, different per salt: two of them are equally (un)helpful. */
const arbitrary = (salt: number) => async (queries: string[], k: number) =>
  queries.map((q) => Array.from({ length: k }, (_, i) => (Math.imul(salt * 7919 + i * 104_729, 2_654_435_761) + q.length * 31) >>> 0).map((x) => x % world.items.length));

describe('synthetic-world online A/B day', () => {
  it('detects a channel that recalls exactly the relevant items: higher CTR, fewer reformulations, both CIs off 0', async () => {
    const legacy = await missing.simulateOnlineDay({ seed: 1 });
    const treated = await missing.simulateOnlineDay({ seed: 1, channel: relevant });
    const cmp = compareArms(treated, legacy, { resamples: 500, seed: 1 });
    expect(cmp.metrics.ctr.relative.ci[0]).toBeGreaterThan(0);
    expect(cmp.metrics.reformulation_rate.relative.ci[1]).toBeLessThan(0);
    expect(cmp.metrics.ratio_show.treatment.value).toBeGreaterThan(0);
    expect(cmp.metrics.ratio_show.control.value).toBe(0);
    // the arms share their traffic: the same users searched
    expect(treated.map((u) => u.userId)).toEqual(legacy.map((u) => u.userId));
  });

  it('finds no difference between identical arms, nor between two equally arbitrary channels', async () => {
    const a = await missing.simulateOnlineDay({ seed: 2, sessions: 1500, channel: arbitrary(1) });
    const same = await missing.simulateOnlineDay({ seed: 2, sessions: 1500, channel: arbitrary(1) });
    const other = await missing.simulateOnlineDay({ seed: 2, sessions: 1500, channel: arbitrary(2) });
    expect(same).toEqual(a);
    const identical = compareArms(a, same, { resamples: 300, seed: 1 });
    for (const m of ['ctr', 'long_play_rate', 'reformulation_rate'] as const) {
      expect(identical.metrics[m].relative.value).toBe(0);
      expect(identical.metrics[m].relative.ci[0]).toBeLessThanOrEqual(0);
      expect(identical.metrics[m].relative.ci[1]).toBeGreaterThanOrEqual(0);
    }
    const twin = compareArms(a, other, { resamples: 300, seed: 1 });
    expect(other).not.toEqual(a);
    for (const m of ['ctr', 'long_play_rate', 'reformulation_rate'] as const) {
      expect(twin.metrics[m].relative.ci[0]).toBeLessThan(0);
      expect(twin.metrics[m].relative.ci[1]).toBeGreaterThan(0);
    }
  });

  it('gives the same day for the same seed and another day for another seed', async () => {
    const a = await missing.simulateOnlineDay({ seed: 3, sessions: 400, channelK: 5, channel: relevant });
    const b = await new SyntheticWorldDataset({ preset: 'tiny', seed: 7, querySynonymRate: 0.9, legacySynonymCoverage: 0, ambiguousQueryRate: 0 } as never).simulateOnlineDay({ seed: 3, sessions: 400, channelK: 5, channel: relevant });
    const c = await missing.simulateOnlineDay({ seed: 4, sessions: 400, channelK: 5, channel: relevant });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(a.reduce((s, u) => s + u.sessions, 0)).toBeGreaterThanOrEqual(400);
  });
});
