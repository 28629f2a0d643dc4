import type { Item } from './log-store.ts';
import type { Encoder } from './encoder.ts';

export const Retriever = Symbol.for('crops.Retriever');

/** Top-k result for one query, best first. */
export interface Ranking {
  itemIds: Int32Array;
  scores: Float32Array;
}

/**
 * Ranks the whole item corpus for test queries. `build` is called once after training with the
 * trained encoder (undefined for lexical retrievers' trials that skip training); `search` returns
 * exactly `min(k, corpus)` items per query, ties broken by lower item id.
 */
export interface Retriever {
  /** true when the retriever needs no trained encoder (BM25): the trial then skips training */
  readonly lexical?: boolean;
  build(items: Item[], encoder: Encoder | undefined): Promise<void>;
  search(queries: string[], k: number): Promise<Ranking[]>;
  /**
   * Optional: scores given items for each query, e.g. to re-rank a judged set for NDCG.
   * `itemIds[i]` belongs to `queries[i]`; the i-th result holds their scores in the same order.
   * Evaluation falls back to a full-depth `search` when a retriever lacks it.
   */
  scoreItems?(queries: string[], itemIds: ArrayLike<number>[]): Promise<Float32Array[]>;
  dispose?(): void;
}
