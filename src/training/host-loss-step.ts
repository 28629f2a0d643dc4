import * as tf from '@tensorflow/tfjs-core';
import { hostBackend } from '../backend/reads.ts';

/** Gradients by variable name, as `tf.variableGrads` returns them. */
export interface StepGradients {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
}

/**
 * `tf.variableGrads(() => lossOf(scoresOf()), [...lossVariables, ...towerVariables])` for a backend
 * that cannot read device memory synchronously (WebGPU), where host-side losses cannot read their
 * scores inside the tape. Three passes:
 * 1. the towers' scores are computed on the device and read back asynchronously;
 * 2. the loss, and its gradient w.r.t. the scores and `lossVariables`, run on the host backend on
 *    a copy of the scores (the loss variables move there by tfjs's own data moving);
 * 3. the score gradient `G` goes back through the towers on the device by differentiating
 *    `Σ scores ⊙ G`, which repeats the towers' forward pass.
 * The gradients are those of the one-pass tape (`∂/∂θ Σ s⊙G = Gᵀ ∂s/∂θ`); only the backends' rounding differs.
 *
 * @param hostRead variables whose gradients the caller reads with `dataSync` (e.g. embedding leaves):
 *   their gradients are read back here, and a missing one is returned as zeros
 * @returns the loss (on the host backend) and every gradient; the caller disposes them
 */
export async function gradsThroughHostLoss(
  scoresOf: () => tf.Tensor2D,
  lossOf: (scores: tf.Tensor2D) => tf.Scalar,
  lossVariables: tf.Variable[],
  towerVariables: tf.Variable[],
  hostRead: tf.Variable[],
): Promise<StepGradients> {
  const device = tf.getBackend();
  const scores = tf.tidy(scoresOf);
  const shape = scores.shape;
  const values = await scores.data();
  scores.dispose();
  // a tensor moves to another backend through its synchronous read, which now hits the cached copy
  await Promise.all(lossVariables.map((v) => v.data()));

  await tf.setBackend(hostBackend());
  let onHost: StepGradients;
  let dScores: tf.Tensor;
  try {
    const s = tf.tidy(() => tf.variable(tf.tensor2d(values, shape), true));
    try {
      onHost = tf.variableGrads(() => lossOf(s), [s, ...lossVariables]);
    } finally {
      s.dispose();
    }
    dScores = onHost.grads[s.name]!;
    delete onHost.grads[s.name];
  } finally {
    await tf.setBackend(device);
  }

  const grads: tf.NamedTensorMap = { ...onHost.grads };
  try {
    if (towerVariables.some((v) => v.trainable)) {
      const towers = tf.variableGrads(() => tf.sum(tf.mul(scoresOf(), dScores)) as tf.Scalar, towerVariables);
      towers.value.dispose();
      Object.assign(grads, towers.grads);
    }
  } catch (e) {
    tf.dispose([onHost.value, ...Object.values(grads)]);
    throw e;
  } finally {
    dScores.dispose();
  }
  for (const v of hostRead) grads[v.name] ??= tf.zeros(v.shape, v.dtype);
  await Promise.all(hostRead.map((v) => grads[v.name]!.data()));
  return { value: onHost.value, grads };
}

/** Reads the variables back so their `dataSync` (e.g. in a loss's `stats()`) answers from the host copy. */
export async function cacheOnHost(variables: tf.Variable[]): Promise<void> {
  await Promise.all(variables.map((v) => v.data()));
}
