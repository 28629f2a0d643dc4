import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import hashMlp from './hash-mlp-encoder.ts';
import transformer from './transformer-encoder.ts';

const small = { buckets: 1024, dim: 16, heads: 2, ffnDim: 32, maxLen: 12, layers: 1 };
const seen = ['red apple pie', 'green apple cider', 'phone repair'];
const unseen = ['words the trained encoder never read', 'zebra'];
const ADAM = { lr: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, step: 1 };

/** An encoder whose token-table rows and network weights moved away from their initial values. */
function trained(params: object, seed: number): Encoder {
  const encoder = instantiate<Encoder>(transformer, params, { seed });
  for (const side of ['query', 'item'] as const) {
    const input = encoder.prepare(seen, side);
    const grad = tf.fill(input.leaves[0]!.shape, 0.3);
    encoder.applySparse(input, [grad], ADAM);
    tf.dispose([grad, ...input.leaves]);
  }
  for (const v of encoder.variables()) v.assign(tf.tidy(() => tf.add(v, 0.01)));
  return encoder;
}

const folder = () => mkdtempSync(join(tmpdir(), 'crops-transformer-'));
const both = async (e: Encoder) => [...(await e.encode([...seen, ...unseen], 'query')), ...(await e.encode([...seen, ...unseen], 'item'))];

describe('transformer save and load', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('restores the exact embeddings of trained towers, token table included, into an encoder with another initialisation', async () => {
    for (const params of [small, { ...small, sharedTowers: false }]) {
      const source = trained(params, 1);
      const dir = folder();
      await source.save!(dir);
      const target = instantiate<Encoder>(transformer, params, { seed: 2 });
      expect(await both(target)).not.toEqual(await both(source));
      await target.load!(dir);
      // unseen texts too: rows never read regenerate from the saved table seed
      expect(await both(target)).toEqual(await both(source));
      source.dispose();
      target.dispose();
    }
  });

  it('stores the rows that were read and the network weights, plus the manifest', async () => {
    const source = trained(small, 1);
    const dir = folder();
    await source.save!(dir);
    expect(readdirSync(dir).sort()).toEqual(['query.net.f32', 'query.table-ids.i32', 'query.table-values.f32', 'transformer.json']);
    const manifest = JSON.parse(readFileSync(join(dir, 'transformer.json'), 'utf8'));
    // the seven distinct words of the seen texts, fewer where hashes collide
    expect(manifest.towers.query.table.stored).toBeGreaterThan(4);
    expect(manifest.towers.query.table.stored).toBeLessThanOrEqual(7);
    expect(readFileSync(join(dir, 'query.table-values.f32')).byteLength).toBe(4 * small.dim * manifest.towers.query.table.stored);
    expect(readFileSync(join(dir, 'query.net.f32')).byteLength).toBe(4 * source.variables().reduce((n, v) => n + v.size, 0));
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
      const target = instantiate<Encoder>(transformer, into, { seed: 3 });
      await target.load!(dir);
      expect(await both(target)).toEqual(await both(source));
      source.dispose();
      target.dispose();
    }
  });

  it('refuses towers saved with other structural params or by another encoder', async () => {
    const source = trained(small, 1);
    const dir = folder();
    await source.save!(dir);
    const moreHeads = instantiate<Encoder>(transformer, { ...small, heads: 4 });
    await expect(moreHeads.load!(dir)).rejects.toThrow(/saved with heads = 2, this encoder has 4/);
    const hashDir = folder();
    const other = instantiate<Encoder>(hashMlp, { buckets: 1024, embDim: 16, hidden: [16], dim: 16 });
    await other.save!(hashDir);
    await expect(moreHeads.load!(hashDir)).rejects.toThrow(/no transformer.json/);
    [source, moreHeads, other].forEach((e) => e.dispose());
  });

  it('encodes synchronously to the same values as encode, across chunks of mixed lengths', async () => {
    const encoder = trained(small, 1);
    const texts = Array.from({ length: 300 }, (_, i) => Array.from({ length: 1 + (i % 15) }, (_, w) => `w${(i * 7 + w) % 50}`).join(' '));
    texts.push('', ...seen, ...unseen);
    for (const side of ['query', 'item'] as const) expect(Array.from(encoder.encodeSync!(texts, side))).toEqual(Array.from(await encoder.encode(texts, side)));
    encoder.dispose();
  });
});
