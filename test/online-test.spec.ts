import { describe, expect, it } from 'vitest';
import { OnlineSettings } from '../src/config/trial-config.ts';
import { compareArms, ONLINE_LEGACY_ARTIFACT, ONLINE_USERS_ARTIFACT, parseOnlineUsers } from '../src/eval/online-ab.ts';
import { runOnlineTest } from '../src/runner/online-test.ts';
import { SyntheticWorldDataset } from '../plugins/dataset/synthetic-world-dataset.ts';
import bm25 from '../plugins/retriever/bm25-retriever.ts';
import { Bm25Retriever } from '../plugins/retriever/bm25-retriever.ts';

// the runner's side of the online A/B test with real plugins: the tiny world and a BM25 channel
const dataset = new SyntheticWorldDataset({ preset: 'tiny', seed: 7 } as never);
const retriever = new Bm25Retriever(bm25.schema.parse({}) as never);
await retriever.build(dataset.getWorld().logItems);

describe('runOnlineTest against the legacy funnel alone', () => {
  const settings = OnlineSettings.parse({ control: 'none', sessions: 500, resamples: 200 });

  it('logs both arms and the difference inside its interval, from the artifacts it writes; the same seed repeats it', async () => {
    const a = await runOnlineTest(dataset, retriever, settings, 64);
    const files = new Map(a.artifacts);
    const cmp = compareArms(parseOnlineUsers(files.get(ONLINE_USERS_ARTIFACT)!), parseOnlineUsers(files.get(ONLINE_LEGACY_ARTIFACT)!), { resamples: 200, seed: 1 });
    expect(a.metrics['online/legacy/ratio_show']).toBe(0);
    expect(a.metrics['online/ratio_show']).toBeGreaterThan(0);
    expect(a.metrics['online/vs_legacy/rel_ctr']).toBeCloseTo(cmp.metrics.ctr.relative.value, 12);
    expect(a.metrics['online/vs_legacy/rel_ctr_ci_low']).toBeLessThanOrEqual(a.metrics['online/vs_legacy/rel_ctr']!);
    expect(a.metrics['online/vs_legacy/rel_ctr_ci_high']).toBeGreaterThanOrEqual(a.metrics['online/vs_legacy/rel_ctr']!);
    expect(a.metrics['online/vs_legacy/abs_ratio_rank']).toBeCloseTo(a.metrics['online/ratio_rank']!, 12);
    expect(await runOnlineTest(dataset, retriever, settings, 64)).toEqual(a);
    const other = await runOnlineTest(dataset, retriever, { ...settings, seed: 2 }, 64);
    expect(other.metrics['online/ctr']).not.toBe(a.metrics['online/ctr']);
  }, 60_000);
});
