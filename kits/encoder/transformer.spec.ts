import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../test/support/tf.ts';
import { Rng } from '../../src/core/rng.ts';
import { gelu, layerNorm, paddingMasks, TransformerStack } from './transformer.ts';

beforeAll(async () => {
  await useBackend();
});

function close(a: tf.Tensor, b: tf.Tensor, digits = 4) {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  x.forEach((v, i) => expect(v).toBeCloseTo(y[i]!, digits));
}

describe('layerNorm', () => {
  it('matches the autodiff formula in value and in all three gradients', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([5, 6], 1, 2, 'float32', 1) as tf.Tensor2D;
      const gamma = tf.randomNormal([6], 1, 0.5, 'float32', 2) as tf.Tensor1D;
      const beta = tf.randomNormal([6], 0, 1, 'float32', 3) as tf.Tensor1D;
      const weights = tf.randomNormal([5, 6], 0, 1, 'float32', 4);
      const reference = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const centred = tf.sub(xi, tf.mean(xi, 1, true));
        return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(tf.mean(tf.square(centred), 1, true), 1e-5))), g), b);
      };
      const ours = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        layerNorm(xi as tf.Tensor2D, { gamma: g, beta: b } as unknown as Parameters<typeof layerNorm>[1]);
      close(ours(x, gamma, beta), reference(x, gamma, beta));
      const grad = (f: typeof reference) => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), weights)))([x, gamma, beta]);
      const [gx, gg, gb] = grad(ours);
      const [rx, rg, rb] = grad(reference);
      close(gx!, rx!);
      close(gg!, rg!);
      close(gb!, rb!);
    });
  });
});

describe('gelu', () => {
  /** Abramowitz & Stegun 7.1.26, accurate to 1.5e-7. */
  const erf = (x: number) => {
    const t = 1 / (1 + 0.3275911 * Math.abs(x));
    const y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
    return Math.sign(x) * y;
  };
  it('stays within 0.021 of the exact x·Φ(x) and is 0 at 0', () => {
    const xs = Array.from({ length: 81 }, (_, i) => -8 + i * 0.2);
    const y = gelu(tf.tensor2d(xs, [1, xs.length]));
    const values = y.dataSync();
    xs.forEach((x, i) => expect(Math.abs(values[i]! - 0.5 * x * (1 + erf(x / Math.SQRT2)))).toBeLessThan(0.021));
    expect(values[40]).toBe(0);
    y.dispose();
  });
});

describe('paddingMasks', () => {
  it('masks keys past each length and pools over the real positions only', () => {
    const { keyBias, poolWeights } = paddingMasks(Int32Array.from([2, 0, 3]), 3);
    expect(Array.from(keyBias.dataSync())).toEqual([0, 0, -1e9, -1e9, -1e9, -1e9, 0, 0, 0]);
    expectCloseArray(poolWeights.dataSync(), [0.5, 0.5, 0, 0, 0, 0, 1 / 3, 1 / 3, 1 / 3]);
    tf.dispose([keyBias, poolWeights]);
  });
});

function expectCloseArray(a: ArrayLike<number>, b: number[]) {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(a[i]!).toBeCloseTo(v, 6));
}

describe('TransformerStack', () => {
  const opts = { dim: 8, heads: 2, layers: 2, ffnDim: 16, maxLen: 6, activation: 'gelu' as const, initScale: 0.1 };

  it('maps [B, L, dim] to [B, dim], refuses more positions than maxLen, and frees what it made', () => {
    const net = new TransformerStack({ ...opts, rng: new Rng(1) });
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([3, 4, 8], 0, 1, 'float32', 5) as tf.Tensor3D;
    const y = net.apply(x, Int32Array.from([4, 1, 0]));
    expect(y.shape).toEqual([3, 8]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    const tooLong = tf.zeros([1, 7, 8]) as tf.Tensor3D;
    expect(() => net.apply(tooLong, Int32Array.from([7]))).toThrow(/more than maxLen 6/);
    tf.dispose([x, y, tooLong]);
    expect(tf.memory().numTensors).toBe(before);
    // positions, 2 blocks of 16 (two norms, q, k, v, out, up, down), final norm (2), projection (2)
    expect(net.variables()).toHaveLength(1 + 2 * 16 + 2 + 2);
    expect(net.parameterCount()).toBe(6 * 8 + 2 * (4 * 8 + 3 * (8 * 8 + 8) + 8 * 8 + 8 + 8 * 16 + 16 + 16 * 8 + 8) + 2 * 8 + 8 * 8 + 8);
    net.dispose();
  });

  it('rejects a width the heads do not divide', () => {
    expect(() => new TransformerStack({ ...opts, heads: 3, rng: new Rng(1) })).toThrow(/not divisible/);
  });
});
