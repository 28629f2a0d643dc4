import type * as tf from '@tensorflow/tfjs-core';
import type { ItemTexts } from './samples.ts';

export const Encoder = Symbol.for('crops.Encoder');

export type Side = 'query' | 'item';

/**
 * Host-side inputs of one forward pass. `leaves` are tensors the trainer differentiates with respect
 * to (e.g. pooled sparse embeddings); the trainer disposes them after the step.
 */
export interface PreparedInput {
  side: Side;
  size: number;
  leaves: tf.Tensor[];
  /** encoder-private bookkeeping (token ids, bucket lists) */
  state?: unknown;
}

/** Optimiser settings shared by the trainer's dense update and an encoder's sparse update. */
export interface AdamSettings {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** 1-based step count, for bias correction */
  step: number;
}

/**
 * Query and item towers. The forward pass is split so that large embedding tables can live outside
 * the autodiff graph: `prepare` runs on the host, `embed` is the differentiable part, and
 * `applySparse` updates host tables from the gradients of the prepared leaves.
 *
 * Shapes: `embed` returns `[size, dim]` float32, L2-normalised rows, so dot products are cosines.
 * Tensors returned by `embed` belong to the caller's `tf.tidy`/`variableGrads` scope.
 *
 * @example
 * ```ts
 * // a tower-less encoder: one trainable matrix per side over a fixed feature vector
 * prepare(texts, side) { return { side, size: texts.length, leaves: [], state: featurize(texts) }; }
 * embed(input) { return tf.linalg.l2Normalize?.(tf.matMul(tf.tensor2d(input.state), this.w)); }
 * variables() { return [this.w]; }
 * applySparse() {}
 * ```
 */
export interface Encoder {
  readonly dim: number;
  prepare(texts: string[], side: Side): PreparedInput;
  /**
   * Optional: `prepare(Array.from(itemIds, (id) => items.texts[id]), 'item')` by item id, for encoders
   * that keep per-item work (tokens, hashed rows) from one step to the next instead of redoing it
   * from the text. Same result as `prepare`; the trainer prefers it for the candidates of a batch.
   */
  prepareItems?(itemIds: ArrayLike<number>, items: ItemTexts): PreparedInput;
  /**
   * The training forward pass. Embedding one prepared input twice must give the same output: on
   * backends whose memory is read asynchronously the trainer runs it a second time for the
   * gradient, so an encoder with dropout draws the same masks again (kits/encoder/replayed-masks.ts).
   */
  embed(input: PreparedInput): tf.Tensor2D;
  /** dense trainable variables of both towers */
  variables(): tf.Variable[];
  /**
   * Optional: the factor the trainer multiplies the learning rate by for one of this encoder's
   * dense variables (its weight decay included), e.g. a smaller rate for a pretrained body than for
   * new weights. Absent, or for variables it does not own, the factor is 1.
   */
  learningRateMultiplier?(variable: tf.Variable): number;
  /** sparse/host-side update from d(loss)/d(leaves), same order as `input.leaves` */
  applySparse(input: PreparedInput, leafGrads: tf.Tensor[], adam: AdamSettings): void;
  /**
   * Optional: stops training one side for the rest of the encoder's life. Afterwards `variables()`
   * leaves that side's weights out, `applySparse` ignores its inputs and its outputs never change,
   * also when the towers were shared (the frozen side then keeps a copy of the shared weights).
   * The trainer calls it when a sampler's batch says `frozen: 'item'` (ADORE).
   */
  freeze?(side: Side): void;
  /** inference: `[texts.length, dim]` row-major, L2-normalised */
  encode(texts: string[], side: Side): Promise<Float32Array>;
  /**
   * Optional: `encode` without waiting, for callers that must answer synchronously (the
   * `dense-teacher` discriminator on texts it has not seen). Same values as `encode`.
   */
  encodeSync?(texts: string[], side: Side): Float32Array;
  /**
   * Optional: writes what `load` needs to rebuild both towers for inference into the existing empty
   * folder `dir` (file names are the encoder's own). The runner calls it after training when
   * `train.saveTowers` is set and attaches the folder to the trial run as `towers/`.
   */
  save?(dir: string): Promise<void>;
  /**
   * Optional: replaces both towers with those `save` wrote to `dir`, from an encoder built with the
   * same params (the runner records them next to the files); throws when they do not fit.
   * `train.select` keeps the best weights with `save` and restores them with `load`, so both must
   * round-trip every weight the encoder's `encode` uses exactly.
   */
  load?(dir: string): Promise<void>;
  /** number of trainable scalars, for logs */
  parameterCount(): number;
  dispose(): void;
}

/** Artifact folder of a trial run that holds its trained towers (`train.saveTowers`). */
export const TOWERS_ARTIFACT = 'towers';
/** File in that folder naming the encoder plugin and its params, so a reader can rebuild it. */
export const ENCODER_REF_FILE = 'encoder.json';
