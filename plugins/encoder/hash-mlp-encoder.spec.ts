import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEncoderConformance } from '../../test/conformance/encoder-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import hashMlp from './hash-mlp-encoder.ts';

const small = { buckets: 4096, embDim: 16, hidden: [32], dim: 16 };

describeEncoderConformance(hashMlp, { params: small });
describeEncoderConformance(hashMlp, { params: { ...small, sharedTowers: false, hidden: [], bigrams: false } });

describe('hash-mlp encoder', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('encodes a text the same on both sides when the towers are shared, differently when not', async () => {
    const shared = instantiate(hashMlp, small);
    const separate = instantiate(hashMlp, { ...small, sharedTowers: false });
    const texts = ['the same words'];
    expect(Array.from(await shared.encode(texts, 'query'))).toEqual(Array.from(await shared.encode(texts, 'item')));
    expect(Array.from(await separate.encode(texts, 'query'))).not.toEqual(Array.from(await separate.encode(texts, 'item')));
    expect(separate.variables()).toHaveLength(2 * shared.variables().length);
    shared.dispose();
    separate.dispose();
  });

  it('freezes one side: its weights leave variables(), its sparse updates are ignored, its outputs stay', async () => {
    for (const sharedTowers of [true, false]) {
      const encoder = instantiate(hashMlp, { ...small, sharedTowers });
      const texts = ['red shoes', 'blue bike'];
      const before = await encoder.encode(texts, 'item');
      const queryBefore = await encoder.encode(texts, 'query');
      const trainable = encoder.variables().length;
      encoder.freeze!('item');
      // shared towers: the query side keeps the original weights and the item side a frozen copy
      expect(encoder.variables()).toHaveLength(sharedTowers ? trainable : trainable / 2);
      const adam = { lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, step: 1 };
      for (const side of ['query', 'item'] as const) {
        const input = encoder.prepare(texts, side);
        encoder.applySparse(input, [tf.onesLike(input.leaves[0]!)], adam);
        tf.dispose(input.leaves);
      }
      for (const v of encoder.variables()) v.assign(tf.add(v, 0.05));
      expect(Array.from(await encoder.encode(texts, 'item'))).toEqual(Array.from(before));
      expect(Array.from(await encoder.encode(texts, 'query'))).not.toEqual(Array.from(queryBefore));
      encoder.dispose();
    }
  });

  it('prepares items by id exactly as from their texts', () => {
    const encoder = instantiate(hashMlp, small);
    const items = { texts: ['red shoes', 'blue bike', 'red bike, blue shoes', ''], corpusSize: 4 };
    const ids = Int32Array.from([2, 0, 3, 2]);
    const byId = encoder.prepareItems!(ids, items);
    const byText = encoder.prepare(Array.from(ids, (i) => items.texts[i]!), 'item');
    expect(byId.side).toBe('item');
    expect(byId.size).toBe(4);
    expect(Array.from(byId.leaves[0]!.dataSync())).toEqual(Array.from(byText.leaves[0]!.dataSync()));
    tf.dispose([...byId.leaves, ...byText.leaves]);
    encoder.dispose();
  });

  it('counts its parameters: tables plus MLP weights', () => {
    const encoder = instantiate(hashMlp, small);
    expect(encoder.parameterCount()).toBe(4096 * 16 + (16 * 32 + 32) + (32 * 16 + 16));
    encoder.dispose();
  });

  it('ignores case and punctuation, but not word order when bigrams are on', async () => {
    const encoder = instantiate(hashMlp, small);
    const [a, b, c] = await Promise.all([encoder.encode(['Hello, World!'], 'query'), encoder.encode(['hello world'], 'query'), encoder.encode(['world hello'], 'query')]);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(c)).not.toEqual(Array.from(b));
    const unordered = instantiate(hashMlp, { ...small, bigrams: false });
    const [d, e] = await Promise.all([unordered.encode(['hello world'], 'query'), unordered.encode(['world hello'], 'query')]);
    expect(Array.from(d)).toEqual(Array.from(e));
    encoder.dispose();
    unordered.dispose();
  });

  it('gives a different initialisation for another seedOffset', async () => {
    const a = instantiate(hashMlp, small);
    const b = instantiate(hashMlp, { ...small, seedOffset: 1 });
    expect(Array.from(await a.encode(['x y'], 'item'))).not.toEqual(Array.from(await b.encode(['x y'], 'item')));
    a.dispose();
    b.dispose();
  });

  it('defaults to the reference size: 2^18 buckets, 64-wide rows, [256] hidden, 128 out', () => {
    expect(hashMlp.schema.parse({})).toMatchObject({ buckets: 262144, embDim: 64, hidden: [256], dim: 128, bigrams: true, sharedTowers: true });
  });
});
