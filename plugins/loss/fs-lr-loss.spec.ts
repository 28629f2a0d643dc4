import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import fsLrDescriptor, { fsLr } from './fs-lr-loss.ts';
import { evaluateLoss, expectClose, randomLossCase, type ReferenceLoss, referenceWithGradients } from '../../test/support/loss-check.ts';

describeLossConformance(fsLrDescriptor);
describeLossConformance(fsLrDescriptor, { params: { learnTemperature: false, temperature: 0.2 } });

describe('fs-lr plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('computes the pairwise logistic loss at its temperature and needs graded labels', () => {
    const loss = instantiate(fsLrDescriptor, { temperature: 0.5 });
    const v = tf.tidy(() => loss.compute(tf.tensor2d([[0.4, 0.5, 0.1]]), tf.tensor2d([[2, 1, 0]], [1, 3], 'int32'), { positiveGrade: 1 }).dataSync()[0]!);
    const pair = (hi: number, lo: number) => Math.log(1 + Math.exp(-(hi - lo) / 0.5));
    expect(v).toBeCloseTo((pair(0.4, 0.5) + pair(0.4, 0.1) + pair(0.5, 0.1)) / 3, 5);
    expect(loss.variables()).toHaveLength(1);
    expect(loss.stats().temperature).toBeCloseTo(0.5, 6);
    loss.dispose();
    expect(fsLrDescriptor.requires?.map((r) => r.trait)).toEqual(['graded-labels']);
  });
});

beforeAll(async () => {
  await useBackend();
});

/** Straight from the definition: mean over ordered pairs with grade_i > grade_j >= 0 of log(1 + e^{-(s_i - s_j)/τ}). */
const reference: ReferenceLoss = (scores, grades, Q, C, tau) => {
  let total = 0;
  let pairs = 0;
  for (let q = 0; q < Q; q++) {
    for (let i = 0; i < C; i++) {
      for (let j = 0; j < C; j++) {
        const gi = grades[q * C + i]!;
        const gj = grades[q * C + j]!;
        if (gj < 0 || gi <= gj) continue;
        total += Math.log(1 + Math.exp(-(scores[q * C + i]! - scores[q * C + j]!) / tau));
        pairs++;
      }
    }
  }
  return pairs === 0 ? 0 : total / pairs;
};

const run = (s: tf.Tensor2D, g: tf.Tensor2D, tau: tf.Scalar) => fsLr(s, g, { temperature: tau });

describe('fsLr', () => {
  it('averages a logistic loss over the pairs with different grades only', () => {
    // grades 2, 1, 1, -1: pairs (0,1), (0,2); the tied grade-1 entries and the excluded one form none
    const s = [0.4, 0.5, 0.1, 0.9];
    const tau = 0.5;
    const expected = (Math.log(1 + Math.exp(-(0.4 - 0.5) / tau)) + Math.log(1 + Math.exp(-(0.4 - 0.1) / tau))) / 2;
    const out = evaluateLoss({ Q: 1, C: 4, scores: Float32Array.from(s), grades: Int32Array.from([2, 1, 1, -1]) }, tau, run);
    expect(out.loss).toBeCloseTo(expected, 5);
    expect(out.dScores[3]).toBe(0);
  });

  it.each([
    [1, 0.05],
    [2, 0.1],
    [3, 0.3],
    [4, 1],
    [5, 0.02],
  ])('matches the brute-force reference in value and gradients (seed %i, τ %f)', (seed, tau) => {
    const c = randomLossCase(seed);
    const out = evaluateLoss(c, tau, run);
    const ref = referenceWithGradients(c, tau, reference);
    expect(ref.loss).toBeGreaterThan(0);
    expectClose([out.loss], [ref.loss], 1e-5);
    expectClose(out.dScores, ref.dScores, 1e-5);
    expectClose([out.dTemperature], [ref.dTemperature], 1e-5);
  });

  it('stays finite for large score gaps at a small temperature', () => {
    const out = evaluateLoss({ Q: 1, C: 2, scores: Float32Array.from([-1, 1]), grades: Int32Array.from([1, 0]) }, 0.01, run);
    expect(out.loss).toBeCloseTo(200, 3);
    expect(Array.from(out.dScores).every(Number.isFinite)).toBe(true);
  });

  it('is zero with zero gradients when no pair has different grades', () => {
    const out = evaluateLoss({ Q: 2, C: 2, scores: Float32Array.from([0.1, 0.5, 0.2, 0.3]), grades: Int32Array.from([1, 1, 2, -1]) }, 0.1, run);
    expect(out.loss).toBe(0);
    expect(Array.from(out.dScores).every((d) => d === 0)).toBe(true);
  });

  it('rejects mismatched shapes and leaves no tensors behind', () => {
    tf.tidy(() => {
      expect(() => fsLr(tf.zeros([2, 3]), tf.zeros([2, 4], 'int32'), { temperature: 0.1 })).toThrow(/does not match/);
    });
    const c = randomLossCase(4);
    evaluateLoss(c, 0.05, run);
    const before = tf.memory().numTensors;
    evaluateLoss(c, 0.05, run);
    expect(tf.memory().numTensors).toBe(before);
  });
});
