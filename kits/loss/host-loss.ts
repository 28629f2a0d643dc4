import * as tf from '@tensorflow/tfjs-core';

/** One forward evaluation of a host-side loss over logits `z = s / τ`. */
export interface HostPass {
  loss: number;
  /** d loss / d z (row-major `[Q, C]`) and d loss / d each extra scalar, in the order given */
  gradients(): { dLogits: ArrayLike<number>; dExtras?: number[] };
}

/** A scalar input of a host-side loss: a tensor receives a gradient, a number does not. */
export type ScalarInput = number | tf.Scalar;

const valueOf = (x: ScalarInput): number => (typeof x === 'number' ? x : x.dataSync()[0]!);

/**
 * Runs a loss on the host in float64 and wires its analytic gradient into tfjs (`tf.customGrad`),
 * the approach of `hInfoNce`: on wasm the per-entry transcendental and masking kernels cost more
 * than one pass over the numbers. `run` sees the logits `z = s / τ` and the extras' values; the
 * chain rule through `τ` (`d z / d τ = -z / τ`) is applied here.
 *
 * @param scores `[Q, C]` float32 similarities (not disposed)
 * @param temperature τ > 0
 * @param extras further scalars the loss is differentiable in (e.g. a bias)
 * @returns a float32 scalar differentiable w.r.t. `scores` and every tensor among τ and `extras`
 */
export function hostLoss(scores: tf.Tensor2D, temperature: ScalarInput, extras: ScalarInput[], run: (logits: Float64Array, extras: number[]) => HostPass): tf.Scalar {
  const [Q, C] = scores.shape;
  const tau = valueOf(temperature);
  const s = scores.dataSync() as Float32Array;
  const z = new Float64Array(Q * C);
  for (let i = 0; i < z.length; i++) z[i] = s[i]! / tau;
  const pass = run(z, extras.map(valueOf));
  const tensorInputs: tf.Tensor[] = [scores];
  const tauIsTensor = typeof temperature !== 'number';
  if (tauIsTensor) tensorInputs.push(temperature);
  const extraSlots = extras.flatMap((x, i) => (typeof x === 'number' ? [] : [i]));
  for (const i of extraSlots) tensorInputs.push(extras[i] as tf.Scalar);
  const f = tf.customGrad((..._args: unknown[]) => ({
    value: tf.scalar(pass.loss),
    gradFunc: (dy: tf.Tensor) => {
      const { dLogits, dExtras = [] } = pass.gradients();
      const dScores = new Float32Array(Q * C);
      let dTau = 0;
      for (let i = 0; i < dScores.length; i++) {
        const d = dLogits[i]!;
        dScores[i] = d / tau;
        dTau -= (d * z[i]!) / tau;
      }
      const grads = [tf.mul(tf.tensor2d(dScores, [Q, C]), dy)];
      if (tauIsTensor) grads.push(tf.mul(tf.scalar(dTau), dy));
      for (const i of extraSlots) grads.push(tf.mul(tf.scalar(dExtras[i] ?? 0), dy));
      return grads;
    },
  }));
  return f(...tensorInputs) as tf.Scalar;
}

/** The grades of a `[Q, C]` grade matrix on the host, after checking they match the scores. */
export function hostGrades(name: string, scores: tf.Tensor2D, grades: tf.Tensor2D): Int32Array {
  if (grades.shape[0] !== scores.shape[0] || grades.shape[1] !== scores.shape[1]) {
    throw new Error(`${name}: grades shape [${grades.shape}] does not match scores shape [${scores.shape}]`);
  }
  return grades.dataSync() as Int32Array;
}

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** 1 / (1 + e^-x) without overflow. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
