import type * as tf from '@tensorflow/tfjs-core';

export const Loss = Symbol.for('crops.Loss');

export interface LossContext {
  /** smallest grade that counts as a positive (from the label scheme) */
  positiveGrade: number;
}

/**
 * A scalar training loss from a score matrix and a grade matrix.
 *
 * Inputs: `scores` `[Q, C]` float32 cosine similarities (query i vs candidate j), `grades` `[Q, C]`
 * int32 (0 = in-batch negative, higher = more relevant, < 0 = excluded). Output: a differentiable
 * float32 scalar, created inside the caller's gradient scope; the loss must not dispose its inputs.
 * Learnable parameters (the temperature) are exposed by `variables()` and reported by `stats()`.
 *
 * @example
 * ```ts
 * @injectable()
 * class MeanScoreLoss implements Loss {
 *   compute(scores: tf.Tensor2D, grades: tf.Tensor2D) {
 *     const pos = tf.cast(tf.greater(grades, 0), 'float32');
 *     return tf.neg(tf.div(tf.sum(tf.mul(scores, pos)), tf.maximum(tf.sum(pos), 1)));
 *   }
 *   variables() { return []; }
 *   stats() { return {}; }
 * }
 * ```
 */
export interface Loss {
  compute(scores: tf.Tensor2D, grades: tf.Tensor2D, ctx: LossContext): tf.Scalar;
  variables(): tf.Variable[];
  /** scalar values worth logging per step, e.g. `{ temperature: 0.05 }` */
  stats(): Record<string, number>;
  dispose?(): void;
}
