import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { Rng } from '../../src/core/rng.ts';

/** A `[Q, C]` batch on the host. */
export interface LossCase {
  Q: number;
  C: number;
  scores: Float32Array;
  grades: Int32Array;
}

/** Random rows plus the awkward ones: ties, all-equal grades, a single valid entry, excluded entries. */
export function randomLossCase(seed: number, Q = 7, C = 12, maxGrade = 4): LossCase {
  const rng = new Rng(seed);
  const scores = new Float32Array(Q * C);
  const grades = new Int32Array(Q * C);
  for (let i = 0; i < Q * C; i++) {
    scores[i] = Math.round((2 * rng.next() - 1) * 64) / 64; // coarse grid -> many exact ties
    grades[i] = rng.int(maxGrade + 2) - 1;
  }
  grades.fill(2, 0, C); // row 0: all equal grades
  for (let c = 0; c < C; c++) grades[C + c] = c === 3 ? 0 : -1; // row 1: one valid entry
  grades[2 * C] = 0; // row 2: one zero, rest random
  for (let c = 0; c < C; c++) scores[3 * C + c] = 0.25; // row 3: all scores tied
  return { Q, C, scores, grades };
}

/** A loss over tensors with a tensor temperature and one further tensor scalar (ignored by most). */
export type TensorLoss = (scores: tf.Tensor2D, grades: tf.Tensor2D, tau: tf.Scalar, extra: tf.Scalar) => tf.Scalar;

/** Value and gradients (scores, τ, and `extra` when given) of a tensor loss on a case; disposes everything it makes. */
export function evaluateLoss(c: LossCase, tau: number, fn: TensorLoss, extra?: number) {
  const s = tf.tensor2d(c.scores, [c.Q, c.C]);
  const g = tf.tensor2d(c.grades, [c.Q, c.C], 'int32');
  const t = tf.scalar(tau);
  const b = tf.scalar(extra ?? 0);
  const inputs = extra === undefined ? [s, t] : [s, t, b];
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => fn(xs[0] as tf.Tensor2D, g, xs[1] as tf.Scalar, (xs[2] ?? b) as tf.Scalar))(inputs);
  const out = { loss: value.dataSync()[0]!, dScores: grads[0]!.dataSync(), dTemperature: grads[1]!.dataSync()[0]!, dExtra: grads[2]?.dataSync()[0] ?? 0 };
  tf.dispose([s, g, t, b, value, ...grads]);
  return out;
}

/** A float64 reference loss written from its definition. */
export type ReferenceLoss = (scores: Float64Array, grades: Int32Array, Q: number, C: number, tau: number, extra: number) => number;

/** The reference's value and central-difference gradients (scores, τ, extra) in float64. */
export function referenceWithGradients(c: LossCase, tau: number, ref: ReferenceLoss, extra = 0) {
  const s = Float64Array.from(c.scores);
  const f = (x: Float64Array, t: number, e: number) => ref(x, c.grades, c.Q, c.C, t, e);
  const h = 1e-6;
  const dScores = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const up = Float64Array.from(s);
    const down = Float64Array.from(s);
    up[i] = s[i]! + h;
    down[i] = s[i]! - h;
    dScores[i] = (f(up, tau, extra) - f(down, tau, extra)) / (2 * h);
  }
  const ht = tau * 1e-6;
  return {
    loss: f(s, tau, extra),
    dScores,
    dTemperature: (f(s, tau + ht, extra) - f(s, tau - ht, extra)) / (2 * ht),
    dExtra: (f(s, tau, extra + h) - f(s, tau, extra - h)) / (2 * h),
  };
}

/** Worst error relative to max(1, |expected|) stays within `tol`. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  expect(worst).toBeLessThanOrEqual(tol);
}

/** log Σ exp(x) over a list, max-shifted. */
export function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
}
