import * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Rng } from '../../src/core/rng.ts';
import { PluginParams, TrialRng } from '../../src/core/services.ts';
import type { AdamSettings, Encoder, PreparedInput, Side } from '../../src/extension-points/encoder.ts';
import type { ItemTexts } from '../../src/extension-points/samples.ts';
import { l2Normalize, Mlp } from '../../kits/encoder/mlp.ts';
import { SparseTable } from '../../kits/encoder/sparse-table.ts';
import { CorpusFeatures, FeatureHasher } from '../../kits/text/tokenize.ts';
import { loadTowers, saveTowers, type Tower } from '../../kits/encoder/tower-checkpoint.ts';
import { TowerPair } from '../../kits/encoder/tower-pair.ts';
import { hashMlpCheckpoint } from './hash-mlp-checkpoint.ts';

const schema = z
  .object({
    buckets: z.number().int().min(16).default(2 ** 18).describe('hash buckets, i.e. rows of each embedding table'),
    embDim: z.number().int().positive().default(64).describe('width of an embedding-table row'),
    hidden: z.array(z.number().int().positive()).default([256]).describe('widths of the relu hidden layers of the MLP'),
    dim: z.number().int().positive().default(128).describe('size of the output embedding'),
    bigrams: z.boolean().default(true).describe('hash pairs of adjacent tokens as well as single tokens'),
    sharedTowers: z.boolean().default(true).describe('one table and MLP for queries and items; false gives each side its own'),
    initScale: z.number().positive().default(0.1).describe('standard deviation of the initial table values'),
    seedOffset: z.number().int().min(0).default(0).describe('selects another initialisation for the same trial seed'),
    hashSeed: z.number().int().min(0).default(0).describe('seed of the token hash (changes which tokens collide)'),
  })
  .strict();
type Params = z.output<typeof schema>;

interface HashedBatch {
  offsets: Int32Array;
  ids: Int32Array;
}

/** Texts per chunk in `encode`, bounding the size of one upload. */
const ENCODE_CHUNK = 2048;

/**
 * Bag of hashed tokens and bigrams -> mean of embedding-table rows -> MLP -> unit vector.
 *
 * The tables stay on the host: `prepare` pools the rows of each text into a `[n, embDim]` leaf,
 * `embed` runs the MLP on it, and `applySparse` scatters d(loss)/d(leaf) back to the rows and
 * updates only those with lazy Adam, which keeps a step's cost independent of the table size.
 * With `sharedTowers` (default) queries and items share one table and MLP (a siamese retriever);
 * otherwise each side has its own. Unlike a transformer encoder it ignores word order beyond bigrams.
 * Host memory: 12 bytes per table cell (value and two Adam moments), about 200 MB per table at the
 * defaults, committed as rows are first touched. Sparse updates are applied at the next `prepare`
 * or `encode` (see `SparseTable`), so a step's query- and item-side gradients form one Adam step.
 * `freeze(side)` fixes one tower (ADORE); with shared towers that side first gets its own copy of
 * the table and MLP, doubling the table memory. `save`/`load` keep the towers for inference in a
 * folder (see `hash-mlp-checkpoint.ts`), e.g. for the `dense-teacher` discriminator.
 * Training items are hashed once, at the first `prepareItems` (all of them, kept by item id), so
 * a step does no string work for its candidates; queries go through a memo keyed by text.
 */
@injectable()
export class HashMlpEncoder implements Encoder {
  readonly dim: number;
  private readonly hasher: FeatureHasher;
  private readonly pair: TowerPair<Mlp>;
  /** hashed features of the training items, computed at the first `prepareItems` */
  private corpus: CorpusFeatures | undefined;

  constructor(
    @inject(PluginParams) private readonly params: Params,
    @inject(TrialRng) rng: Rng,
  ) {
    this.dim = params.dim;
    this.hasher = new FeatureHasher({ buckets: params.buckets, bigrams: params.bigrams, seed: params.hashSeed });
    const init = rng.fork(`hash-mlp:${params.seedOffset}`);
    const tower = (label: string): Tower<Mlp> => ({
      table: new SparseTable({ rows: params.buckets, dim: params.embDim, initScale: params.initScale, seed: init.nextU32() }),
      net: new Mlp({ input: params.embDim, hidden: params.hidden, output: params.dim, rng: init.fork(label) }),
    });
    const query = tower('query');
    this.pair = new TowerPair(query, params.sharedTowers ? undefined : tower('item'));
  }

  prepare(texts: string[], side: Side): PreparedInput {
    return this.pooled(this.hasher.batch(texts), side);
  }

  prepareItems(itemIds: ArrayLike<number>, items: ItemTexts): PreparedInput {
    if (!this.corpus?.covers(items.texts)) this.corpus = new CorpusFeatures(items.texts, this.hasher.options);
    return this.pooled(this.corpus.batch(itemIds), 'item');
  }

  private pooled(batch: HashedBatch, side: Side): PreparedInput {
    const size = batch.offsets.length - 1;
    const pooled = this.pair.towers[side].table.pool(batch.offsets, batch.ids);
    return { side, size, leaves: [tf.tensor2d(pooled, [size, this.params.embDim])], state: batch };
  }

  embed(input: PreparedInput): tf.Tensor2D {
    const leaf = input.leaves[0] as tf.Tensor2D | undefined;
    if (leaf === undefined) throw new Error('hash-mlp: embed() needs the leaf produced by prepare()');
    return tf.tidy(() => l2Normalize(this.pair.towers[input.side].net.apply(leaf)));
  }

  variables(): tf.Variable[] {
    return this.pair.variables();
  }

  applySparse(input: PreparedInput, leafGrads: tf.Tensor[], adam: AdamSettings): void {
    const { offsets, ids } = input.state as HashedBatch;
    this.pair.applySparse(input.side, offsets, ids, leafGrads[0], adam);
  }

  freeze(side: Side): void {
    this.pair.freeze(side);
  }

  async encode(texts: string[], side: Side): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dim);
    for (let start = 0; start < texts.length; start += ENCODE_CHUNK) {
      const y = this.forward(texts.slice(start, start + ENCODE_CHUNK), side);
      out.set(await y.data(), start * this.dim);
      y.dispose();
    }
    return out;
  }

  encodeSync(texts: string[], side: Side): Float32Array {
    const out = new Float32Array(texts.length * this.dim);
    for (let start = 0; start < texts.length; start += ENCODE_CHUNK) {
      const y = this.forward(texts.slice(start, start + ENCODE_CHUNK), side);
      out.set(y.dataSync(), start * this.dim);
      y.dispose();
    }
    return out;
  }

  async save(dir: string): Promise<void> {
    await saveTowers(dir, hashMlpCheckpoint(this.params), this.pair.towers);
  }

  async load(dir: string): Promise<void> {
    await loadTowers(dir, hashMlpCheckpoint(this.params), this.pair.towers, (mlp) => mlp.copy(true));
  }

  /** Unit embeddings of one chunk of texts, `[texts.length, dim]`; the caller disposes them. */
  private forward(texts: string[], side: Side): tf.Tensor2D {
    const { offsets, ids } = this.hasher.batch(texts);
    const pooled = this.pair.towers[side].table.pool(offsets, ids);
    return tf.tidy(() => l2Normalize(this.pair.towers[side].net.apply(tf.tensor2d(pooled, [texts.length, this.params.embDim]))));
  }

  parameterCount(): number {
    return this.pair.parameterCount();
  }

  dispose(): void {
    this.pair.dispose();
  }
}

export default definePlugin({
  kind: 'encoder',
  name: 'hash-mlp',
  summary: 'hashed token+bigram bag -> host-side sparse embeddings (lazy Adam) -> MLP -> unit vector',
  schema,
  provides: ['freezable-towers'],
  implementation: HashMlpEncoder,
});
