import type { LogStore } from './log-store.ts';

export const Discriminator = Symbol.for('crops.Discriminator');

/**
 * Scores how relevant an item text (or another query) is to a query, in [0, 1]. Used by the
 * reformulation, feed and LLM sources to filter candidates (paper threshold 0.6).
 *
 * Contract: `score` is synchronous, finite, within [0, 1], and a function of its inputs alone for
 * the life of the trial: equal inputs give equal outputs whatever was scored before (derive any
 * noise from a hash of the inputs, not from a stream). The runner creates the discriminator after
 * the dataset and calls `init` with the trial's logs before any positive source is created.
 * A discriminator plugin declares `provides: ['discriminator']`, the trait sources require.
 *
 * @example
 * ```ts
 * @injectable()
 * class SharedWordsDiscriminator implements Discriminator {
 *   score(query: string, text: string): number {
 *     const q = new Set(tokenize(query));
 *     const hits = new Set(tokenize(text).filter((t) => q.has(t)));
 *     return q.size === 0 ? 0 : hits.size / q.size;
 *   }
 * }
 * export default definePlugin({ kind: 'discriminator', name: 'shared-words', summary: 'share of query words in the text',
 *   schema: z.object({}).strict(), implementation: SharedWordsDiscriminator, provides: ['discriminator'] });
 * ```
 */
export interface Discriminator {
  /**
   * Build whatever `score` needs from the logs (corpus statistics, a model read from disk). Called
   * once per trial, before the first `score`; discriminators that need nothing leave it out.
   */
  init?(store: LogStore): Promise<void>;
  /** `itemId` is set when the text is a corpus item, so ground-truth discriminators can use it */
  score(query: string, text: string, itemId?: number): number;
  /** frees what `init` built (tensors of a model); the runner calls it when the trial ends */
  dispose?(): void;
}
