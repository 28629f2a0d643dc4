import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../src/core/rng.ts';
import { dense } from '../../src/backend/ops.ts';

/** Sizes, activation and initialisation stream of a {@link TransformerStack}. */
export interface TransformerOptions {
  /** model width: token embeddings, residual stream and output */
  dim: number;
  /** attention heads; must divide `dim` */
  heads: number;
  layers: number;
  /** hidden width of each block's feed-forward network */
  ffnDim: number;
  /** longest sequence, i.e. rows of the learned position table */
  maxLen: number;
  activation: 'gelu' | 'relu';
  /** standard deviation of the initial position embeddings */
  initScale: number;
  rng: Rng;
}

/** Dropout applied in training: a rate and the seeded stream its masks come from. */
export interface DropoutOptions {
  rate: number;
  rng: Rng;
}

interface Block {
  ln1: LayerNormParams;
  wQ: tf.Variable;
  bQ: tf.Variable;
  wK: tf.Variable;
  bK: tf.Variable;
  wV: tf.Variable;
  bV: tf.Variable;
  wOut: tf.Variable;
  bOut: tf.Variable;
  ln2: LayerNormParams;
  wUp: tf.Variable;
  bUp: tf.Variable;
  wDown: tf.Variable;
  bDown: tf.Variable;
}
interface LayerNormParams {
  gamma: tf.Variable;
  beta: tf.Variable;
}

/**
 * A small pre-LN transformer encoder over already-embedded tokens: learned positions, `layers`
 * blocks of multi-head self-attention and a feed-forward network (each `x + f(LN(x))`), a final
 * layer norm, a mean over the real (unpadded) positions and a linear projection. Padded positions
 * are masked out of attention keys and the pool, so a text's output does not depend on how far its
 * batch is padded. Weights are drawn from the given {@link Rng}, so equal seeds give equal networks.
 *
 * Attention runs as batched products over `[batch * heads, L, L]`. On the wasm backend batched
 * products take the same generic kernel whatever the transposition flags, so tfjs's own matMul
 * gradient is used for them; the `[tokens, dim]` layers go through the untransposed `dense` helper.
 */
export class TransformerStack {
  private readonly opts: TransformerOptions;
  private readonly positions: tf.Variable;
  private readonly blocks: Block[] = [];
  private readonly finalNorm: LayerNormParams;
  private readonly wProj: tf.Variable;
  private readonly bProj: tf.Variable;

  constructor(opts: TransformerOptions, copyOf?: { stack: TransformerStack; trainable: boolean }) {
    if (opts.dim % opts.heads !== 0) throw new Error(`transformer dim ${opts.dim} is not divisible by heads ${opts.heads}`);
    this.opts = opts;
    if (copyOf) {
      // variables made from another's share its buffers by reference count until either is assigned
      const { stack, trainable } = copyOf;
      const copy = (v: tf.Variable) => tf.variable(v, trainable);
      const copyNorm = (n: LayerNormParams): LayerNormParams => ({ gamma: copy(n.gamma), beta: copy(n.beta) });
      this.positions = copy(stack.positions);
      for (const b of stack.blocks) {
        const { ln1, ln2, ...weights } = b;
        const copied = Object.fromEntries(Object.entries(weights).map(([key, v]) => [key, copy(v)])) as Omit<Block, 'ln1' | 'ln2'>;
        this.blocks.push({ ...copied, ln1: copyNorm(ln1), ln2: copyNorm(ln2) });
      }
      this.finalNorm = copyNorm(stack.finalNorm);
      this.wProj = copy(stack.wProj);
      this.bProj = copy(stack.bProj);
      return;
    }
    const { dim, ffnDim, rng } = opts;
    const uniform = (rows: number, cols: number, limit: number) => {
      const values = new Float32Array(rows * cols);
      for (let i = 0; i < values.length; i++) values[i] = (2 * rng.next() - 1) * limit;
      // tidy frees the initial values; variables outlive it
      return tf.tidy(() => tf.variable(tf.tensor2d(values, [rows, cols]), true));
    };
    // Glorot-uniform matrices, zero biases, identity layer norms
    const glorot = (rows: number, cols: number) => uniform(rows, cols, Math.sqrt(6 / (rows + cols)));
    const zeros = (n: number) => tf.tidy(() => tf.variable(tf.zeros([n]), true));
    const norm = (): LayerNormParams => ({ gamma: tf.tidy(() => tf.variable(tf.ones([dim]), true)), beta: zeros(dim) });
    this.positions = uniform(opts.maxLen, dim, Math.sqrt(3) * opts.initScale);
    for (let l = 0; l < opts.layers; l++) {
      this.blocks.push({
        ln1: norm(),
        wQ: glorot(dim, dim),
        bQ: zeros(dim),
        wK: glorot(dim, dim),
        bK: zeros(dim),
        wV: glorot(dim, dim),
        bV: zeros(dim),
        wOut: glorot(dim, dim),
        bOut: zeros(dim),
        ln2: norm(),
        wUp: glorot(dim, ffnDim),
        bUp: zeros(ffnDim),
        wDown: glorot(ffnDim, dim),
        bDown: zeros(dim),
      });
    }
    this.finalNorm = norm();
    this.wProj = glorot(dim, dim);
    this.bProj = zeros(dim);
  }

  /**
   * `tokens` `[B, L, dim]` (rows past a text's length are ignored) -> `[B, dim]`, one row per text.
   * `lengths[b]` is the number of real tokens of text `b` (0..L); `L` must not exceed `maxLen`.
   */
  apply(tokens: tf.Tensor3D, lengths: Int32Array, dropout?: DropoutOptions): tf.Tensor2D {
    const [B, L, dim] = tokens.shape;
    if (L > this.opts.maxLen) throw new Error(`transformer input has ${L} positions, more than maxLen ${this.opts.maxLen}`);
    const drop = (x: tf.Tensor2D): tf.Tensor2D => (dropout && dropout.rate > 0 ? applyDropout(x, dropout) : x);
    return tf.tidy(() => {
      const { keyBias, poolWeights } = paddingMasks(lengths, L);
      const positions = tf.slice(this.positions, [0, 0], [L, dim]);
      let x = drop(tf.reshape(tf.add(tokens, positions), [B * L, dim]));
      for (const block of this.blocks) {
        x = tf.add(x, drop(this.attention(block, layerNorm(x, block.ln1), B, L, keyBias)));
        const up = dense(layerNorm(x, block.ln2), block.wUp as tf.Tensor2D, block.bUp as tf.Tensor1D, this.opts.activation === 'relu' ? 'relu' : 'linear');
        const hidden = this.opts.activation === 'gelu' ? gelu(up) : up;
        x = tf.add(x, drop(dense(hidden, block.wDown as tf.Tensor2D, block.bDown as tf.Tensor1D, 'linear')));
      }
      const normed = tf.reshape(layerNorm(x, this.finalNorm), [B, L, dim]);
      const pooled = tf.reshape(tf.matMul(poolWeights, normed), [B, dim]) as tf.Tensor2D;
      return dense(pooled, this.wProj as tf.Tensor2D, this.bProj as tf.Tensor1D, 'linear');
    });
  }

  /** Multi-head self-attention of `h` `[B * L, dim]`, padded keys masked by `keyBias` `[B, 1, 1, L]`. */
  private attention(block: Block, h: tf.Tensor2D, B: number, L: number, keyBias: tf.Tensor): tf.Tensor2D {
    const { dim, heads } = this.opts;
    const dh = dim / heads;
    // separate q, k, v products: slicing one fused [B * L, 3 * dim] product is slower on wasm
    const project = (w: tf.Variable, b: tf.Variable) => {
      const x = dense(h, w as tf.Tensor2D, b as tf.Tensor1D, 'linear');
      return tf.reshape(tf.transpose(tf.reshape(x, [B, L, heads, dh]), [0, 2, 1, 3]), [B * heads, L, dh]) as tf.Tensor3D;
    };
    const q = project(block.wQ, block.bQ);
    const k = project(block.wK, block.bK);
    const v = project(block.wV, block.bV);
    const scores = tf.matMul(tf.mul(q, 1 / Math.sqrt(dh)), k, false, true);
    const weights = tf.softmax(tf.add(tf.reshape(scores, [B, heads, L, L]), keyBias));
    const context = tf.matMul(tf.reshape(weights, [B * heads, L, L]) as tf.Tensor3D, v);
    const merged = tf.reshape(tf.transpose(tf.reshape(context, [B, heads, L, dh]), [0, 2, 1, 3]), [B * L, dim]) as tf.Tensor2D;
    return dense(merged, block.wOut as tf.Tensor2D, block.bOut as tf.Tensor1D, 'linear');
  }

  variables(): tf.Variable[] {
    const norm = (n: LayerNormParams) => [n.gamma, n.beta];
    return [
      this.positions,
      ...this.blocks.flatMap((b) => [...norm(b.ln1), b.wQ, b.bQ, b.wK, b.bK, b.wV, b.bV, b.wOut, b.bOut, ...norm(b.ln2), b.wUp, b.bUp, b.wDown, b.bDown]),
      ...norm(this.finalNorm),
      this.wProj,
      this.bProj,
    ];
  }

  /** An independent network with the current weights, trainable or not (e.g. a frozen tower). */
  copy(trainable: boolean): TransformerStack {
    return new TransformerStack(this.opts, { stack: this, trainable });
  }

  parameterCount(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/**
 * Host-built masks for `lengths`: an additive attention bias `[B, 1, 1, L]` (0 on real keys, -1e9
 * on padding, whose softmax weight then underflows to exactly 0) and mean-pool weights `[B, 1, L]`
 * (1/length on real positions; all zero for an empty text).
 */
export function paddingMasks(lengths: Int32Array, L: number): { keyBias: tf.Tensor4D; poolWeights: tf.Tensor3D } {
  const B = lengths.length;
  const bias = new Float32Array(B * L);
  const pool = new Float32Array(B * L);
  for (let b = 0; b < B; b++) {
    const n = Math.min(lengths[b]!, L);
    for (let p = 0; p < L; p++) {
      if (p < n) pool[b * L + p] = 1 / n;
      else bias[b * L + p] = -1e9;
    }
  }
  return { keyBias: tf.tensor4d(bias, [B, 1, 1, L]), poolWeights: tf.tensor3d(pool, [B, 1, L]) };
}

/**
 * Layer norm over the last axis of `x` `[n, d]` with a hand-written gradient: a handful of kernels
 * instead of the dozen-odd that differentiating the composed formula takes (rsqrt, broadcasts, two
 * means). The gamma/beta gradients are column sums; for these tall, narrow matrices `tf.sum` over
 * axis 0 beats a product with a row of ones on wasm, which would repack `[n, d]` on every call.
 */
export function layerNorm(x: tf.Tensor2D, { gamma, beta }: LayerNormParams, epsilon = 1e-5): tf.Tensor2D {
  const f = tf.customGrad((...args: unknown[]) => {
    const [xi, g, b, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = tf.mean(xi, 1, true);
    const centred = tf.sub(xi, mean);
    const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), 1, true), epsilon));
    const xHat = tf.mul(centred, invStd) as tf.Tensor2D;
    save([xHat, invStd, g]);
    return {
      value: tf.add(tf.mul(xHat, g), b) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sHat, sInv, sg] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const dGamma = tf.sum(tf.mul(dy, sHat), 0);
        const dBeta = tf.sum(dy, 0);
        // d/dx of (x - mean) / std: remove the mean of the gradient and its projection on xHat
        const gx = tf.mul(dy, sg);
        const dx = tf.mul(sInv, tf.sub(tf.sub(gx, tf.mean(gx, 1, true)), tf.mul(sHat, tf.mean(tf.mul(gx, sHat), 1, true))));
        return [dx, dGamma, dBeta];
      },
    };
  });
  return f(x, gamma, beta) as tf.Tensor2D;
}

/**
 * GELU in its sigmoid approximation `x · σ(1.702 x)` (Hendrycks & Gimpel): within 0.02 of the exact
 * function, and several times cheaper than the tanh form on wasm, whose Tanh kernel is slow.
 */
export function gelu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))) as tf.Tensor2D);
}

/** Inverted dropout with a mask drawn on the host from `rng`, so a seed fixes every mask. */
function applyDropout(x: tf.Tensor2D, { rate, rng }: DropoutOptions): tf.Tensor2D {
  const keep = new Float32Array(x.size);
  const scale = 1 / (1 - rate);
  for (let i = 0; i < keep.length; i++) keep[i] = rng.next() < rate ? 0 : scale;
  return tf.mul(x, tf.tensor2d(keep, x.shape)) as tf.Tensor2D;
}
