import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import nceDescriptor, { nce } from './nce-loss.ts';
import { evaluateLoss, expectClose, randomLossCase, type ReferenceLoss, referenceWithGradients } from '../../test/support/loss-check.ts';

describeLossConformance(nceDescriptor);
describeLossConformance(nceDescriptor, { params: { learnBias: false, bias: -1 }, ctx: { positiveGrade: 3 } });

describe('nce plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  const value = (params: Record<string, unknown>, positiveGrade: number) => {
    const loss = instantiate(nceDescriptor, { temperature: 1, ...params });
    const v = tf.tidy(() => loss.compute(tf.tensor2d([[0.9, 0.5, 0.1]]), tf.tensor2d([[4, 3, 0]], [1, 3], 'int32'), { positiveGrade }).dataSync()[0]!);
    loss.dispose();
    return v;
  };
  const sp = (x: number) => Math.log(1 + Math.exp(x));

  it("splits at the label scheme's positive grade unless its params override it, and applies the bias", () => {
    expect(value({}, 4)).toBeCloseTo(sp(-0.9) + (sp(0.5) + sp(0.1)) / 2, 5);
    expect(value({}, 3)).toBeCloseTo((sp(-0.9) + sp(-0.5)) / 2 + sp(0.1), 5);
    expect(value({ positiveGrade: 4 }, 3)).toBeCloseTo(sp(-0.9) + (sp(0.5) + sp(0.1)) / 2, 5);
    expect(value({ bias: 0.5 }, 4)).toBeCloseTo(sp(-1.4) + (sp(1) + sp(0.6)) / 2, 5);
  });

  it('trains temperature and bias unless fixed, and reports both', () => {
    const both = instantiate(nceDescriptor, { bias: 0.25 });
    expect(both.variables()).toHaveLength(2);
    expect(both.stats()).toEqual({ temperature: expect.closeTo(0.05, 6), bias: 0.25 });
    both.dispose();
    const none = instantiate(nceDescriptor, { learnBias: false, learnTemperature: false });
    expect(none.variables()).toHaveLength(0);
    none.dispose();
  });
});

beforeAll(async () => {
  await useBackend();
});

/** Straight from the definition: mean -log σ(x) over positives plus mean -log σ(-x) over negatives, x = s/τ + b. */
const reference =
  (positiveGrade: number): ReferenceLoss =>
  (scores, grades, _Q, _C, tau, b) => {
    const pos: number[] = [];
    const neg: number[] = [];
    scores.forEach((s, i) => {
      const x = s / tau + b;
      if (grades[i]! >= positiveGrade) pos.push(Math.log(1 + Math.exp(-x)));
      else if (grades[i]! >= 0) neg.push(Math.log(1 + Math.exp(x)));
    });
    const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, v) => a + v, 0) / xs.length);
    return mean(pos) + mean(neg);
  };

const run = (positiveGrade: number) => (s: tf.Tensor2D, g: tf.Tensor2D, tau: tf.Scalar, b: tf.Scalar) => nce(s, g, { temperature: tau, bias: b, positiveGrade });

describe('nce', () => {
  it.each([
    [1, 1, 0.05, 0],
    [2, 1, 0.1, -2],
    [3, 3, 0.3, 1.5],
    [4, 2, 1, 0.3],
    [5, 4, 0.5, -0.7],
  ])('matches the reference in value and gradients (seed %i, positiveGrade %i, τ %f, b %f)', (seed, positiveGrade, tau, b) => {
    const c = randomLossCase(seed);
    const out = evaluateLoss(c, tau, run(positiveGrade), b);
    const ref = referenceWithGradients(c, tau, reference(positiveGrade), b);
    expect(ref.loss).toBeGreaterThan(0);
    expectClose([out.loss], [ref.loss], 1e-5);
    expectClose(out.dScores, ref.dScores, 1e-5);
    expectClose([out.dTemperature], [ref.dTemperature], 1e-5);
    expectClose([out.dExtra], [ref.dExtra], 1e-5);
  });

  it('splits positives and negatives at positiveGrade and averages each side separately', () => {
    // grades 3, 2, 0, -1 at τ 1, b 0: positiveGrade 3 makes grade 2 a negative, 2 makes it a positive
    const c = { Q: 1, C: 4, scores: Float32Array.from([0.5, 0.2, -0.4, 3]), grades: Int32Array.from([3, 2, 0, -1]) };
    const sp = (x: number) => Math.log(1 + Math.exp(x));
    expect(evaluateLoss(c, 1, run(3), 0).loss).toBeCloseTo(sp(-0.5) + (sp(0.2) + sp(-0.4)) / 2, 5);
    expect(evaluateLoss(c, 1, run(2), 0).loss).toBeCloseTo((sp(-0.5) + sp(-0.2)) / 2 + sp(-0.4), 5);
  });

  it('works without a bias and without negatives, and rejects a non-positive positiveGrade', () => {
    const plain = tf.tidy(() => nce(tf.tensor2d([[0.5, 0.2]]), tf.tensor2d([[1, 1]], [1, 2], 'int32'), { temperature: 0.5 }).dataSync()[0]!);
    expect(plain).toBeCloseTo((Math.log(1 + Math.exp(-1)) + Math.log(1 + Math.exp(-0.4))) / 2, 5);
    tf.tidy(() => {
      expect(() => nce(tf.tensor2d([[0.1]]), tf.tensor2d([[1]], [1, 1], 'int32'), { temperature: 0.1, positiveGrade: 0 })).toThrow(/positiveGrade/);
      expect(() => nce(tf.zeros([2, 3]), tf.zeros([2, 4], 'int32'), { temperature: 0.1 })).toThrow(/does not match/);
    });
  });

  it('leaves no tensors behind', () => {
    const c = randomLossCase(4);
    evaluateLoss(c, 0.05, run(1), 0.2);
    const before = tf.memory().numTensors;
    evaluateLoss(c, 0.05, run(1), 0.2);
    expect(tf.memory().numTensors).toBe(before);
  });
});
