import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import hashMlp from './hash-mlp-encoder.ts';

const small = { buckets: 4096, embDim: 16, hidden: [32], dim: 16 };
const seen = ['red apple pie', 'green apple cider', 'phone repair'];
const unseen = ['words the trained encoder never read', 'zebra'];
const ADAM = { lr: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, step: 1 };

/** An encoder whose table rows and MLP weights moved away from their initial values. */
function trained(params: object, seed: number): Encoder {
  const encoder = instantiate<Encoder>(hashMlp, params, { seed });
  for (const side of ['query', 'item'] as const) {
    const input = encoder.prepare(seen, side);
    const grad = tf.fill([seen.length, small.embDim], 0.3);
    encoder.applySparse(input, [grad], ADAM);
    grad.dispose();
    for (const t of input.leaves) t.dispose();
  }
  for (const v of encoder.variables()) v.assign(tf.tidy(() => tf.add(v, 0.01)));
  return encoder;
}

const folder = () => mkdtempSync(join(tmpdir(), 'crops-hash-mlp-'));
const both = async (e: Encoder) => [...(await e.encode([...seen, ...unseen], 'query')), ...(await e.encode([...seen, ...unseen], 'item'))];

describe('hash-mlp save and load', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('restores the exact embeddings of trained towers into an encoder with another initialisation', async () => {
    for (const params of [small, { ...small, sharedTowers: false }]) {
      const source = trained(params, 1);
      const dir = folder();
      await source.save!(dir);
      const target = instantiate<Encoder>(hashMlp, params, { seed: 2 });
      expect(await both(target)).not.toEqual(await both(source));
      await target.load!(dir);
      // unseen texts too: rows never read regenerate from the saved table seed
      expect(await both(target)).toEqual(await both(source));
      source.dispose();
      target.dispose();
    }
  });

  it('stores only the rows that were read, plus the manifest', async () => {
    const source = trained(small, 1);
    const dir = folder();
    await source.save!(dir);
    expect(readdirSync(dir).sort()).toEqual(['hash-mlp.json', 'query.mlp.f32', 'query.table-ids.i32', 'query.table-values.f32']);
    const { towers } = JSON.parse(readFileSync(join(dir, 'hash-mlp.json'), 'utf8'));
    // unigrams and bigrams of the three seen texts, fewer where hashes collide
    expect(towers.query.table.stored).toBeGreaterThan(8);
    expect(towers.query.table.stored).toBeLessThanOrEqual(13);
    source.dispose();
  });

  it('loads separate towers into a shared encoder and shared towers into a separate one', async () => {
    for (const [from, into] of [
      [{ ...small, sharedTowers: false }, small],
      [small, { ...small, sharedTowers: false }],
    ]) {
      const source = trained(from!, 1);
      const dir = folder();
      await source.save!(dir);
      const target = instantiate<Encoder>(hashMlp, into, { seed: 3 });
      await target.load!(dir);
      expect(await both(target)).toEqual(await both(source));
      source.dispose();
      target.dispose();
    }
  });

  it('refuses towers saved with other structural params, naming the param', async () => {
    const source = trained(small, 1);
    const dir = folder();
    await source.save!(dir);
    const wider = instantiate<Encoder>(hashMlp, { ...small, hidden: [64] });
    await expect(wider.load!(dir)).rejects.toThrow(/saved with hidden = \[32\], this encoder has \[64\]/);
    await expect(wider.load!(folder())).rejects.toThrow(/no hash-mlp.json/);
    source.dispose();
    wider.dispose();
  });

  it('encodes synchronously to the same values as encode', async () => {
    const encoder = trained(small, 1);
    const texts = [...seen, ...unseen];
    expect(Array.from(encoder.encodeSync!(texts, 'item'))).toEqual(Array.from(await encoder.encode(texts, 'item')));
    encoder.dispose();
  });
});
