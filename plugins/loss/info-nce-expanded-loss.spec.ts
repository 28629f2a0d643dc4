import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { evaluateLoss, expectClose, randomLossCase } from '../../test/support/loss-check.ts';
import { useBackend } from '../../test/support/tf.ts';
import expandedDescriptor, { infoNceExpanded } from './info-nce-expanded-loss.ts';
import hInfoNceDescriptor, { hInfoNce } from './h-info-nce-loss.ts';
import { referenceHInfoNce } from '../../test/support/loss-reference.ts';

describeLossConformance(expandedDescriptor);

describe('info-nce-expanded plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('gives the same value as the h-info-nce plugin at the same temperature', () => {
    const c = randomLossCase(2);
    const value = (loss: { compute: (s: tf.Tensor2D, g: tf.Tensor2D, ctx: { positiveGrade: number }) => tf.Scalar; dispose(): void }) => {
      const v = tf.tidy(() => loss.compute(tf.tensor2d(c.scores, [c.Q, c.C]), tf.tensor2d(c.grades, [c.Q, c.C], 'int32'), { positiveGrade: 1 }).dataSync()[0]!);
      loss.dispose();
      return v;
    };
    const expanded = value(instantiate(expandedDescriptor, { temperature: 0.07 }));
    expect(expanded).toBeGreaterThan(0);
    expect(expanded).toBeCloseTo(value(instantiate(hInfoNceDescriptor, { temperature: 0.07 })), 5);
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

const expanded = (s: tf.Tensor2D, g: tf.Tensor2D, tau: tf.Scalar) => infoNceExpanded(s, g, { temperature: tau });
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
