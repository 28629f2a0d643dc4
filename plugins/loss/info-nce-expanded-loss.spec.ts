import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { evaluateLoss, expectClose, logSumExp, randomLossCase, referenceWithGradients, type ReferenceLoss } from '../../test/support/loss-check.ts';
import { useBackend } from '../../test/support/tf.ts';
import expandedDescriptor, { infoNceExpanded } from './info-nce-expanded-loss.ts';
import hInfoNceDescriptor, { hInfoNce } from './h-info-nce-loss.ts';
import { referenceHInfoNce } from '../../test/support/loss-reference.ts';

describeLossConformance(expandedDescriptor);
describeLossConformance(expandedDescriptor, { params: { lowerGrades: 'pooled' } });

describe('info-nce-expanded plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('pooled gives the same value as the h-info-nce plugin at the same temperature; each differs', () => {
    const c = randomLossCase(2);
    const value = (loss: { compute: (s: tf.Tensor2D, g: tf.Tensor2D, ctx: { positiveGrade: number }) => tf.Scalar; dispose(): void }) => {
      const v = tf.tidy(() => loss.compute(tf.tensor2d(c.scores, [c.Q, c.C]), tf.tensor2d(c.grades, [c.Q, c.C], 'int32'), { positiveGrade: 1 }).dataSync()[0]!);
      loss.dispose();
      return v;
    };
    const pooled = value(instantiate(expandedDescriptor, { temperature: 0.07, lowerGrades: 'pooled' }));
    const hierarchical = value(instantiate(hInfoNceDescriptor, { temperature: 0.07 }));
    expect(pooled).toBeGreaterThan(0);
    expect(pooled).toBeCloseTo(hierarchical, 5);
    const each = value(instantiate(expandedDescriptor, { temperature: 0.07 }));
    expect(Math.abs(each - hierarchical)).toBeGreaterThan(0.01);
  });

  it('has a learnable temperature unless fixed', () => {
    const learn = instantiate(expandedDescriptor, { temperature: 0.07 });
    expect(learn.variables()).toHaveLength(1);
    expect(learn.stats().temperature).toBeCloseTo(0.07, 6);
    learn.dispose();
    const fixed = instantiate(expandedDescriptor, { learnTemperature: false });
    expect(fixed.variables()).toHaveLength(0);
    fixed.dispose();
  });
});

beforeAll(async () => {
  await useBackend();
});

const expanded = (s: tf.Tensor2D, g: tf.Tensor2D, tau: tf.Scalar) => infoNceExpanded(s, g, { temperature: tau, lowerGrades: 'pooled' });
const perGrade = (s: tf.Tensor2D, g: tf.Tensor2D, tau: tf.Scalar) => infoNceExpanded(s, g, { temperature: tau });

/** The per-grade reading written from its definition, one example at a time, in float64. */
const referencePerGrade: ReferenceLoss = (scores, grades, Q, C, tau) => {
  let total = 0;
  let terms = 0;
  for (let q = 0; q < Q; q++) {
    for (let i = 0; i < C; i++) {
      const gi = grades[q * C + i]!;
      for (let t = 0; t < gi; t++) {
        const tier: number[] = [];
        for (let k = 0; k < C; k++) if (grades[q * C + k] === t) tier.push(scores[q * C + k]! / tau);
        if (tier.length === 0) continue;
        const zi = scores[q * C + i]! / tau;
        total += logSumExp([zi, ...tier]) - zi;
        terms++;
      }
    }
  }
  return terms === 0 ? 0 : total / terms;
};

describe('infoNceExpanded, one example per lower grade (default)', () => {
  it('scores a positive against each lower grade separately', () => {
    // grades 3, 2, 0, 3, 0: entry 0 gives {0 vs 1}, {0 vs 2, 4}; entry 1 gives {1 vs 2, 4}; entry 3 as entry 0
    const s = [0.9, 0.5, 0.1, 0.7, -0.3];
    const tau = 0.1;
    const e = s.map((x) => Math.exp(x / tau));
    const nll = (i: number, tier: number[]) => -Math.log(e[i]! / (e[i]! + tier.reduce((a, k) => a + e[k]!, 0)));
    const expected = (nll(0, [1]) + nll(0, [2, 4]) + nll(1, [2, 4]) + nll(3, [1]) + nll(3, [2, 4])) / 5;
    const out = evaluateLoss({ Q: 1, C: 5, scores: Float32Array.from(s), grades: Int32Array.from([3, 2, 0, 3, 0]) }, tau, perGrade);
    expect(out.loss).toBeCloseTo(expected, 5);
  });

  it.each([1, 2, 3, 4, 5])('matches the brute-force reference in value and gradients (seed %i)', (seed) => {
    const c = randomLossCase(seed);
    const tau = [0.05, 0.1, 0.3, 1, 0.02][seed - 1]!;
    const mine = evaluateLoss(c, tau, perGrade);
    const ref = referenceWithGradients(c, tau, referencePerGrade);
    expect(ref.loss).toBeGreaterThan(0);
    expectClose([mine.loss], [ref.loss], 1e-5);
    expectClose(mine.dScores, ref.dScores, 1e-4);
    expectClose([mine.dTemperature], [ref.dTemperature], 1e-4);
  });

  it('is plain InfoNCE when a row has one positive over one grade of negatives', () => {
    const c = { Q: 1, C: 4, scores: Float32Array.from([0.6, 0.2, -0.1, 0.4]), grades: Int32Array.from([1, 0, 0, 0]) };
    const mine = evaluateLoss(c, 0.1, perGrade);
    const pooled = evaluateLoss(c, 0.1, expanded);
    expectClose([mine.loss], [pooled.loss], 1e-6);
    expectClose(mine.dScores, pooled.dScores, 1e-6);
  });
});
const hierarchical = (s: tf.Tensor2D, g: tf.Tensor2D, tau: tf.Scalar) => hInfoNce(s, g, { temperature: tau });

describe('infoNceExpanded', () => {
  it('scores one positive against exactly the lower grades of its row', () => {
    // grades 3, 2, 0, 3: entry 0 sees {1, 2}, entry 1 sees {2}, entry 3 sees {1, 2}; equal grades never meet
    const s = [0.9, 0.5, 0.1, 0.7];
    const tau = 0.1;
    const e = s.map((x) => Math.exp(x / tau));
    const expected = (-Math.log(e[0]! / (e[0]! + e[1]! + e[2]!)) - Math.log(e[1]! / (e[1]! + e[2]!)) - Math.log(e[3]! / (e[3]! + e[1]! + e[2]!))) / 3;
    const out = evaluateLoss({ Q: 1, C: 4, scores: Float32Array.from(s), grades: Int32Array.from([3, 2, 0, 3]) }, tau, expanded);
    expect(out.loss).toBeCloseTo(expected, 5);
  });

  it.each([1, 2, 3, 4, 5])('equals hInfoNce and the float64 reference in value and gradients (seed %i)', (seed) => {
    const c = randomLossCase(seed);
    const tau = [0.05, 0.1, 0.3, 1, 0.02][seed - 1]!;
    const mine = evaluateLoss(c, tau, expanded);
    const theirs = evaluateLoss(c, tau, hierarchical);
    const ref = referenceHInfoNce(c.scores, c.grades, c.Q, c.C, tau);
    expect(ref.terms).toBeGreaterThan(0);
    expectClose([mine.loss], [theirs.loss], 1e-5);
    expectClose(mine.dScores, theirs.dScores, 1e-5);
    expectClose([mine.dTemperature], [theirs.dTemperature], 1e-5);
    expectClose([mine.loss], [ref.loss], 1e-5);
    expectClose(mine.dScores, ref.dScores, 1e-5);
    expectClose([mine.dTemperature], [ref.dTemperature], 1e-5);
  });

  it('stays finite at the smallest temperature with widely spread scores', () => {
    const scores = Float32Array.from([1, -0.8, -0.9, -0.95, 0.2, 0.9, -1, -0.7, 1, -0.99]);
    const grades = Int32Array.from([3, 2, 1, 0, 0, 0, 2, 1, 3, 1]);
    const out = evaluateLoss({ Q: 2, C: 5, scores, grades }, 0.01, expanded);
    const ref = referenceHInfoNce(scores, grades, 2, 5, 0.01);
    expect(Number.isFinite(out.loss)).toBe(true);
    expectClose([out.loss], [ref.loss], 1e-5);
    expectClose(out.dScores, ref.dScores, 1e-5);
  });

  it('is zero with zero gradients when no entry has a lower-graded one, and accepts a number temperature', () => {
    const c = { Q: 2, C: 3, scores: Float32Array.from([0.1, 0.5, -0.2, 0.3, 0.3, 0.9]), grades: Int32Array.from([1, 1, -1, -1, 2, -1]) };
    const out = evaluateLoss(c, 0.05, expanded);
    expect(out.loss).toBe(0);
    expect(Array.from(out.dScores).every((d) => d === 0)).toBe(true);
    const plain = tf.tidy(() => infoNceExpanded(tf.tensor2d([[0.5, 0.4]]), tf.tensor2d([[1, 0]], [1, 2], 'int32'), { temperature: 0.1 }).dataSync()[0]!);
    expect(plain).toBeCloseTo(Math.log(1 + Math.exp(-1)), 5);
  });

  it('rejects mismatched shapes and leaves no tensors behind', () => {
    tf.tidy(() => {
      expect(() => infoNceExpanded(tf.zeros([2, 3]), tf.zeros([2, 4], 'int32'), { temperature: 0.1 })).toThrow(/does not match/);
    });
    const c = randomLossCase(4);
    evaluateLoss(c, 0.05, expanded);
    const before = tf.memory().numTensors;
    evaluateLoss(c, 0.05, expanded);
    expect(tf.memory().numTensors).toBe(before);
  });
});
