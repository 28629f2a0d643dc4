export const Discriminator = Symbol.for('crops.Discriminator');

/**
 * Scores how relevant an item text (or another query) is to a query, in [0, 1]. Used by the
 * reformulation, feed and LLM sources to filter candidates (paper threshold 0.6).
 * Must be deterministic for equal inputs within a trial.
 */
export interface Discriminator {
  /** `itemId` is set when the text is a corpus item, so ground-truth discriminators can use it */
  score(query: string, text: string, itemId?: number): number;
}
