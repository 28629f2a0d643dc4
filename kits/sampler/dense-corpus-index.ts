import * as tf from '@tensorflow/tfjs-core';
import type { Side } from '../../src/extension-points/encoder.ts';
import { denseTopK } from '../retriever/dense-top-k.ts';

/** The trial encoder's inference call, as a sampler sees it (`SamplerContext.encode`). */
export type EncodeFn = (texts: string[], side: Side) => Promise<Float32Array>;

/** Chunk sizes of a {@link DenseCorpusIndex}. */
export interface DenseIndexChunks {
  /** texts per encoder call */
  encode: number;
  /** items per matMul and top-k */
  items: number;
  /** query rows per search block; a score block is queries x items floats */
  queries: number;
}

/** Encodes `texts` in chunks of `chunk` into one `[texts.length, dim]` row-major array. */
export async function encodeInChunks(encode: EncodeFn, texts: readonly string[], side: Side, chunk: number): Promise<{ values: Float32Array; dim: number }> {
  const parts: Float32Array[] = [];
  for (let start = 0; start < texts.length; start += chunk) parts.push(await encode(texts.slice(start, start + chunk), side));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const dim = texts.length > 0 ? total / texts.length : 0;
  if (!Number.isInteger(dim)) throw new Error(`encoder returned ${total} floats for ${texts.length} texts`);
  const values = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    values.set(p, at);
    at += p.length;
  }
  return { values, dim };
}

/**
 * A snapshot of the corpus encoded by the current model, for mining negatives during training:
 * the item embeddings stay on the device as one `[dim, n]` matrix and queries are searched exactly
 * with {@link denseTopK}. Call `dispose()` when replacing it.
 */
export class DenseCorpusIndex {
  private constructor(
    /** `[n, dim]` item embeddings on the host */
    readonly embeddings: Float32Array,
    readonly dim: number,
    private readonly itemsT: tf.Tensor2D,
    private readonly chunks: DenseIndexChunks,
  ) {}

  /** Encodes `texts` (item ids = positions) with the current item tower. */
  static async build(encode: EncodeFn, texts: readonly string[], chunks: DenseIndexChunks): Promise<DenseCorpusIndex> {
    if (texts.length === 0) throw new Error('cannot index an empty corpus');
    const { values, dim } = await encodeInChunks(encode, texts, 'item', chunks.encode);
    const itemsT = tf.tidy(() => tf.transpose(tf.tensor2d(values, [texts.length, dim])));
    return new DenseCorpusIndex(values, dim, itemsT, chunks);
  }

  get size(): number {
    return this.itemsT.shape[1];
  }

  /**
   * Per query embedding row (`[rows, dim]` row-major), the ids and scores of the best `count` items
   * not in that row's `skip` set, best first (ties to the lower id).
   */
  async searchExcluding(queries: Float32Array, skip: readonly ReadonlySet<number>[], count: number): Promise<Array<{ ids: number[]; scores: number[] }>> {
    const out: Array<{ ids: number[]; scores: number[] }> = [];
    for (let start = 0; start < skip.length; start += this.chunks.queries) {
      const rows = skip.slice(start, start + this.chunks.queries);
      const depth = count + Math.max(...rows.map((s) => s.size));
      const q = tf.tensor2d(queries.subarray(start * this.dim, (start + rows.length) * this.dim), [rows.length, this.dim]);
      try {
        const rankings = await denseTopK(q, this.itemsT, depth, this.chunks.items);
        rankings.forEach((r, row) => {
          const kept = { ids: [] as number[], scores: [] as number[] };
          for (let i = 0; i < r.itemIds.length && kept.ids.length < count; i++) {
            if (rows[row]!.has(r.itemIds[i]!)) continue;
            kept.ids.push(r.itemIds[i]!);
            kept.scores.push(r.scores[i]!);
          }
          out.push(kept);
        });
      } finally {
        q.dispose();
      }
    }
    return out;
  }

  dispose(): void {
    this.itemsT.dispose();
  }
}
