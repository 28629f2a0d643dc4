import * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { Item } from '../../src/extension-points/log-store.ts';
import { denseTopK } from '../../kits/retriever/dense-top-k.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import type { Ranking, Retriever } from '../../src/extension-points/retriever.ts';

const schema = z
  .object({
    queryChunk: z.number().int().positive().default(256).describe('queries encoded and scored per matMul'),
    itemChunk: z.number().int().positive().default(32768).describe('items per matMul and top-k; the score block is queryChunk x itemChunk floats'),
    encodeChunk: z.number().int().positive().default(1024).describe('items per encoder call while building the index'),
  })
  .strict();
type Params = z.output<typeof schema>;

/**
 * Exact maximum-inner-product search with the trained towers: the item embeddings stay on the
 * device as one `[dim, n]` matrix and each query chunk is searched with {@link denseTopK}: chunked
 * matMul, per-chunk `tf.topk`, a host merge; ties go to the lower item id.
 * Use it for corpora up to a few million items; it needs a trained encoder.
 */
@injectable()
export class DenseExactRetriever implements Retriever {
  private itemsT: tf.Tensor2D | undefined;
  private encoder: Encoder | undefined;
  private n = 0;

  constructor(@inject(PluginParams) private readonly params: Params) {}

  async build(items: Item[], encoder: Encoder | undefined): Promise<void> {
    if (!encoder) throw new Error('retriever dense-exact needs a trained encoder; use a lexical retriever (bm25) for untrained runs');
    this.dispose();
    const dim = encoder.dim;
    const host = new Float32Array(items.length * dim);
    for (let start = 0; start < items.length; start += this.params.encodeChunk) {
      const texts = items.slice(start, start + this.params.encodeChunk).map((it) => it.text);
      host.set(checked(await encoder.encode(texts, 'item'), texts.length, dim), start * dim);
    }
    this.encoder = encoder;
    this.n = items.length;
    if (this.n > 0) this.itemsT = tf.tidy(() => tf.transpose(tf.tensor2d(host, [this.n, dim])));
  }

  async search(queries: string[], k: number): Promise<Ranking[]> {
    const encoder = this.ready();
    const kk = Math.min(Math.max(0, Math.floor(k)), this.n);
    if (kk === 0 || !this.itemsT) return queries.map(() => ({ itemIds: new Int32Array(0), scores: new Float32Array(0) }));
    const out: Ranking[] = [];
    for (let qs = 0; qs < queries.length; qs += this.params.queryChunk) {
      const texts = queries.slice(qs, qs + this.params.queryChunk);
      const q = tf.tensor2d(checked(await encoder.encode(texts, 'query'), texts.length, encoder.dim), [texts.length, encoder.dim]);
      try {
        out.push(...(await denseTopK(q, this.itemsT, kk, this.params.itemChunk)));
      } finally {
        q.dispose();
      }
    }
    return out;
  }

  async scoreItems(queries: string[], itemIds: ArrayLike<number>[]): Promise<Float32Array[]> {
    const encoder = this.ready();
    const itemsT = this.itemsT;
    const out: Float32Array[] = [];
    for (let qs = 0; qs < queries.length; qs += this.params.queryChunk) {
      const texts = queries.slice(qs, qs + this.params.queryChunk);
      const lists = itemIds.slice(qs, qs + texts.length);
      const pairQuery = lists.flatMap((l, r) => Array.from(l, () => r));
      const pairItem = lists.flatMap((l) => Array.from(l));
      const bad = pairItem.find((id) => !Number.isInteger(id) || id < 0 || id >= this.n);
      if (bad !== undefined) throw new Error(`dense-exact: item id ${bad} is outside the corpus (0..${this.n - 1})`);
      const emb = checked(await encoder.encode(texts, 'query'), texts.length, encoder.dim);
      let flat: Float32Array = new Float32Array(0);
      if (itemsT && pairItem.length > 0) {
        const s = tf.tidy(() => {
          const q = tf.gather(tf.tensor2d(emb, [texts.length, encoder.dim]), tf.tensor1d(pairQuery, 'int32'));
          const it = tf.transpose(tf.gather(itemsT, tf.tensor1d(pairItem, 'int32'), 1));
          return tf.sum(tf.mul(q, it), 1);
        });
        flat = (await s.data()) as Float32Array;
        s.dispose();
      }
      let offset = 0;
      for (const l of lists) out.push(flat.slice(offset, (offset += l.length)));
    }
    return out;
  }

  dispose(): void {
    this.itemsT?.dispose();
    this.itemsT = undefined;
    this.encoder = undefined;
    this.n = 0;
  }

  private ready(): Encoder {
    if (!this.encoder) throw new Error('dense-exact: search before build (or after dispose)');
    return this.encoder;
  }
}

function checked(emb: Float32Array, rows: number, dim: number): Float32Array {
  if (emb.length !== rows * dim) throw new Error(`encoder returned ${emb.length} floats for ${rows} texts of dim ${dim}`);
  return emb;
}

export default definePlugin({
  kind: 'retriever',
  name: 'dense-exact',
  summary: 'exact top-k by chunked matMul over the trained item embeddings',
  schema,
  implementation: DenseExactRetriever,
});
