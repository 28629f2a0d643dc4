import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import softmaxCeDescriptor, { softmaxCe, type TargetWeighting } from './softmax-ce-loss.ts';
import { evaluateLoss, expectClose, logSumExp, randomLossCase, type ReferenceLoss, referenceWithGradients } from '../../test/support/loss-check.ts';

describeLossConformance(softmaxCeDescriptor);
describeLossConformance(softmaxCeDescriptor, { params: { targetWeighting: 'exponential', learnTemperature: false } });

describe('softmax-ce plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  const value = (params: Record<string, unknown>) => {
    const loss = instantiate(softmaxCeDescriptor, { temperature: 1, ...params });
    const v = tf.tidy(() => loss.compute(tf.tensor2d([[0.9, 0.5, 0.1]]), tf.tensor2d([[2, 1, 0]], [1, 3], 'int32'), { positiveGrade: 1 }).dataSync()[0]!);
    loss.dispose();
    return v;
  };

  it('weights targets by grade as configured', () => {
    const lse = Math.log(Math.exp(0.9) + Math.exp(0.5) + Math.exp(0.1));
    // linear targets 2/3, 1/3; exponential (2^g - 1) targets 3/4, 1/4
    expect(value({})).toBeCloseTo((2 / 3) * (lse - 0.9) + (1 / 3) * (lse - 0.5), 5);
    expect(value({ targetWeighting: 'exponential' })).toBeCloseTo((3 / 4) * (lse - 0.9) + (1 / 4) * (lse - 0.5), 5);
  });

  it('rejects an unknown weighting and a start temperature outside its range', () => {
    expect(softmaxCeDescriptor.schema.safeParse({ targetWeighting: 'cubic' }).success).toBe(false);
    expect(softmaxCeDescriptor.schema.safeParse({ temperature: 2 }).success).toBe(false);
  });
});

beforeAll(async () => {
  await useBackend();
});

/** Straight from the definition: per row, cross-entropy of softmax(s/τ) against normalised grade weights. */
const reference =
  (weighting: TargetWeighting): ReferenceLoss =>
  (scores, grades, Q, C, tau) => {
    const weight = (g: number) => (weighting === 'linear' ? g : Math.pow(2, g) - 1);
    let total = 0;
    let rows = 0;
    for (let q = 0; q < Q; q++) {
      const idx = [...Array(C).keys()].map((c) => q * C + c).filter((i) => grades[i]! >= 0);
      const w = idx.map((i) => weight(grades[i]!));
      const sum = w.reduce((a, b) => a + b, 0);
      if (sum === 0) continue;
      const lse = logSumExp(idx.map((i) => scores[i]! / tau));
      idx.forEach((i, j) => (total -= (w[j]! / sum) * (scores[i]! / tau - lse)));
      rows++;
    }
    return rows === 0 ? 0 : total / rows;
  };

const run = (weighting: TargetWeighting) => (s: tf.Tensor2D, g: tf.Tensor2D, tau: tf.Scalar) => softmaxCe(s, g, { temperature: tau, targetWeighting: weighting });

describe('softmaxCe', () => {
  it('puts higher grades in the denominator of lower ones (one softmax per row)', () => {
    // grades 2, 1, 0, linear targets 2/3, 1/3, 0
    const s = [0.9, 0.5, 0.1];
    const tau = 0.1;
    const lse = logSumExp(s.map((x) => x / tau));
    const expected = (2 / 3) * (lse - s[0]! / tau) + (1 / 3) * (lse - s[1]! / tau);
    const out = evaluateLoss({ Q: 1, C: 3, scores: Float32Array.from(s), grades: Int32Array.from([2, 1, 0]) }, tau, run('linear'));
    expect(out.loss).toBeCloseTo(expected, 5);
  });

  it.each([
    [1, 'linear', 0.05],
    [2, 'linear', 0.3],
    [3, 'exponential', 0.1],
    [4, 'exponential', 1],
    [5, 'linear', 0.02],
  ] as const)('matches the brute-force reference in value and gradients (seed %i, %s, τ %f)', (seed, weighting, tau) => {
    const c = randomLossCase(seed);
    const out = evaluateLoss(c, tau, run(weighting));
    const ref = referenceWithGradients(c, tau, reference(weighting));
    expect(ref.loss).toBeGreaterThan(0);
    expectClose([out.loss], [ref.loss], 1e-5);
    expectClose(out.dScores, ref.dScores, 1e-5);
    expectClose([out.dTemperature], [ref.dTemperature], 1e-5);
  });

  it('weights grades exponentially when asked, which changes the value', () => {
    const c = randomLossCase(6);
    expect(Math.abs(evaluateLoss(c, 0.1, run('linear')).loss - evaluateLoss(c, 0.1, run('exponential')).loss)).toBeGreaterThan(1e-3);
  });

  it('skips rows whose targets are all zero and returns 0 with zero gradients when none remain', () => {
    const c = { Q: 2, C: 3, scores: Float32Array.from([0.1, 0.5, -0.2, 0.3, 0.3, 0.9]), grades: Int32Array.from([0, 0, -1, -1, 0, 1]) };
    const out = evaluateLoss(c, 0.1, run('linear'));
    // only row 1 contributes: -log softmax of its grade-1 entry against its grade-0 one
    expect(out.loss).toBeCloseTo(Math.log(1 + Math.exp((0.3 - 0.9) / 0.1)), 5);
    expect(Array.from(out.dScores.slice(0, 3)).every((d) => d === 0)).toBe(true);
    const none = evaluateLoss({ ...c, grades: Int32Array.from([0, 0, -1, -1, 0, 0]) }, 0.1, run('linear'));
    expect(none.loss).toBe(0);
    expect(Array.from(none.dScores).every((d) => d === 0)).toBe(true);
  });

  it('rejects mismatched shapes and an unknown weighting, and leaves no tensors behind', () => {
    tf.tidy(() => {
      expect(() => softmaxCe(tf.zeros([2, 3]), tf.zeros([2, 4], 'int32'), { temperature: 0.1 })).toThrow(/does not match/);
      expect(() => softmaxCe(tf.zeros([1, 2]), tf.zeros([1, 2], 'int32'), { temperature: 0.1, targetWeighting: 'cubic' as TargetWeighting })).toThrow(/targetWeighting/);
    });
    const c = randomLossCase(4);
    evaluateLoss(c, 0.05, run('linear'));
    const before = tf.memory().numTensors;
    evaluateLoss(c, 0.05, run('linear'));
    expect(tf.memory().numTensors).toBe(before);
  });
});
