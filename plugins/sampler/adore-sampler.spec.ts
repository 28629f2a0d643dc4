import { beforeAll, describe, expect, it } from 'vitest';
import { TrainSettings } from '../../src/config/trial-config.ts';
import type { TrainingSet } from '../../src/extension-points/samples.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import type { Loss } from '../../src/extension-points/loss.ts';
import { train } from '../../src/training/trainer.ts';
import { describeSamplerConformance } from '../../test/conformance/data-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import { toyTask } from '../../test/support/toy-task.ts';
import { hashMlpContext, VectorWorld } from '../../test/support/vector-world.ts';
import hashMlp from '../encoder/hash-mlp-encoder.ts';
import infoNce from '../loss/info-nce-loss.ts';
import plugin, { AdoreSampler } from './adore-sampler.ts';

beforeAll(async () => {
  await useBackend();
});

const task = toyTask({ items: 48 });
const data: TrainingSet = {
  items: task.items,
  lists: task.queries.map((query, i) => ({ query, itemIds: [i], grades: [1] })),
  originCounts: {},
  gradeCounts: {},
};

/** Trains 8 steps (4 STAR, 4 ADORE) and snapshots both towers' outputs after steps 0, 3 and 7. */
async function run(sharedTowers: boolean) {
  const encoder = instantiate<Encoder>(hashMlp, { buckets: 2048, embDim: 16, hidden: [32], dim: 16, sharedTowers });
  const loss = instantiate<Loss>(infoNce, {});
  const sampler = instantiate<AdoreSampler>(plugin, { negatives: 3 }, { seed: 2 });
  const settings = TrainSettings.parse({ steps: 8, batchQueries: 8, lr: 0.01 });
  await sampler.init(data, { batchQueries: 8, steps: 8, encode: (t, side) => encoder.encode(t, side) });
  const frozenAt: boolean[] = [];
  const snap: Record<number, { items: Float32Array; queries: Float32Array }> = {};
  const original = sampler.next.bind(sampler);
  sampler.next = async (step) => {
    const b = await original(step);
    frozenAt[step] = b.frozen === 'item';
    return b;
  };
  await train({
    encoder,
    loss,
    sampler,
    items: data.items,
    settings,
    lossContext: { positiveGrade: 1 },
    onStep: async (step) => {
      if ([0, 3, 7].includes(step)) snap[step] = { items: await encoder.encode(task.items.texts, 'item'), queries: await encoder.encode(task.queries, 'query') };
    },
  });
  sampler.dispose();
  encoder.dispose();
  loss.dispose?.();
  return { frozenAt, snap };
}

describe('adore sampler', () => {
  for (const sharedTowers of [true, false]) {
    it(`keeps the item tower fixed in the ADORE phase and trains the query tower (sharedTowers ${sharedTowers})`, async () => {
      const { frozenAt, snap } = await run(sharedTowers);
      expect(frozenAt).toEqual([false, false, false, false, true, true, true, true]);
      // STAR trains both towers
      expect(snap[3]!.items).not.toEqual(snap[0]!.items);
      // ADORE: item embeddings bit-identical, query embeddings moved
      expect(snap[7]!.items).toEqual(snap[3]!.items);
      expect(snap[7]!.queries).not.toEqual(snap[3]!.queries);
    });
  }

  it('mines each query’s top non-relevant items with the current query tower in the ADORE phase', async () => {
    const world = new VectorWorld(40, 8, 6, 7);
    const s = instantiate<AdoreSampler>(plugin, { candidatesPerQuery: 1, negatives: 2, starFraction: 0.5 }, { seed: 1 });
    await s.init(world.data, { batchQueries: 1, steps: 16, encode: world.encode });
    const star = await s.next(0);
    expect(star.frozen).toBeUndefined();
    const adore = await s.next(8);
    const qi = Number(adore.queries[0]!.slice(1));
    expect(adore.frozen).toBe('item');
    expect(Array.from(adore.itemIds).filter((id) => id !== qi)).toEqual(world.top(qi, 2));
    s.dispose();
  });
});

describeSamplerConformance(plugin, {}, hashMlpContext(4));
