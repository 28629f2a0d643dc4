/**
 * Sizes and behaviour knobs of the synthetic short-video world, with named presets. Every knob that
 * shapes a mechanism the experiments depend on (vocabulary gap, ranker bias, reformulation, test-day
 * exposure) is a field here so it can be reported and ablated.
 */

/** The fully resolved configuration the simulator runs from. */
export interface WorldConfig {
  /** seeds the world and its logs; independent of the trial seed */
  seed: number;
  items: number;
  users: number;
  topics: number;
  minSubtopics: number;
  maxSubtopics: number;
  headWordsPerTopic: number;
  specificWordsPerSubtopic: number;
  noiseWords: number;
  /** caption words drawn from the shared noise pool */
  captionNoise: number;
  /** items that also carry a second subtopic */
  secondarySubtopicRate: number;
  /** historic exposure of non-dominant meanings relative to the dominant one, drawn in [lo, hi] */
  tailExposure: [number, number];
  /** Zipf exponent of item popularity within a subtopic */
  popularityZipf: number;
  /** base (non-reformulation) search sessions per simulated day */
  sessionsPerDay: number;
  /** share of queries made of head words only */
  ambiguousQueryRate: number;
  /** chance that a query word is replaced by its synonym, which captions never use */
  querySynonymRate: number;
  /** share of synonyms the legacy system's query rewriter knows */
  legacySynonymCoverage: number;
  /** weight of true query relevance against the historic-exposure bias in the legacy ranker */
  rankerRelevanceMix: number;
  /** chance that a user whose intent was not served reformulates */
  reformulationProb: number;
  /** reformulation delay range in seconds */
  reformulationDelayS: [number, number];
  /** test-day exposure policy: share of recall from a meaning-based channel, and fading of the exposure prior */
  testExploration: number;
  /** legacy funnel sizes */
  retrieveK: number;
  prerankKeep: number;
  shownMin: number;
  shownMax: number;
  /** mean recommendation-feed interactions per user and day */
  feedPerUserPerDay: number;
  /** chance that a feed interaction near a search follows that search's intent */
  feedSearchAffinity: number;
  /** judged test queries and judged items per query */
  judgedQueries: number;
  judgedPerQuery: number;
  /**
   * `all-relevant`: the qrels of each judged query also hold every item with grade > 0, so NDCG ranks
   * the whole corpus; `sampled`: only the sampled pool, re-ranked per query
   */
  judgedPairs: 'all-relevant' | 'sampled';
}

/** Named world sizes. */
export type PresetName = 'tiny' | 'small' | 'medium' | 'large';

const BASE: WorldConfig = {
  seed: 7,
  items: 4000,
  users: 1500,
  topics: 24,
  minSubtopics: 2,
  maxSubtopics: 4,
  headWordsPerTopic: 2,
  specificWordsPerSubtopic: 10,
  noiseWords: 300,
  captionNoise: 0.35,
  secondarySubtopicRate: 0.15,
  tailExposure: [0.03, 0.15],
  popularityZipf: 0.9,
  sessionsPerDay: 3000,
  ambiguousQueryRate: 0.45,
  querySynonymRate: 0.3,
  legacySynonymCoverage: 0.5,
  rankerRelevanceMix: 0.5,
  reformulationProb: 0.5,
  reformulationDelayS: [3, 40],
  testExploration: 0.5,
  retrieveK: 48,
  prerankKeep: 20,
  shownMin: 6,
  shownMax: 10,
  feedPerUserPerDay: 6,
  feedSearchAffinity: 0.4,
  judgedQueries: 300,
  judgedPerQuery: 10,
  judgedPairs: 'all-relevant',
};

/** Presets; larger ones keep the per-subtopic item count well above typical cut-offs (k = 100). */
export const PRESETS: Record<PresetName, WorldConfig> = {
  tiny: BASE,
  small: {
    ...BASE,
    items: 30_000,
    users: 10_000,
    topics: 40,
    specificWordsPerSubtopic: 14,
    noiseWords: 1000,
    sessionsPerDay: 30_000,
    retrieveK: 100,
    prerankKeep: 40,
    judgedQueries: 1000,
  },
  medium: {
    ...BASE,
    items: 100_000,
    users: 30_000,
    topics: 80,
    specificWordsPerSubtopic: 16,
    noiseWords: 2000,
    sessionsPerDay: 60_000,
    retrieveK: 120,
    prerankKeep: 45,
    judgedQueries: 1500,
  },
  // at least 10 million log rows: about 27 million train-day impressions over every funnel stage.
  // Generating it takes minutes and several GB, as the logs are held as JS objects.
  large: {
    ...BASE,
    items: 200_000,
    users: 50_000,
    topics: 120,
    specificWordsPerSubtopic: 20,
    noiseWords: 3000,
    sessionsPerDay: 150_000,
    retrieveK: 150,
    prerankKeep: 50,
    judgedQueries: 2000,
  },
};

/** The preset with the given fields replaced; undefined overrides keep the preset's value. */
export function resolveWorldConfig(preset: PresetName, overrides: Partial<WorldConfig> = {}): WorldConfig {
  const out: WorldConfig = { ...PRESETS[preset] };
  for (const [k, v] of Object.entries(overrides) as Array<[keyof WorldConfig, unknown]>) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  if (out.prerankKeep > out.retrieveK) throw new Error(`prerankKeep (${out.prerankKeep}) must not exceed retrieveK (${out.retrieveK})`);
  if (out.shownMax > out.prerankKeep) throw new Error(`shownMax (${out.shownMax}) must not exceed prerankKeep (${out.prerankKeep})`);
  if (out.shownMin > out.shownMax) throw new Error(`shownMin (${out.shownMin}) must not exceed shownMax (${out.shownMax})`);
  return out;
}

/** Milliseconds per simulated day, and the epoch of day 0. */
export const DAY_MS = 86_400_000;
export const EPOCH_MS = Date.UTC(2024, 0, 1);
export const TRAIN_DAY = 1;
export const TEST_DAY = 3;
