/**
 * The canonical log schema (architecture §3). Every dataset plugin produces a LogStore; the data
 * engine, the samplers and the evaluation only ever read this shape.
 */

export type FunnelStage = 'prerank_filtered' | 'ranked_not_shown' | 'shown';

export interface Item {
  /** dense ids 0..items.length-1, equal to the index in `items` */
  id: number;
  /** caption plus tags/keywords as one string of space-separated tokens */
  text: string;
  fields?: { caption?: string; tags?: string[]; cover?: string; keywords?: string[] };
  uploadTs?: number;
  /**
   * the id the user's own data gives this item, exactly as written there (e.g. a BEIR `_id`); files a
   * user reads carry it (the docno of TREC files, exported samples)
   */
  externalId?: string;
}

export interface SearchSession {
  sessionId: number;
  userId: number;
  tsMs: number;
  query: string;
  source: 'typed' | 'suggested';
}

export interface Impression {
  sessionId: number;
  itemId: number;
  stage: FunnelStage;
  /** rank in the shown list (0-based), or in the ranker's list for unshown stages */
  position: number;
  clicked: boolean;
  liked: boolean;
  playMs: number;
}

export interface RecInteraction {
  userId: number;
  itemId: number;
  tsMs: number;
  playMs: number;
  durationMs: number;
  clicked: boolean;
  liked: boolean;
}

export interface Judgment {
  query: string;
  itemId: number;
  /** 0..3, 0 = not relevant */
  grade: number;
}

/** A judged query set a dataset names itself. */
export interface NamedJudgments {
  name: string;
  judgments: Judgment[];
  /** query text -> the dataset's own query id in this set, written as the qid in TREC files */
  queryIds?: Map<string, string>;
}

/** One split's logs (train days or test days). */
export interface LogSplit {
  sessions: SearchSession[];
  impressions: Impression[];
  recInteractions: RecInteraction[];
}

export interface LogStore {
  items: Item[];
  train: LogSplit;
  test: LogSplit;
  /** human-graded (or ground-truth) pairs for NDCG */
  judgments: Judgment[];
  /**
   * true when `judgments` list, for every judged query, every item with grade > 0 (a simulator
   * knows them all): the judged set is then scored by ranking the whole corpus, an item absent from
   * the qrels counting as grade 0 (trec_eval); otherwise each query's judged items are re-ranked
   */
  judgmentsComplete?: boolean;
  /** optional per-query slice labels used in reports (`ambiguous`, `specific`, `cold`) */
  querySlices?: Map<string, string>;
  /**
   * Judged query sets of their own, evaluated by searching the whole corpus and named as the
   * dataset says (BEIR: after the qrels split, so `ndcg@10/test` works).
   */
  evalSets?: NamedJudgments[];
  /** judged pairs meant for training (BEIR: the train split's qrels), read by the `qrels` positive source */
  trainJudgments?: Judgment[];
  /**
   * the users' own ids, indexed by the dense `userId` of sessions and feed rows, when the dataset
   * numbers users itself (string or 64-bit ids); absent when `userId` is the user's id
   */
  externalUserIds?: string[];
  /** free-form facts about the data shown in reports (world diagnostics, source file names) */
  description?: Record<string, number | string>;
}
