import type { Rng } from '../core/rng.ts';
import type { LogStore } from './log-store.ts';

export const Dataset = Symbol.for('crops.Dataset');

/**
 * Produces the canonical logs for a trial: items, train-day and test-day search sessions with their
 * funnel impressions, recommendation-feed interactions, and judged pairs.
 *
 * Contract: deterministic for equal params (use the injected `TrialRng` only for dataset-level
 * randomness that is meant to vary with the trial seed). Item ids are dense `0..n-1`.
 *
 * @example
 * ```ts
 * @injectable()
 * class TwoItemDataset implements Dataset {
 *   async load(): Promise<LogStore> {
 *     return { items: [{ id: 0, text: 'a b' }, { id: 1, text: 'c d' }],
 *       train: { sessions: [], impressions: [], recInteractions: [] },
 *       test: { sessions: [], impressions: [], recInteractions: [] }, judgments: [] };
 *   }
 * }
 * export default definePlugin({ kind: 'dataset', name: 'two-items', summary: 'two items',
 *   schema: z.object({}).strict(), implementation: TwoItemDataset });
 * ```
 */
export interface Dataset {
  load(): Promise<LogStore>;
  /**
   * Ground-truth relevance (0..3) of an item for a query, where the data has one (simulators).
   * Backs the `oracle` discriminator; real-log datasets leave it undefined.
   */
  trueGrade?(query: string, itemId: number): number;
  /**
   * The simulator's topic model, for datasets that provide the `world-ground-truth` trait (backs the
   * `oracle` discriminator on texts without an item id and the `world-knowledge` LLM).
   */
  knowledge?(): WorldKnowledge;
  /**
   * Facts about the logs (sizes, click and reformulation rates, exposure concentration...), each
   * with the range a realistic log falls in where one is known; printed by `crops world describe`.
   * Datasets without it are described by their `LogStore.description`.
   */
  describe?(): Promise<DatasetDiagnostic[]>;
  /** See {@link OnlineSimulation}; present on datasets that provide {@link ONLINE_SIMULATION_TRAIT}. */
  simulateOnlineDay?: OnlineSimulation['simulateOnlineDay'];
}

/** One fact about a dataset's logs. */
export interface DatasetDiagnostic {
  key: string;
  value: number | string;
  /** inclusive range a realistic log should fall in, when there is an anchor for one */
  target?: readonly [number, number];
  /** what the value measures and, for targets, where the range comes from */
  about: string;
}

/** What a simulated world knows beyond its logs; everything is judged by meaning, not shared words. */
export interface WorldKnowledge {
  /** meanings (opaque ids) a query can have; empty when the world does not recognise its words */
  meanings(query: string): readonly number[];
  /**
   * meanings the query does NOT have that a reader could wrongly take it for: the other meanings of
   * the topics its words belong to, or, when it already spans all of those (a head-word query),
   * every meaning of other topics; empty when the world does not recognise its words
   */
  wrongMeanings(query: string): readonly number[];
  /** ground-truth grade 0..3 of any text (a generated pseudo-item, another query) for a query */
  textGrade(query: string, text: string): number;
  /** a caption drawn from one meaning's true word distribution, `offTopicRate` of its words off-topic */
  sampleCaption(meaning: number, rng: Rng, offTopicRate: number): string;
}

/**
 * The trait a dataset plugin lists in `provides` when it implements {@link Dataset.simulateOnlineDay};
 * `eval.online` is refused (with the place in the experiment file) for datasets without it.
 */
export const ONLINE_SIMULATION_TRAIT = 'online-simulation';

/** A fresh day of simulated traffic served by the dataset's own search system plus, optionally, one dense channel. */
export interface OnlineDayRequest {
  /**
   * Seeds the day. Equal seeds give every arm the same users, times, intents and first queries, and
   * the same random draws per session, so two arms differ only through what their channels recall.
   */
  seed: number;
  /** typed search sessions of the day (reformulations come on top); absent: the dataset's own day size */
  sessions?: number;
  /** items the channel recalls per request; absent: the dataset's own choice */
  channelK?: number;
  /** the dense recall channel: for each query text, up to `k` item ids best first; absent: the legacy system alone */
  channel?: (queries: string[], k: number) => Promise<Array<ArrayLike<number>>>;
}

/** What one user did on the simulated day, summed over their sessions; the unit the bootstrap resamples. */
export interface OnlineUserOutcome {
  userId: number;
  /** search requests served, reformulations included */
  sessions: number;
  /** requests followed by a reformulation of the same intent */
  reformulations: number;
  /** items that reached the rank stage (passed the pre-ranker) */
  rankItems: number;
  /** of those, items the dense channel recalled */
  rankFromChannel: number;
  shown: number;
  shownFromChannel: number;
  /** clicked shown items */
  clicks: number;
  /** clicks played for at least half of the video */
  longPlays: number;
}

/** Optional capability of a dataset: serve a new day of users through its funnel with an extra channel. */
export interface OnlineSimulation {
  /** One arm of a simulated online A/B test: per user with at least one session, in ascending user id. */
  simulateOnlineDay(request: OnlineDayRequest): Promise<OnlineUserOutcome[]>;
}
