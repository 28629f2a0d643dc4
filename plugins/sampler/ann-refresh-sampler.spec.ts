import { beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/extension-points/samples.ts';
import { describeSamplerConformance } from '../../test/conformance/data-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import { hashMlpContext, VectorWorld } from '../../test/support/vector-world.ts';
import plugin, { AnnRefreshSampler } from './ann-refresh-sampler.ts';

beforeAll(async () => {
  await useBackend();
});

/** The mined negatives of a one-query batch: every candidate but the query's own positive. */
function negatives(b: Batch): number[] {
  const qi = Number(b.queries[0]!.slice(1));
  return Array.from(b.itemIds).filter((id) => id !== qi);
}

async function sampler(world: VectorWorld, params: Record<string, unknown>) {
  const s = instantiate<AnnRefreshSampler>(plugin, { candidatesPerQuery: 1, ...params }, { seed: 5 });
  await s.init(world.data, { batchQueries: 1, encode: world.encode });
  return s;
}

describe('ann-refresh sampler', () => {
  it('draws negatives from the model’s top-k, and from the new top-k after a refresh', async () => {
    const world = new VectorWorld(60, 12, 8, 1);
    const s = await sampler(world, { topK: 3, negatives: 2, refreshEvery: 12 });
    const before: number[][] = [];
    for (let step = 0; step < 12; step++) {
      const b = await s.next(step);
      const qi = Number(b.queries[0]!.slice(1));
      const neg = negatives(b);
      expect(neg).toHaveLength(2);
      for (const id of neg) expect(world.top(qi, 3)).toContain(id);
      before[qi] = neg;
    }
    const encodedOnce = world.encoded.item;
    expect(encodedOnce).toBe(60);

    // a training update: until the next refresh the stale pools stay in use
    const stalePools = before.map((_, qi) => world.top(qi, 3));
    world.redraw(2);
    const changed: boolean[] = [];
    for (let step = 12; step < 24; step++) {
      const b = await s.next(step);
      const qi = Number(b.queries[0]!.slice(1));
      for (const id of negatives(b)) expect(world.top(qi, 3)).toContain(id);
      changed.push(negatives(b).some((id) => !stalePools[qi]!.includes(id)));
    }
    expect(world.encoded.item).toBe(2 * encodedOnce);
    expect(changed).toContain(true);
  });

  it('never mines a query’s own relevant items and keeps the in-batch picks', async () => {
    const world = new VectorWorld(30, 6, 4, 3);
    const s = await sampler(world, { topK: 29, negatives: 29, refreshEvery: 100 });
    const b = await s.next(0);
    const qi = Number(b.queries[0]!.slice(1));
    expect(b.grades[b.itemIds.indexOf(qi)]).toBe(1);
    expect(b.itemIds.length).toBe(30);
    expect(Array.from(b.grades).filter((g) => g === 0)).toHaveLength(29);
  });

  it('needs the encoder', async () => {
    const s = instantiate<AnnRefreshSampler>(plugin, {});
    await expect(s.init(new VectorWorld(4, 2, 2, 1).data, { batchQueries: 2 })).rejects.toThrow(/encoder/);
  });
});

describeSamplerConformance(plugin, { refreshEvery: 2 }, hashMlpContext());
