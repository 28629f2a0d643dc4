import * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Rng } from '../../src/core/rng.ts';
import { PluginParams, TrialRng } from '../../src/core/services.ts';
import { masksFor } from '../../kits/encoder/replayed-masks.ts';
import type { AdamSettings, Encoder, PreparedInput, Side } from '../../src/extension-points/encoder.ts';
import { l2Normalize } from '../../kits/encoder/mlp.ts';
import { SparseTable } from '../../kits/encoder/sparse-table.ts';
import { FeatureHasher } from '../../kits/text/tokenize.ts';
import { loadTowers, saveTowers, type Tower } from '../../kits/encoder/tower-checkpoint.ts';
import { TowerPair } from '../../kits/encoder/tower-pair.ts';
import { TransformerStack } from '../../kits/encoder/transformer.ts';
import { transformerCheckpoint } from './transformer-checkpoint.ts';

const schema = z
  .object({
    buckets: z.number().int().min(16).default(2 ** 16).describe('hash buckets, i.e. rows of each token-embedding table'),
    dim: z.number().int().positive().default(64).describe('model width: token embeddings, hidden states and the output embedding'),
    heads: z.number().int().positive().default(4).describe('attention heads per layer; must divide dim'),
    layers: z.number().int().min(1).default(2).describe('number of transformer blocks'),
    ffnDim: z.number().int().positive().default(128).describe('hidden width of each block\'s feed-forward network'),
    activation: z.enum(['gelu', 'relu']).default('gelu').describe('feed-forward activation'),
    maxLen: z.number().int().positive().default(32).describe('tokens kept per text; longer texts are truncated'),
    dropout: z.number().min(0).max(0.9).default(0).describe('dropout rate on embeddings and block outputs during training (masks drawn from the trial seed)'),
    sharedTowers: z.boolean().default(true).describe('one table and network for queries and items; false gives each side its own'),
    initScale: z.number().positive().default(0.1).describe('standard deviation of the initial token and position embeddings'),
    hashSeed: z.number().int().min(0).default(0).describe('seed of the token hash (changes which tokens collide)'),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.dim % p.heads !== 0) ctx.addIssue({ code: 'custom', path: ['dim'], message: `must be a multiple of heads (${p.heads}), so every head gets dim / heads values` });
  });
type Params = z.output<typeof schema>;

/** Token rows of a batch as one-token segments of `table.pool`: position `p` of text `b` is segment `b * L + p`, empty when padded. */
interface TokenBatch {
  offsets: Int32Array;
  ids: Int32Array;
  lengths: Int32Array;
  positions: number;
}

/** Texts per chunk in `encode`, bounding the size of one forward pass. */
const ENCODE_CHUNK = 256;

/**
 * Hashed word tokens -> host-side token embeddings (lazy Adam, as in `hash-mlp`) -> learned
 * positions -> `layers` pre-LN transformer blocks -> masked mean-pool -> linear -> unit vector.
 *
 * Unlike `hash-mlp`, which averages a bag of tokens and bigrams, it models word order and context,
 * at `(4 · dim + 2 · ffnDim) · dim` multiply-adds per token and layer plus attention, instead of one
 * MLP per text: meant for GPU backends, small enough at the defaults to train on wasm. `prepare` gathers each text's first
 * `maxLen` token rows into a `[n, L, dim]` leaf (L = longest text of the batch), so the table stays
 * outside autodiff; `applySparse` scatters d(loss)/d(leaf) back to those rows. Padding never changes
 * a text's embedding. With `sharedTowers` (default) queries and items share table and network;
 * otherwise each side has its own. Host memory: 12 bytes per table cell (value and two Adam
 * moments), about 50 MB per table at the defaults, committed as rows are first touched.
 * `freeze(side)` fixes one tower (ADORE); with shared towers that side first gets its own copy of
 * the table and network. `save`/`load` keep the towers for inference in a folder (see
 * `transformer-checkpoint.ts`), e.g. for the `dense-teacher` discriminator.
 */
@injectable()
export class TransformerEncoder implements Encoder {
  readonly dim: number;
  private readonly hasher: FeatureHasher;
  private readonly pair: TowerPair<TransformerStack>;
  private readonly dropoutRng: Rng;

  constructor(
    @inject(PluginParams) private readonly params: Params,
    @inject(TrialRng) rng: Rng,
  ) {
    this.dim = params.dim;
    this.hasher = new FeatureHasher({ buckets: params.buckets, bigrams: false, seed: params.hashSeed });
    const init = rng.fork('transformer:init');
    this.dropoutRng = rng.fork('transformer:dropout');
    const tower = (label: string): Tower<TransformerStack> => ({
      table: new SparseTable({ rows: params.buckets, dim: params.dim, initScale: params.initScale, seed: init.nextU32() }),
      net: new TransformerStack({ ...params, rng: init.fork(label) }),
    });
    const query = tower('query');
    this.pair = new TowerPair(query, params.sharedTowers ? undefined : tower('item'));
  }

  prepare(texts: string[], side: Side): PreparedInput {
    const batch = this.tokenBatch(texts);
    const rows = this.pair.towers[side].table.pool(batch.offsets, batch.ids);
    return { side, size: texts.length, leaves: [tf.tensor3d(rows, [texts.length, batch.positions, this.dim])], state: batch };
  }

  embed(input: PreparedInput): tf.Tensor2D {
    const leaf = input.leaves[0] as tf.Tensor3D | undefined;
    if (leaf === undefined) throw new Error('transformer: embed() needs the leaf produced by prepare()');
    const { lengths } = input.state as TokenBatch;
    const dropout = this.params.dropout > 0 ? { rate: this.params.dropout, rng: masksFor(input.state as TokenBatch, this.dropoutRng) } : undefined;
    return tf.tidy(() => l2Normalize(this.pair.towers[input.side].net.apply(leaf, lengths, dropout)));
  }

  variables(): tf.Variable[] {
    return this.pair.variables();
  }

  applySparse(input: PreparedInput, leafGrads: tf.Tensor[], adam: AdamSettings): void {
    const { offsets, ids } = input.state as TokenBatch;
    this.pair.applySparse(input.side, offsets, ids, leafGrads[0], adam);
  }

  freeze(side: Side): void {
    this.pair.freeze(side);
  }

  async encode(texts: string[], side: Side): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dim);
    for (const chunk of this.chunksByLength(texts)) {
      const y = this.forward(chunk.map((i) => texts[i]!), side);
      const values = await y.data();
      y.dispose();
      chunk.forEach((i, row) => out.set(values.subarray(row * this.dim, (row + 1) * this.dim), i * this.dim));
    }
    return out;
  }

  encodeSync(texts: string[], side: Side): Float32Array {
    const out = new Float32Array(texts.length * this.dim);
    for (const chunk of this.chunksByLength(texts)) {
      const y = this.forward(chunk.map((i) => texts[i]!), side);
      const values = y.dataSync();
      y.dispose();
      chunk.forEach((i, row) => out.set(values.subarray(row * this.dim, (row + 1) * this.dim), i * this.dim));
    }
    return out;
  }

  async save(dir: string): Promise<void> {
    await saveTowers(dir, transformerCheckpoint(this.params), this.pair.towers);
  }

  async load(dir: string): Promise<void> {
    await loadTowers(dir, transformerCheckpoint(this.params), this.pair.towers, (net) => net.copy(true));
  }

  parameterCount(): number {
    return this.pair.parameterCount();
  }

  dispose(): void {
    this.pair.dispose();
  }

  /**
   * Indices of `texts` in chunks of at most `ENCODE_CHUNK`, ordered by token count: similar lengths
   * share a chunk, so little of it is padding (padding does not change the output).
   */
  private chunksByLength(texts: readonly string[]): number[][] {
    const counts = texts.map((t) => this.hasher.features(t).length);
    const order = Array.from(texts.keys()).sort((a, b) => counts[a]! - counts[b]!);
    const chunks: number[][] = [];
    for (let start = 0; start < order.length; start += ENCODE_CHUNK) chunks.push(order.slice(start, start + ENCODE_CHUNK));
    return chunks;
  }

  /** Inference embeddings of one chunk of texts, `[texts.length, dim]`, without dropout; the caller disposes them. */
  private forward(texts: string[], side: Side): tf.Tensor2D {
    const input = this.prepare(texts, side);
    const y = tf.tidy(() => l2Normalize(this.pair.towers[side].net.apply(input.leaves[0] as tf.Tensor3D, (input.state as TokenBatch).lengths)));
    tf.dispose(input.leaves);
    return y;
  }

  /** Each text's first `maxLen` token ids, padded to the batch's longest text (at least one position). */
  private tokenBatch(texts: readonly string[]): TokenBatch {
    const tokens = texts.map((t) => this.hasher.features(t).subarray(0, this.params.maxLen));
    const lengths = Int32Array.from(tokens, (t) => t.length);
    const positions = Math.max(1, ...lengths);
    const offsets = new Int32Array(texts.length * positions + 1);
    const ids = new Int32Array(lengths.reduce((n, l) => n + l, 0));
    let at = 0;
    tokens.forEach((t, b) => {
      ids.set(t, at);
      for (let p = 0; p < positions; p++) {
        const segment = b * positions + p;
        offsets[segment + 1] = offsets[segment]! + (p < t.length ? 1 : 0);
      }
      at += t.length;
    });
    return { offsets, ids, lengths, positions };
  }
}

export default definePlugin({
  kind: 'encoder',
  name: 'transformer',
  summary: 'hashed word tokens -> host-side embeddings + positions -> pre-LN transformer blocks -> masked mean-pool -> unit vector',
  schema,
  provides: ['freezable-towers'],
  implementation: TransformerEncoder,
});
