import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import hInfoNceDescriptor, { hInfoNce, type HInfoNceLoss } from './h-info-nce-loss.ts';
import { Rng } from '../../src/core/rng.ts';
import { referenceHInfoNce } from '../../test/support/loss-reference.ts';
import { infoNce } from './info-nce-loss.ts';

describeLossConformance(hInfoNceDescriptor);
describeLossConformance(hInfoNceDescriptor, { params: { learnTemperature: false, temperature: 0.1 } });

describe('h-info-nce plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('starts at the configured temperature and reports it', () => {
    const loss = instantiate(hInfoNceDescriptor, { temperature: 0.07 });
    expect(loss.stats().temperature).toBeCloseTo(0.07, 6);
    expect(loss.variables()).toHaveLength(1);
    loss.dispose();
  });

  it('has no trainable variable when the temperature is fixed', () => {
    const loss: HInfoNceLoss = instantiate(hInfoNceDescriptor, { learnTemperature: false });
    expect(loss.variables()).toHaveLength(0);
    loss.dispose();
  });

  it('clamps the temperature into [minTemperature, maxTemperature] in the forward pass', () => {
    const loss = instantiate(hInfoNceDescriptor, { temperature: 0.05 });
    // push log τ far below the lower clamp; the forward pass must use τ = 0.01
    loss.variables()[0]!.assign(tf.scalar(Math.log(1e-4)));
    expect(loss.stats().temperature).toBeCloseTo(0.01, 8);
    const value = tf.tidy(() => loss.compute(tf.tensor2d([[0.5, 0.4]]), tf.tensor2d([[1, 0]], [1, 2], 'int32'), { positiveGrade: 1 }).dataSync()[0]!);
    expect(value).toBeCloseTo(Math.log(1 + Math.exp(-0.1 / 0.01)), 5);
    loss.dispose();
  });

  it('rejects a start temperature outside its clamp range', () => {
    expect(hInfoNceDescriptor.schema.safeParse({ temperature: 2 }).success).toBe(false);
    expect(hInfoNceDescriptor.schema.safeParse({ temperature: -0.1 }).success).toBe(false);
  });
});

beforeAll(async () => {
  await useBackend();
});

/**
 * The paper's form, O(Q·C²): row i of a [C, C] matrix keeps column i and the columns of strictly
 * lower grade, a row-wise log-softmax is taken, and the diagonal is read off.
 */
function hInfoNceBruteForce(scores: tf.Tensor2D, grades: tf.Tensor2D, options: { temperature: number | tf.Scalar }): tf.Scalar {
  return tf.tidy(() => {
    const [Q, C] = scores.shape;
    const z = tf.div(scores, options.temperature);
    const gi = tf.reshape(grades, [Q, C, 1]);
    const gk = tf.reshape(grades, [Q, 1, C]);
    const below = tf.logicalAnd(tf.logicalAnd(tf.less(gk, gi), tf.greaterEqual(gk, 0)), tf.greaterEqual(gi, 0));
    const allowed = tf.cast(tf.logicalOr(below, tf.cast(tf.reshape(tf.eye(C), [1, C, C]), 'bool')), 'float32');
    const masked = tf.add(tf.mul(tf.reshape(z, [Q, 1, C]), allowed), tf.mul(tf.sub(1, allowed), -1e30));
    const logSoftmaxDiag = tf.sub(z, tf.logSumExp(masked, 2));
    const contributes = tf.cast(tf.any(below, 2), 'float32');
    const n = tf.maximum(tf.sum(contributes), 1);
    return tf.div(tf.neg(tf.sum(tf.mul(logSoftmaxDiag, contributes))), n) as tf.Scalar;
  });
}

interface Case {
  Q: number;
  C: number;
  scores: Float32Array;
  grades: Int32Array;
}

/** Random rows plus the awkward ones: ties, all-equal grades, nothing below, excluded entries. */
function randomCase(seed: number, Q = 7, C = 12, maxGrade = 4): Case {
  const rng = new Rng(seed);
  const scores = new Float32Array(Q * C);
  const grades = new Int32Array(Q * C);
  for (let i = 0; i < Q * C; i++) {
    scores[i] = Math.round((2 * rng.next() - 1) * 64) / 64; // coarse grid -> many exact ties
    grades[i] = rng.int(maxGrade + 2) - 1;
  }
  grades.fill(2, 0, C); // row 0: all equal grades, contributes nothing
  for (let c = 0; c < C; c++) grades[C + c] = c === 3 ? 0 : -1; // row 1: one valid entry
  grades[2 * C] = 0; // row 2: one zero, rest random
  for (let c = 0; c < C; c++) scores[3 * C + c] = 0.25; // row 3: all scores tied
  return { Q, C, scores, grades };
}

function evaluate(c: Case, tau: number, fn = hInfoNce) {
  const s = tf.tensor2d(c.scores, [c.Q, c.C]);
  const g = tf.tensor2d(c.grades, [c.Q, c.C], 'int32');
  const t = tf.scalar(tau);
  const { value, grads } = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) => fn(x as tf.Tensor2D, g, { temperature: y as tf.Scalar }))([s, t]);
  const out = { loss: value.dataSync()[0]!, dScores: grads[0]!.dataSync(), dTemperature: grads[1]!.dataSync()[0]! };
  tf.dispose([s, g, t, value, ...grads]);
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe('hInfoNce', () => {
  it('is InfoNCE (softmax cross-entropy) when each query has one grade-1 positive and the rest grade 0', () => {
    const rng = new Rng(3);
    const Q = 5;
    const C = 9;
    const scores = Float32Array.from({ length: Q * C }, () => 2 * rng.next() - 1);
    const grades = new Int32Array(Q * C);
    const tau = 0.07;
    let expected = 0;
    for (let q = 0; q < Q; q++) {
      const pos = rng.int(C);
      grades[q * C + pos] = 1;
      const row = Array.from(scores.subarray(q * C, (q + 1) * C), (s) => s / tau);
      const m = Math.max(...row);
      expected += Math.log(row.reduce((a, z) => a + Math.exp(z - m), 0)) + m - row[pos]!;
    }
    expected /= Q;
    const c = { Q, C, scores, grades };
    expect(evaluate(c, tau).loss).toBeCloseTo(expected, 5);
    expect(evaluate(c, tau, infoNce).loss).toBeCloseTo(expected, 5);
  });

  it.each([1, 2, 3, 4, 5])('matches the brute-force masked form and a float64 reference in value and gradients (seed %i)', (seed) => {
    const c = randomCase(seed);
    const tau = [0.05, 0.1, 0.3, 1, 0.02][seed - 1]!;
    const fast = evaluate(c, tau);
    const brute = evaluate(c, tau, hInfoNceBruteForce);
    const ref = referenceHInfoNce(c.scores, c.grades, c.Q, c.C, tau);
    expect(ref.terms).toBeGreaterThan(0);
    expectClose([fast.loss], [ref.loss], 1e-5);
    expectClose([brute.loss], [ref.loss], 1e-5);
    expectClose(fast.dScores, ref.dScores, 1e-5);
    expectClose(brute.dScores, ref.dScores, 1e-5);
    expectClose([fast.dTemperature], [ref.dTemperature], 1e-5);
    expectClose(fast.dScores, brute.dScores, 1e-5);
  });

  it('accepts a plain number as temperature', () => {
    const c = randomCase(9);
    const ref = referenceHInfoNce(c.scores, c.grades, c.Q, c.C, 0.05);
    const loss = tf.tidy(() => hInfoNce(tf.tensor2d(c.scores, [c.Q, c.C]), tf.tensor2d(c.grades, [c.Q, c.C], 'int32'), { temperature: 0.05 }).dataSync()[0]!);
    expectClose([loss], [ref.loss], 1e-5);
  });

  it('ignores the grade values beyond their order (including grades too large to one-hot directly)', () => {
    const c = randomCase(11);
    const relabel = [0, 3, 4, 40, 1000];
    const relabelled = { ...c, grades: c.grades.map((g) => (g < 0 ? -1 : relabel[g]!)) };
    const a = evaluate(c, 0.05);
    const b = evaluate(relabelled, 0.05);
    expectClose([b.loss], [a.loss], 1e-6);
    expectClose(b.dScores, a.dScores, 1e-6);
  });

  it('stays finite and exact at the smallest temperature with widely spread scores', () => {
    // at τ = 0.01 a positive 1.8 below the row's best scores e^-180 relative to it: plain max-shifting underflows
    const Q = 2;
    const C = 5;
    const scores = Float32Array.from([1, -0.8, -0.9, -0.95, 0.2, 0.9, -1, -0.7, 1, -0.99]);
    const grades = Int32Array.from([3, 2, 1, 0, 0, 0, 2, 1, 3, 1]);
    const fast = evaluate({ Q, C, scores, grades }, 0.01);
    const ref = referenceHInfoNce(scores, grades, Q, C, 0.01);
    expect(Number.isFinite(fast.loss)).toBe(true);
    expectClose([fast.loss], [ref.loss], 1e-5);
    expectClose(fast.dScores, ref.dScores, 1e-5);
  });

  it('is zero with zero gradients when no entry has a lower-graded one', () => {
    const c = { Q: 2, C: 3, scores: Float32Array.from([0.1, 0.5, -0.2, 0.3, 0.3, 0.9]), grades: Int32Array.from([1, 1, -1, -1, 2, -1]) };
    const out = evaluate({ ...c }, 0.05, (s, g, o) => hInfoNce(s, g, o));
    expect(out.loss).toBe(0);
    expect(Array.from(out.dScores).every((d) => d === 0)).toBe(true);
  });

  it('rejects mismatched shapes', () => {
    tf.tidy(() => {
      expect(() => hInfoNce(tf.zeros([2, 3]), tf.zeros([2, 4], 'int32'), { temperature: 0.1 })).toThrow(/does not match/);
    });
  });

  it('leaves no tensors behind', () => {
    const c = randomCase(4);
    evaluate(c, 0.05); // warm up lazily created backend state
    const before = tf.memory().numTensors;
    evaluate(c, 0.05);
    expect(tf.memory().numTensors).toBe(before);
  });
});
