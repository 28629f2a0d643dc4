import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../src/core/rng.ts';
import { dense } from '../../src/backend/ops.ts';

/** Layer sizes and initialisation stream of an {@link Mlp}. */
export interface MlpOptions {
  input: number;
  /** widths of the relu hidden layers, possibly none */
  hidden: readonly number[];
  output: number;
  rng: Rng;
}

/**
 * A stack of dense layers (relu between, linear output) whose weights are trainable `tf.Variable`s.
 * Weights are drawn from the given {@link Rng}, so equal seeds give equal networks on every backend.
 */
export class Mlp {
  private readonly layers: Array<{ w: tf.Variable; b: tf.Variable }> = [];

  constructor(opts: MlpOptions | { copyOf: Mlp; trainable: boolean }) {
    if ('copyOf' in opts) {
      // variables made from another's share its buffers by reference count until either is assigned
      this.layers = opts.copyOf.layers.map(({ w, b }) => ({ w: tf.variable(w, opts.trainable), b: tf.variable(b, opts.trainable) }));
      return;
    }
    const sizes = [opts.input, ...opts.hidden, opts.output];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fanIn = sizes[l]!;
      const fanOut = sizes[l + 1]!;
      const last = l + 2 === sizes.length;
      // He-uniform before a relu, Glorot-uniform for the linear output
      const limit = last ? Math.sqrt(6 / (fanIn + fanOut)) : Math.sqrt(6 / fanIn);
      const values = new Float32Array(fanIn * fanOut);
      for (let i = 0; i < values.length; i++) values[i] = (2 * opts.rng.next() - 1) * limit;
      // tidy frees the initial values; variables outlive it
      this.layers.push(tf.tidy(() => ({ w: tf.variable(tf.tensor2d(values, [fanIn, fanOut]), true), b: tf.variable(tf.zeros([fanOut]), true) })));
    }
  }

  /** `[n, input]` -> `[n, output]`. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    this.layers.forEach(({ w, b }, l) => {
      h = dense(h, w as tf.Tensor2D, b as tf.Tensor1D, l + 1 < this.layers.length ? 'relu' : 'linear');
    });
    return h;
  }

  variables(): tf.Variable[] {
    return this.layers.flatMap(({ w, b }) => [w, b]);
  }

  /** An independent network with the current weights, trainable or not (e.g. a frozen tower). */
  copy(trainable: boolean): Mlp {
    return new Mlp({ copyOf: this, trainable });
  }

  parameterCount(): number {
    return this.layers.reduce((n, { w, b }) => n + w.size + b.size, 0);
  }

  dispose(): void {
    for (const { w, b } of this.layers) {
      w.dispose();
      b.dispose();
    }
  }
}

/** Rows scaled to unit L2 norm; `epsilon` keeps the gradient finite at the zero vector. */
export function l2Normalize(x: tf.Tensor2D, epsilon = 1e-12): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), 1, true), epsilon))));
}
