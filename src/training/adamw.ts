import * as tf from '@tensorflow/tfjs-core';
import { isLaunchBound } from '../backend/reads.ts';
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
   * at all (its weights stay bit-identical, its moments are not kept). On a launch-bound backend
   * (WebGPU) the variables that share a rate and a decay are updated together, with the same
   * arithmetic per element.
   */
  apply(variables: readonly tf.Variable[], grads: ReadonlyArray<tf.Tensor | undefined>, s: AdamSettings, lrMultipliers?: readonly number[]): void {
    const biasCorrection1 = 1 - Math.pow(s.beta1, s.step);
    const invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(s.beta2, s.step));
    // variables that share a step size and a decay factor form one group
    const groups = new Map<string, { stepSize: number; decay: number | undefined; members: Array<{ w: tf.Variable; g: tf.Tensor }> }>();
    variables.forEach((w, i) => {
      const g = grads[i];
      if (g === undefined) return;
      const lr = s.lr * (lrMultipliers?.[i] ?? 1);
      if (lr === 0) return;
      const decay = w.rank >= 2 && s.weightDecay > 0 ? 1 - lr * s.weightDecay : undefined;
      const key = `${lr}:${decay}`;
      let group = groups.get(key);
      if (!group) {
        group = { stepSize: lr / biasCorrection1, decay, members: [] };
        groups.set(key, group);
      }
      group.members.push({ w, g });
    });
    const fuse = isLaunchBound();
    for (const { stepSize, decay, members } of groups.values()) {
      const step = (w: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor) => {
        const m1 = tf.add(tf.mul(m, s.beta1), tf.mul(g, 1 - s.beta1));
        const v1 = tf.add(tf.mul(v, s.beta2), tf.mul(tf.square(g), 1 - s.beta2));
        const update = tf.div(tf.mul(m1, stepSize), tf.add(tf.mul(tf.sqrt(v1), invSqrtBc2), s.epsilon));
        return { m1, v1, w1: tf.sub(decay === undefined ? w : tf.mul(w, decay), update) };
      };
      const states = members.map(({ w }) => this.state(w));
      if (!fuse || members.length < 2) {
        members.forEach(({ w, g }, k) => {
          const { m, v } = states[k]!;
          tf.tidy(() => {
            const { m1, v1, w1 } = step(w, g, m, v);
            m.assign(m1);
            v.assign(v1);
            w.assign(w1);
          });
        });
        continue;
      }
      // Launch-bound backends: the same element-wise arithmetic over the group's weights laid end
      // to end (a concatenation per operand, a slice per weight back), so a few dozen kernels
      // instead of a dozen per weight; every element gets the very same operations.
      tf.tidy(() => {
        const flat = (ts: tf.Tensor[]) => tf.concat(ts.map((t) => tf.reshape(t, [-1])));
        const sizes = members.map(({ w }) => w.size);
        const { m1, v1, w1 } = step(flat(members.map((e) => e.w)), flat(members.map((e) => e.g)), flat(states.map((e) => e.m)), flat(states.map((e) => e.v)));
        const [ms, vs, ws] = [tf.split(m1, sizes), tf.split(v1, sizes), tf.split(w1, sizes)];
        members.forEach(({ w }, k) => {
          states[k]!.m.assign(tf.reshape(ms[k]!, w.shape));
          states[k]!.v.assign(tf.reshape(vs[k]!, w.shape));
          w.assign(tf.reshape(ws[k]!, w.shape));
        });
      });
    }
  }

  /** A variable's moments, created (zero) at its first update. */
  private state(w: tf.Variable): { m: tf.Variable; v: tf.Variable } {
    let state = this.moments.get(w);
    if (state === undefined) {
      state = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(w), false), v: tf.variable(tf.zerosLike(w), false) }));
      this.moments.set(w, state);
    }
    return state;
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
