import type { Item } from '../engine/log-store.ts';
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
  dispose?(): void;
}
