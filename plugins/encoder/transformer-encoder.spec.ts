import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEncoderConformance } from '../../test/conformance/encoder-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import { ToySampler, toyTask } from '../../test/support/toy-task.ts';
import { TrainSettings } from '../../src/config/trial-config.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import { train } from '../../src/training/trainer.ts';
import hInfoNce from '../loss/h-info-nce-loss.ts';
import transformer from './transformer-encoder.ts';

const small = { buckets: 1024, dim: 16, heads: 2, ffnDim: 32, maxLen: 12 };

describeEncoderConformance(transformer, { params: small });
describeEncoderConformance(transformer, { params: { ...small, sharedTowers: false, layers: 1, activation: 'relu' } });

/** Rows of `embed` for `texts` prepared as one batch. */
function embedBatch(encoder: Encoder, texts: string[]): number[][] {
  const input = encoder.prepare(texts, 'query');
  const rows = tf.tidy(() => encoder.embed(input).arraySync());
  tf.dispose(input.leaves);
  return rows;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, digits = 5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]!).toBeCloseTo(b[i]!, digits);
}

const task = toyTask({ items: 48, words: 8 });

async function trainOn(encoder: Encoder, steps: number, seed = 1) {
  const loss = instantiate(hInfoNce, {}, { seed });
  const settings = TrainSettings.parse({ steps, lr: 0.01, logEvery: 1 });
  const result = await train({ encoder, loss, sampler: new ToySampler(task, 12, seed, 1), items: task.items, settings, lossContext: { positiveGrade: 1 } });
  loss.dispose?.();
  return result;
}

describe('transformer encoder', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('gives a text the same embedding however far its batch is padded, and ignores tokens past maxLen', async () => {
    const encoder = instantiate(transformer, small);
    const text = 'red running shoes';
    const [alone] = embedBatch(encoder, [text]);
    const [padded] = embedBatch(encoder, [text, 'a much longer text that pads the batch to eleven positions']);
    expectClose(padded!, alone!);
    const twelve = Array.from({ length: 12 }, (_, i) => `w${i}`).join(' ');
    const [truncated, longer] = await Promise.all([encoder.encode([twelve], 'item'), encoder.encode([`${twelve} extra words here`], 'item')]);
    expectClose(longer, truncated);
    // word order matters, unlike a bag of words
    const [ab, ba] = await Promise.all([encoder.encode(['hello world'], 'item'), encoder.encode(['world hello'], 'item')]);
    expect(Array.from(ab)).not.toEqual(Array.from(ba));
    encoder.dispose();
  });

  it('encodes a text alike on both sides with shared towers, differently with separate towers, after training', async () => {
    const shared = instantiate(transformer, small);
    const separate = instantiate(transformer, { ...small, sharedTowers: false });
    await trainOn(shared, 2);
    await trainOn(separate, 2);
    const texts = ['the same words', task.queries[0]!];
    expect(Array.from(await shared.encode(texts, 'query'))).toEqual(Array.from(await shared.encode(texts, 'item')));
    const [q, d] = await Promise.all([separate.encode(texts, 'query'), separate.encode(texts, 'item')]);
    expect(Array.from(q).some((x, i) => Math.abs(x - d[i]!) > 1e-3)).toBe(true);
    expect(separate.variables()).toHaveLength(2 * shared.variables().length);
    expect(separate.parameterCount()).toBe(2 * shared.parameterCount());
    shared.dispose();
    separate.dispose();
  });

  it.each([true, false])('sends a gradient to every variable and to the token embeddings (sharedTowers %s)', (sharedTowers) => {
    const encoder = instantiate(transformer, { ...small, sharedTowers });
    const q = encoder.prepare(task.queries.slice(0, 4), 'query');
    const d = encoder.prepare(task.items.texts.slice(0, 4), 'item');
    const leaves = [...q.leaves, ...d.leaves].map((l) => tf.variable(l, true));
    const vars = [...encoder.variables(), ...leaves];
    const { value, grads } = tf.variableGrads(() => {
      const scores = tf.matMul(encoder.embed({ ...q, leaves: [leaves[0]!] }), encoder.embed({ ...d, leaves: [leaves[1]!] }), false, true);
      // softmax cross-entropy towards the diagonal, so no gradient cancels by symmetry
      return tf.losses.softmaxCrossEntropy(tf.eye(4), scores) as tf.Scalar;
    }, vars);
    const norms = vars.map((v) => (grads[v.name] ? tf.tidy(() => tf.norm(grads[v.name]!).dataSync()[0]!) : 0));
    norms.forEach((n, i) => expect(n, vars[i]!.name).toBeGreaterThan(0));
    tf.dispose([value, ...Object.values(grads), ...leaves, ...q.leaves, ...d.leaves]);
    encoder.dispose();
  });

  it.each([true, false])('freezes the item tower: item embeddings stay bit-identical through training, query embeddings move (sharedTowers %s)', async (sharedTowers) => {
    const encoder = instantiate(transformer, { ...small, sharedTowers });
    await trainOn(encoder, 2);
    const texts = [...task.queries.slice(0, 3), ...task.items.texts.slice(0, 3), 'a text no step trains on'];
    const [items, queries] = [await encoder.encode(texts, 'item'), await encoder.encode(texts, 'query')];
    const trainable = encoder.variables().length;
    encoder.freeze!('item');
    // shared towers: the query side keeps the original weights and the item side a frozen copy
    expect(encoder.variables()).toHaveLength(sharedTowers ? trainable : trainable / 2);
    // the trainer still prepares and differentiates the item side here (no frozen batch), so the freeze alone must hold it
    await trainOn(encoder, 3, 2);
    expect(Array.from(await encoder.encode(texts, 'item'))).toEqual(Array.from(items));
    expect(Array.from(await encoder.encode(texts, 'query')).some((x, i) => Math.abs(x - queries[i]!) > 1e-4)).toBe(true);
    encoder.dispose();
  });

  it('learns the toy task: the loss falls', async () => {
    const encoder = instantiate(transformer, small);
    const { curves } = await trainOn(encoder, 30);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(curves.loss.slice(-5))).toBeLessThan(0.7 * mean(curves.loss.slice(0, 5)));
    encoder.dispose();
  });

  it('draws dropout masks from the trial seed: the same seed trains the same, and training differs from inference', async () => {
    const runs: number[][] = [];
    for (const seed of [3, 3]) {
      const encoder = instantiate(transformer, { ...small, dropout: 0.2 }, { seed });
      runs.push((await trainOn(encoder, 3, seed)).curves.loss);
      const input = encoder.prepare(['dropout is on in training'], 'item');
      const trained = tf.tidy(() => encoder.embed(input).arraySync()[0]!);
      tf.dispose(input.leaves);
      expect(trained).not.toEqual(Array.from(await encoder.encode(['dropout is on in training'], 'item')));
      encoder.dispose();
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('rejects a width the heads do not divide, and keeps defaults small', () => {
    expect(transformer.schema.safeParse({ dim: 30, heads: 4 }).success).toBe(false);
    expect(transformer.schema.parse({})).toMatchObject({ layers: 2, dropout: 0, sharedTowers: true });
  });
});
