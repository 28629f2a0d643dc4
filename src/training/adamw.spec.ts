import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../test/support/tf.ts';
import { noteBackendReads } from '../backend/reads.ts';
import { AdamW, clipByGlobalNorm } from './adamw.ts';
import { learningRate } from './schedule.ts';

beforeAll(async () => {
  await useBackend();
});

const settings = { lr: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.5 };

describe('AdamW', () => {
  it('follows the bias-corrected AdamW recurrence, decaying matrices but not vectors', () => {
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, -2]]), true));
    const b = tf.tidy(() => tf.variable(tf.tensor1d([1, -2]), true));
    const opt = new AdamW();
    const grads = [
      [0.5, 1],
      [-1, 0.25],
    ];
    let m = [0, 0];
    let v = [0, 0];
    let wRef = [1, -2];
    let bRef = [1, -2];
    grads.forEach((g, i) => {
      const step = i + 1;
      tf.tidy(() => opt.apply([w, b], [tf.tensor2d([g]), tf.tensor1d(g)], { ...settings, step }));
      m = m.map((x, j) => 0.9 * x + 0.1 * g[j]!);
      v = v.map((x, j) => 0.99 * x + 0.01 * g[j]! ** 2);
      const upd = m.map((x, j) => (0.1 * (x / (1 - 0.9 ** step))) / (Math.sqrt(v[j]! / (1 - 0.99 ** step)) + 1e-8));
      wRef = wRef.map((x, j) => x * (1 - 0.1 * 0.5) - upd[j]!);
      bRef = bRef.map((x, j) => x - upd[j]!);
    });
    Array.from(w.dataSync()).forEach((x, j) => expect(x).toBeCloseTo(wRef[j]!, 5));
    Array.from(b.dataSync()).forEach((x, j) => expect(x).toBeCloseTo(bRef[j]!, 5));
    opt.dispose();
    tf.dispose([w, b]);
  });

  it('gives each variable its learning-rate multiplier, weight decay included, like a parameter group of its own', () => {
    const start = [[1, -2]];
    const g = [[0.5, 1]];
    const run = (lr: number, multiplier?: number) => {
      const w = tf.tidy(() => tf.variable(tf.tensor2d(start), true));
      const opt = new AdamW();
      for (let step = 1; step <= 2; step++) tf.tidy(() => opt.apply([w], [tf.tensor2d(g)], { ...settings, lr, step }, multiplier === undefined ? undefined : [multiplier]));
      const out = Array.from(w.dataSync());
      opt.dispose();
      w.dispose();
      return out;
    };
    // lr 0.1 × 0.25 is exactly 0.025: the same update as a base rate of 0.025
    expect(run(0.1, 0.25)).toEqual(run(0.025));
    expect(run(0.1, 1)).toEqual(run(0.1));
    expect(run(0.1, 0)).toEqual([1, -2]);
    expect(run(0.1, 0.25)).not.toEqual(run(0.1));
  });

  it('skips variables without a gradient and frees its state on dispose', () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.ones([2, 2]), true));
    const opt = new AdamW();
    opt.apply([w], [undefined], { ...settings, step: 1 });
    expect(Array.from(w.dataSync())).toEqual([1, 1, 1, 1]);
    tf.tidy(() => opt.apply([w], [tf.ones([2, 2])], { ...settings, step: 1 }));
    opt.dispose();
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('updates a launch-bound backend\'s variables together with the very same numbers as one by one', () => {
    const shapes = [[3, 4], [4], [2, 2, 2], [5], [6, 2], [1]];
    const multipliers = [1, 0.5, 1, 0, 1, 0.5];
    const initial = shapes.map((shape, i) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, j) => Math.sin(7 * i + j)));
    const run = (launchBound: boolean) => {
      const backend = tf.getBackend();
      noteBackendReads(backend, true, undefined, launchBound);
      const before = tf.memory().numTensors;
      const vars = tf.tidy(() => shapes.map((shape, i) => tf.variable(tf.tensor(initial[i]!, shape), true)));
      const opt = new AdamW();
      try {
        for (let step = 1; step <= 3; step++) {
          tf.tidy(() => {
            // variable 4 has no gradient at step 2
            const grads = vars.map((v, i) => (i === 4 && step === 2 ? undefined : tf.mul(tf.cos(tf.add(v, step + i)), 0.3)));
            opt.apply(vars, grads, { ...settings, step }, multipliers);
          });
        }
        return vars.map((v) => Array.from(v.dataSync()));
      } finally {
        opt.dispose();
        tf.dispose(vars);
        expect(tf.memory().numTensors).toBe(before);
        noteBackendReads(backend, true);
      }
    };
    const fused = run(true);
    const single = run(false);
    expect(fused).toEqual(single);
    // and the update did something, the multiplier-0 variable excepted
    expect(fused[0]).not.toEqual(Array.from(initial[0]!));
    expect(fused[3]).toEqual(Array.from(initial[3]!));
  });
});

describe('clipByGlobalNorm', () => {
  it('scales all gradients by one factor down to the norm limit, never up', () => {
    const gs = [tf.tensor1d([3, 0]), tf.tensor1d([0, 4])];
    const { clipped, norm } = clipByGlobalNorm(gs, 1);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
    expect(Array.from(clipped[0]!.dataSync())).toEqual([expect.closeTo(0.6, 5), 0]);
    expect(Array.from(clipped[1]!.dataSync())).toEqual([0, expect.closeTo(0.8, 5)]);
    const loose = clipByGlobalNorm(gs, 10);
    expect(Array.from(loose.clipped[1]!.dataSync())).toEqual([0, 4]);
    tf.dispose([...gs, ...clipped, norm, ...loose.clipped, loose.norm]);
  });
});

describe('learningRate', () => {
  const base = { lr: 1, steps: 10, warmupSteps: 2 };
  it('warms up linearly, then holds, or decays linearly or along a cosine', () => {
    expect([0, 1, 2, 9].map((s) => learningRate(s, { ...base, schedule: 'constant' }))).toEqual([0.5, 1, 1, 1]);
    expect(learningRate(2, { ...base, schedule: 'linear' })).toBe(1);
    expect(learningRate(6, { ...base, schedule: 'linear' })).toBeCloseTo(0.5);
    expect(learningRate(6, { ...base, schedule: 'cosine' })).toBeCloseTo(0.5);
    expect(learningRate(4, { ...base, schedule: 'cosine' })).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)));
    expect(learningRate(9, { ...base, schedule: 'linear' })).toBeGreaterThan(0);
  });
});
