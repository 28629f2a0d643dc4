import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../../src/core/rng.ts';
import { dense } from '../../../src/backend/ops.ts';
import { layerNorm } from '../transformer.ts';
import type { BertConfig, Pooling } from './hf-directory.ts';
import type { StoredTensor } from './safetensors.ts';

/** One padded batch of token ids: `[B, L]` row-major, `lengths[b]` real tokens in row b. */
export interface TokenIds {
  ids: Int32Array;
  lengths: Int32Array;
  L: number;
}

export interface BertForwardOptions {
  pooling: Pooling;
  /** hidden dropout (embeddings and sublayer outputs) with host-drawn masks; none at inference */
  dropout?: { rate: number; rng: Rng };
  /** dropout on the attention probabilities (after the softmax), host-drawn masks; none at inference */
  attentionDropout?: { rate: number; rng: Rng };
  /** no gradients will be taken: free each layer's intermediates as soon as it is done */
  inference?: boolean;
}

interface Layer {
  q: [tf.Variable, tf.Variable];
  k: [tf.Variable, tf.Variable];
  v: [tf.Variable, tf.Variable];
  o: [tf.Variable, tf.Variable];
  ln1: [tf.Variable, tf.Variable];
  ffnIn: [tf.Variable, tf.Variable];
  ffnOut: [tf.Variable, tf.Variable];
  ln2: [tf.Variable, tf.Variable];
}

const SQRT_HALF = Math.SQRT1_2;

/**
 * Row lookup `table[ids]` whose gradient is a scatter-add into a table-shaped tensor: tfjs's own
 * gather gradient needs UnsortedSegmentSum, which the wasm backend does not have.
 */
function gatherRows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const f = tf.customGrad((...args: unknown[]) => {
    const [t, save] = [args[0] as tf.Tensor2D, args[1] as tf.GradSaveFunc];
    // saved, so the ids outlive the forward pass's tidy scope until the backward pass
    save([ids]);
    return {
      value: tf.gather(t, ids) as tf.Tensor2D,
      // scatterND adds the rows of repeated ids
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.scatterND(tf.reshape(saved[0]!, [-1, 1]), dy, t.shape)],
    };
  });
  return f(table) as tf.Tensor2D;
}

/**
 * The BERT encoder (post-layer-norm transformer, Devlin et al. 2019) in TensorFlow.js, with the
 * weights of a Hugging Face checkpoint: word + position + token-type(0) embeddings, layer norm,
 * then per layer self-attention and a GELU feed-forward block, each followed by residual + layer
 * norm; pooled over the real tokens. Linear weights are kept as `[in, out]` (Hugging Face stores
 * `[out, in]`), transposed once on load and save. Training may drop hidden units (embeddings and
 * sublayer outputs) and attention probabilities, as BERT's fine-tuning recipe does.
 */
export class BertModel {
  private readonly word: tf.Variable;
  private readonly position: tf.Variable;
  private readonly tokenType: tf.Variable;
  private readonly embLn: [tf.Variable, tf.Variable];
  private readonly layers: Layer[];
  private variableSet?: Set<tf.Variable>;

  private constructor(
    readonly config: BertConfig,
    tensors: (name: string, transpose: boolean) => tf.Tensor,
  ) {
    const v = (name: string, transpose = false) => {
      // a variable shares its initial tensor's data; that tensor would otherwise keep the weights
      // alive after the variable is disposed
      const initial = tensors(name, transpose);
      const variable = tf.variable(initial, true, undefined);
      initial.dispose();
      return variable;
    };
    const lin = (prefix: string): [tf.Variable, tf.Variable] => [v(`${prefix}.weight`, true), v(`${prefix}.bias`)];
    const ln = (prefix: string): [tf.Variable, tf.Variable] => [v(`${prefix}.weight`), v(`${prefix}.bias`)];
    this.word = v('embeddings.word_embeddings.weight');
    this.position = v('embeddings.position_embeddings.weight');
    this.tokenType = v('embeddings.token_type_embeddings.weight');
    this.embLn = ln('embeddings.LayerNorm');
    this.layers = Array.from({ length: config.layers }, (_, i) => {
      const p = `encoder.layer.${i}`;
      return {
        q: lin(`${p}.attention.self.query`),
        k: lin(`${p}.attention.self.key`),
        v: lin(`${p}.attention.self.value`),
        o: lin(`${p}.attention.output.dense`),
        ln1: ln(`${p}.attention.output.LayerNorm`),
        ffnIn: lin(`${p}.intermediate.dense`),
        ffnOut: lin(`${p}.output.dense`),
        ln2: ln(`${p}.output.LayerNorm`),
      };
    });
  }

  /** A model from checkpoint tensors (names as in Hugging Face's BertModel); a missing or misshapen one is an error. */
  static fromWeights(config: BertConfig, weights: ReadonlyMap<string, StoredTensor>): BertModel {
    return new BertModel(config, (name, transpose) => {
      const t = weights.get(name);
      if (!t) throw new Error(`model.safetensors has no tensor '${name}' (is this a BERT checkpoint?)`);
      return tf.tidy(() => {
        const x = tf.tensor(t.data, t.shape);
        return transpose ? tf.transpose(x) : x;
      });
    });
  }

  /** An independent copy (separate towers start from the same checkpoint). */
  copy(): BertModel {
    const names = this.named();
    return new BertModel(this.config, (name) => tf.clone(names.get(name)!.variable));
  }

  /** Variables by Hugging Face name, with whether they are stored transposed. */
  private named(): Map<string, { variable: tf.Variable; transposed: boolean }> {
    const out = new Map<string, { variable: tf.Variable; transposed: boolean }>();
    const put = (name: string, variable: tf.Variable, transposed = false) => out.set(name, { variable, transposed });
    const lin = (prefix: string, [w, b]: [tf.Variable, tf.Variable]) => (put(`${prefix}.weight`, w, true), put(`${prefix}.bias`, b));
    const ln = (prefix: string, [g, b]: [tf.Variable, tf.Variable]) => (put(`${prefix}.weight`, g), put(`${prefix}.bias`, b));
    put('embeddings.word_embeddings.weight', this.word);
    put('embeddings.position_embeddings.weight', this.position);
    put('embeddings.token_type_embeddings.weight', this.tokenType);
    ln('embeddings.LayerNorm', this.embLn);
    this.layers.forEach((l, i) => {
      const p = `encoder.layer.${i}`;
      lin(`${p}.attention.self.query`, l.q);
      lin(`${p}.attention.self.key`, l.k);
      lin(`${p}.attention.self.value`, l.v);
      lin(`${p}.attention.output.dense`, l.o);
      ln(`${p}.attention.output.LayerNorm`, l.ln1);
      lin(`${p}.intermediate.dense`, l.ffnIn);
      lin(`${p}.output.dense`, l.ffnOut);
      ln(`${p}.output.LayerNorm`, l.ln2);
    });
    return out;
  }

  /** Current weights in Hugging Face layout, for saving. */
  async weights(): Promise<Map<string, StoredTensor>> {
    const out = new Map<string, StoredTensor>();
    for (const [name, { variable, transposed }] of this.named()) {
      const t = transposed ? tf.transpose(variable) : variable;
      out.set(name, { shape: [...t.shape], data: (await t.data()) as Float32Array });
      if (transposed) t.dispose();
    }
    return out;
  }

  /**
   * Trainable variables: all, less the embeddings when `freezeEmbeddings`, less the bottom
   * `freezeLayers` layers.
   */
  variables(freezeEmbeddings = false, freezeLayers = 0): tf.Variable[] {
    const out: tf.Variable[] = [];
    if (!freezeEmbeddings) out.push(this.word, this.position, this.tokenType, ...this.embLn);
    this.layers.forEach((l, i) => {
      if (i >= freezeLayers) out.push(...l.q, ...l.k, ...l.v, ...l.o, ...l.ln1, ...l.ffnIn, ...l.ffnOut, ...l.ln2);
    });
    return out;
  }

  /** Whether `variable` is one of this model's weights. */
  owns(variable: tf.Variable): boolean {
    this.variableSet ??= new Set(this.allVariables());
    return this.variableSet.has(variable);
  }

  /** All variables, trainable or not. */
  allVariables(): tf.Variable[] {
    return [...this.named().values()].map((e) => e.variable);
  }

  /** Pooled (not normalised) sentence vectors `[B, hidden]`. */
  forward(batch: TokenIds, opts: BertForwardOptions): tf.Tensor2D {
    const { hidden: H, heads, layerNormEps: eps } = this.config;
    const { ids, lengths, L } = batch;
    const B = lengths.length;
    const hd = H / heads;
    const maskBias = new Float32Array(B * L);
    const poolW = new Float32Array(B * L);
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < L; p++) {
        if (p < lengths[b]!) poolW[b * L + p] = opts.pooling === 'mean' ? 1 / lengths[b]! : 1;
        else maskBias[b * L + p] = -1e9;
      }
    }
    // inverted dropout with masks drawn on the host, so a seed fixes every mask on every backend
    const dropWith = <T extends tf.Tensor>(x: T, spec: { rate: number; rng: Rng } | undefined): T => {
      if (!spec || spec.rate <= 0) return x;
      const { rate, rng } = spec;
      const keep = new Float32Array(x.size);
      for (let i = 0; i < keep.length; i++) keep[i] = rng.next() < rate ? 0 : 1 / (1 - rate);
      return tf.mul(x, tf.tensor(keep, x.shape)) as T;
    };
    const drop = (x: tf.Tensor2D): tf.Tensor2D => dropWith(x, opts.dropout);
    const norm = (x: tf.Tensor2D, [gamma, beta]: [tf.Variable, tf.Variable]) => layerNorm(x, { gamma, beta }, eps);
    const lin = (x: tf.Tensor2D, [w, b]: [tf.Variable, tf.Variable]) => dense(x, w as tf.Tensor2D, b as tf.Tensor1D, 'linear');
    // [B*L, H] -> [B*heads, L, hd]
    const split = (x: tf.Tensor2D) => tf.reshape(tf.transpose(tf.reshape(x, [B, L, heads, hd]), [0, 2, 1, 3]), [B * heads, L, hd]) as tf.Tensor3D;

    return tf.tidy(() => {
      const positions = tf.tensor1d(Int32Array.from({ length: B * L }, (_, i) => i % L), 'int32');
      const idT = tf.tensor1d(ids, 'int32');
      let x = tf.add(tf.add(gatherRows(this.word as tf.Tensor2D, idT), gatherRows(this.position as tf.Tensor2D, positions)), tf.slice(this.tokenType, [0, 0], [1, H])) as tf.Tensor2D;
      x = drop(norm(x, this.embLn));
      // a batch without padding masks nothing: adding its zero bias to every score would be a full
      // pass over the [B*heads, L, L] scores per layer for nothing
      const padded = lengths.some((n) => n < L);
      const bias = padded ? tf.reshape(tf.tile(tf.reshape(tf.tensor2d(maskBias, [B, L]), [B, 1, 1, L]), [1, heads, 1, 1]), [B * heads, 1, L]) : undefined;
      const layer = (l: Layer, x: tf.Tensor2D): tf.Tensor2D => {
        const q = tf.mul(split(lin(x, l.q)), 1 / Math.sqrt(hd));
        const k = split(lin(x, l.k));
        const v = split(lin(x, l.v));
        // explicit transpose: a transposed operand leaves the fast matMul path on wasm (splitting into
        // per-head 2-D products is no help there: its Unpack kernel costs more than it saves)
        const raw = tf.matMul(q, tf.transpose(k, [0, 2, 1]));
        const scores = bias ? tf.add(raw, bias) : raw;
        const ctx = tf.matMul(dropWith(tf.softmax(scores), opts.attentionDropout), v);
        const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [B, heads, L, hd]), [0, 2, 1, 3]), [B * L, H]) as tf.Tensor2D;
        const a = norm(tf.add(drop(lin(merged, l.o)), x) as tf.Tensor2D, l.ln1);
        const h = lin(a, l.ffnIn);
        // exact GELU, as BERT was trained with
        const g = tf.mul(tf.mul(h, 0.5), tf.add(1, tf.erf(tf.mul(h, SQRT_HALF)))) as tf.Tensor2D;
        return norm(tf.add(drop(lin(g, l.ffnOut)), a) as tf.Tensor2D, l.ln2);
      };
      // at inference each layer's intermediates are freed before the next, so a batch of 32 texts
      // of 256 tokens fits the wasm heap; training keeps them for the backward pass
      for (const l of this.layers) x = opts.inference ? tf.tidy(() => layer(l, x)) : layer(l, x);
      const seq = tf.reshape(x, [B, L, H]) as tf.Tensor3D;
      if (opts.pooling === 'cls') return tf.reshape(tf.slice(seq, [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
      if (opts.pooling === 'max') return tf.max(tf.add(seq, tf.reshape(tf.tensor2d(maskBias, [B, L]), [B, L, 1])), 1) as tf.Tensor2D;
      return tf.reshape(tf.matMul(tf.tensor3d(poolW, [B, 1, L]), seq), [B, H]) as tf.Tensor2D;
    });
  }

  parameterCount(): number {
    return this.allVariables().reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    for (const v of this.allVariables()) v.dispose();
  }
}
