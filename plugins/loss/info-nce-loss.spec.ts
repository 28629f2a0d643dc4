import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import infoNceDescriptor, { infoNce } from './info-nce-loss.ts';
import { Rng } from '../../src/core/rng.ts';
import { referenceHInfoNce } from '../../test/support/loss-reference.ts';
import { losses } from './index.ts';

describeLossConformance(infoNceDescriptor);
describeLossConformance(infoNceDescriptor, { ctx: { positiveGrade: 4 } });

describe('info-nce plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  const value = (params: Record<string, unknown>, positiveGrade: number) => {
    const loss = instantiate(infoNceDescriptor, { temperature: 0.1, ...params });
    // grades 4, 3, 0: with positiveGrade 4 the grade-3 entry is a negative, with 3 it is a positive
    const v = tf.tidy(() => loss.compute(tf.tensor2d([[0.9, 0.5, 0.1]]), tf.tensor2d([[4, 3, 0]], [1, 3], 'int32'), { positiveGrade }).dataSync()[0]!);
    loss.dispose();
    return v;
  };

  it("takes the positive grade from the label scheme's context unless its params override it", () => {
    const e = [0.9, 0.5, 0.1].map((s) => Math.exp(s / 0.1));
    const asNegative = -Math.log(e[0]! / (e[0]! + e[1]! + e[2]!));
    const asPositive = (-Math.log(e[0]! / (e[0]! + e[2]!)) - Math.log(e[1]! / (e[1]! + e[2]!))) / 2;
    expect(value({}, 4)).toBeCloseTo(asNegative, 4);
    expect(value({}, 3)).toBeCloseTo(asPositive, 4);
    expect(value({ positiveGrade: 4 }, 3)).toBeCloseTo(asNegative, 4);
  });
});

beforeAll(async () => {
  await useBackend();
});

function run(scores: Float32Array, grades: Int32Array, Q: number, C: number, tau: number, positiveGrade?: number) {
  const s = tf.tensor2d(scores, [Q, C]);
  const g = tf.tensor2d(grades, [Q, C], 'int32');
  const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => infoNce(x as tf.Tensor2D, g, { temperature: tau, positiveGrade }))(s);
  const out = { loss: value.dataSync()[0]!, dScores: grad.dataSync() };
  tf.dispose([s, g, value, grad]);
  return out;
}

describe('infoNce', () => {
  it('scores each positive against the negatives only, never against other positives', () => {
    // one row: two positives (grades 5 and 4) and two negatives, positiveGrade 4
    const s = [0.9, 0.5, 0.1, -0.3];
    const tau = 0.1;
    const e = s.map((x) => Math.exp(x / tau));
    const expected = (-Math.log(e[0]! / (e[0]! + e[2]! + e[3]!)) - Math.log(e[1]! / (e[1]! + e[2]! + e[3]!))) / 2;
    const out = run(Float32Array.from(s), Int32Array.from([5, 4, 3, 0]), 1, 4, tau, 4);
    expect(out.loss).toBeCloseTo(expected, 5);
  });

  it('equals the hierarchical loss on binarised grades, in value and gradient', () => {
    const rng = new Rng(7);
    const Q = 6;
    const C = 10;
    const scores = Float32Array.from({ length: Q * C }, () => 2 * rng.next() - 1);
    const grades = Int32Array.from({ length: Q * C }, () => rng.int(7) - 1);
    const binary = grades.map((g) => (g < 0 ? -1 : g >= 3 ? 1 : 0));
    const ref = referenceHInfoNce(scores, binary, Q, C, 0.05);
    const out = run(scores, grades, Q, C, 0.05, 3);
    expect(out.loss).toBeCloseTo(ref.loss, 5);
    out.dScores.forEach((d, i) => expect(d).toBeCloseTo(ref.dScores[i]!, 4));
  });

  it('defaults positiveGrade to 1 and rejects a non-positive one', () => {
    const scores = Float32Array.from([0.3, 0.1, -0.2]);
    const grades = Int32Array.from([2, 1, 0]);
    // with positiveGrade 1 both graded entries are positives against the single negative
    const ref = referenceHInfoNce(scores, Int32Array.from([1, 1, 0]), 1, 3, 0.2);
    expect(run(scores, grades, 1, 3, 0.2).loss).toBeCloseTo(ref.loss, 5);
    tf.tidy(() => {
      expect(() => infoNce(tf.tensor2d([[0.1]]), tf.tensor2d([[1]], [1, 1], 'int32'), { temperature: 0.1, positiveGrade: 0 })).toThrow(/positiveGrade/);
    });
  });

  it('is exported by name next to the other losses', () => {
    expect(Object.keys(losses).sort()).toEqual(['fsLr', 'hInfoNce', 'infoNce', 'infoNceExpanded', 'nce', 'softmaxCe']);
  });
});
