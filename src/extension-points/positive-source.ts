import type { LogStore } from './log-store.ts';
import type { Candidate } from './samples.ts';

export const PositiveSource = Symbol.for('crops.PositiveSource');

/** Pseudo-items a source generated (P3); they get ids after the corpus. */
export interface PseudoItem {
  /** temporary key the source uses in its candidates' `pseudoKey` */
  key: string;
  text: string;
}

export interface MinedCandidates {
  /** candidates pointing at corpus items */
  candidates: Candidate[];
  /** candidates pointing at pseudo-items, by key; the engine assigns ids */
  pseudo?: { items: PseudoItem[]; candidates: Array<{ query: string; pseudoKey: string; origin: string }> };
}

/**
 * Mines (query, item, origin) candidates from the train split of a LogStore. Several sources may be
 * listed in one trial; the label scheme later grades each origin and overlaps keep the highest grade.
 * Sources that filter with a discriminator or generate with an LLM inject those plugins by token and
 * declare `requires: [{ trait: 'discriminator' }]` in their descriptor.
 *
 * @example
 * ```ts
 * @injectable()
 * class LikesOnly implements PositiveSource {
 *   async mine(store: LogStore) {
 *     const q = new Map(store.train.sessions.map((s) => [s.sessionId, s.query]));
 *     return { candidates: store.train.impressions.filter((i) => i.liked)
 *       .map((i) => ({ query: q.get(i.sessionId)!, itemId: i.itemId, origin: 'search-click' })) };
 *   }
 * }
 * ```
 */
export interface PositiveSource {
  mine(store: LogStore): Promise<MinedCandidates>;
}
