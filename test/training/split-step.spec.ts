import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import hfBert from '../../plugins/encoder/hf-bert-encoder.ts';
import transformer from '../../plugins/encoder/transformer-encoder.ts';
import infoNce from '../../plugins/loss/info-nce-loss.ts';
import { matMul2d } from '../../src/backend/ops.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import type { Loss } from '../../src/extension-points/loss.ts';
import { gradsThroughHostLoss } from '../../src/training/host-loss-step.ts';
import { instantiate } from '../support/instantiate.ts';
import { useBackend } from '../support/tf.ts';
import { writeTinyBert } from '../support/tiny-bert.ts';

/**
 * The split training step (what WebGPU runs: scores, the host-side loss, then the towers' forward
 * pass again for their gradient) must give the one-pass tape's loss and gradients, also for
 * encoders that draw dropout masks: the second forward pass has to draw the first one's masks. Both
 * paths run here on the test backend, each on its own encoder built with the same seed (same
 * weights, same mask streams).
 */
beforeAll(async () => {
  await useBackend();
});

const queries = ['fox den', 'red blue whale', 'whale song', 'owl night hunt'];
const items = ['fox den red', 'red blue whale song', 'whale song owl', 'owl night hunt the'];

async function step(encoder: Encoder, split: boolean): Promise<{ loss: number; grads: Float32Array[] }> {
  const loss = instantiate<Loss>(infoNce, {}, { seed: 3 });
  const grades = tf.tensor2d([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], [4, 4], 'int32');
  const variables = [...encoder.variables(), ...loss.variables()].filter((v) => v.trainable);
  const lossVariables = new Set(loss.variables());
  const q = encoder.prepare(queries, 'query');
  const d = encoder.prepare(items, 'item');
  const scoresOf = () => matMul2d(encoder.embed(q), encoder.embed(d), false, true);
  const lossOf = (s: tf.Tensor2D) => loss.compute(s, grades, { positiveGrade: 1 });
  const out = split
    ? await gradsThroughHostLoss(scoresOf, lossOf, variables.filter((v) => lossVariables.has(v)), variables.filter((v) => !lossVariables.has(v)), [])
    : tf.variableGrads(() => lossOf(scoresOf()), variables);
  const grads = await Promise.all(variables.map(async (v) => (await out.grads[v.name]!.data()) as Float32Array));
  const value = (await out.value.data())[0]!;
  tf.dispose([out.value, ...Object.values(out.grads), grades, ...q.leaves, ...d.leaves]);
  loss.dispose?.();
  return { loss: value, grads };
}

async function expectSameStep(make: () => Encoder): Promise<void> {
  const [a, b] = [make(), make()];
  try {
    const direct = await step(a, false);
    const split = await step(b, true);
    expect(split.loss).toBeCloseTo(direct.loss, 6);
    expect(split.grads).toHaveLength(direct.grads.length);
    direct.grads.forEach((g, i) => {
      const h = split.grads[i]!;
      const norm = Math.hypot(...g);
      const diff = Math.hypot(...Array.from(g, (x, j) => x - h[j]!));
      expect(diff).toBeLessThanOrEqual(1e-5 * norm + 1e-9);
    });
    // and a second step on each still agrees: the streams stand at the same place after either path
    const [direct2, split2] = [await step(a, false), await step(b, true)];
    expect(split2.loss).toBeCloseTo(direct2.loss, 6);
  } finally {
    a.dispose();
    b.dispose();
  }
}

describe('the split training step', () => {
  it('gives the one-pass gradients of a BERT tower with hidden and attention dropout', async () => {
    const model = await writeTinyBert({ hidden: 16, layers: 2, heads: 4 });
    await expectSameStep(() => instantiate<Encoder>(hfBert, { model, dropout: 0.2, attentionDropout: 0.2 }, { seed: 5 }));
  });

  it('gives the one-pass gradients of the transformer encoder with dropout', async () => {
    await expectSameStep(() => instantiate<Encoder>(transformer, { dim: 16, layers: 1, heads: 2, ffnDim: 32, buckets: 512, dropout: 0.3 }, { seed: 5 }));
  });
});
