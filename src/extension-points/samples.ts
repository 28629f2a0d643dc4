/**
 * Where a (query, item) pair came from. The label scheme maps each origin to a grade. Built-in
 * origins follow the paper; plugins may add their own string origins.
 */
export type Origin =
  | 'search-click' // P0: clicked or liked at the rank stage
  | 'shown-not-clicked'
  | 'ranked-not-shown'
  | 'prerank-filtered'
  | 'reformulation' // P1
  | 'feed' // P2
  | 'llm' // P3
  | (string & {});

/** A mined (query, item) pair before labelling. `itemId` may point at a pseudo-item. */
export interface Candidate {
  query: string;
  itemId: number;
  origin: Origin;
  /** how a cross-perspective pair was found (P1/P2), kept for `crops data --export` audits */
  via?: CandidateVia;
}

/** The user behaviour a candidate came through. */
export interface CandidateVia {
  userId: number;
  /** the session the item was consumed in (P1: the reformulated query's session) */
  sessionId?: number;
  /** the query the item was consumed under, when it is not the credited one (P1) */
  sourceQuery?: string;
  /** milliseconds from the credited query to the consumption (negative: before it) */
  gapMs?: number;
}

/** Texts of the items the item tower sees in training: the corpus, then generated pseudo-items. */
export interface ItemTexts {
  texts: string[];
  /** ids >= corpusSize are pseudo-items (never retrieved at test time) */
  corpusSize: number;
}

/** Per query, the graded candidates after the label scheme resolved overlaps (highest grade wins). */
export interface LabelledList {
  query: string;
  itemIds: number[];
  grades: number[];
}

export interface TrainingSet {
  items: ItemTexts;
  lists: LabelledList[];
  /** how many pairs each origin contributed before overlap resolution */
  originCounts: Record<string, number>;
  /** how many labelled pairs ended at each grade */
  gradeCounts: Record<string, number>;
}

/**
 * One training step's input. Candidates are the union over the batch's queries; a candidate that
 * is not in a query's own list is an in-batch negative with grade 0 for it. A grade < 0 excludes
 * the pair from the loss (e.g. the query's own positive that another query also lists).
 */
export interface Batch {
  queries: string[];
  /** item ids (into ItemTexts) of the C candidates */
  itemIds: Int32Array;
  /** row-major [queries.length, C] */
  grades: Int32Array;
  /**
   * `'item'`: train only the query tower from this step on. The trainer freezes the encoder's item
   * tower (see `Encoder.freeze`) and scores candidates with their fixed item embeddings; the freeze
   * lasts for the rest of the run (e.g. ADORE's second phase).
   */
  frozen?: 'item';
}

/** Evaluation targets built from the test split: per query, relevant item ids with grades. */
export interface Qrels {
  name: string;
  /** query -> (itemId -> grade) ; grade > 0 is relevant */
  byQuery: Map<string, Map<number, number>>;
}
