import * as tf from '@tensorflow/tfjs-core';
import type { AdamSettings } from '../extension-points/encoder.ts';

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter) for the dense variables of a trial, with
 * bias correction from `AdamSettings.step`. Moments are `tf.Variable`s created on a variable's first
 * update. Weight decay applies to matrices only (rank >= 2): biases and scalars such as log τ are
 * not pulled towards zero.
 */
export class AdamW {
  private readonly moments = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable }>();

  /**
   * One update of `variables[i]` by `grads[i]`; a missing gradient leaves that variable alone.
   * `lrMultipliers[i]` (default 1) scales the learning rate of `variables[i]`, its decoupled weight
   * decay included, like a parameter group of its own; a variable whose rate is 0 is not touched
   * at all (its weights stay bit-identical, its moments are not kept).
   */
  apply(variables: readonly tf.Variable[], grads: ReadonlyArray<tf.Tensor | undefined>, s: AdamSettings, lrMultipliers?: readonly number[]): void {
    const biasCorrection1 = 1 - Math.pow(s.beta1, s.step);
    const invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(s.beta2, s.step));
    variables.forEach((w, i) => {
      const g = grads[i];
      if (g === undefined) return;
      const lr = s.lr * (lrMultipliers?.[i] ?? 1);
      if (lr === 0) return;
      const stepSize = lr / biasCorrection1;
      let state = this.moments.get(w);
      if (state === undefined) {
        state = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(w), false), v: tf.variable(tf.zerosLike(w), false) }));
        this.moments.set(w, state);
      }
      const { m, v } = state;
      tf.tidy(() => {
        const m1 = tf.add(tf.mul(m, s.beta1), tf.mul(g, 1 - s.beta1));
        const v1 = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), 1 - s.beta2));
        const update = tf.div(tf.mul(m1, stepSize), tf.add(tf.mul(tf.sqrt(v1), invSqrtBc2), s.epsilon));
        const decayed = w.rank >= 2 && s.weightDecay > 0 ? tf.mul(w, 1 - lr * s.weightDecay) : w;
        m.assign(m1);
        v.assign(v1);
        w.assign(tf.sub(decayed, update));
      });
    });
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}

/**
 * Scales `grads` so their joint L2 norm is at most `maxNorm`; returns new tensors (the caller
 * disposes both sets) and the norm before clipping, as a tensor so no device sync is forced.
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): { clipped: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    if (grads.length === 0) return { clipped: [], norm: tf.scalar(0) };
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm));
    return { clipped: grads.map((g) => tf.mul(g, scale)), norm };
  });
}
