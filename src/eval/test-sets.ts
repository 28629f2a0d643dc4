/**
 * Evaluation targets built from the test split of a LogStore (paper: CT, QR and a judged set).
 *
 * - `ct`: per query string, every item clicked under it in the test split (grade 1).
 * - `qr`: for each test session (user u, query q, time t) whose next session by u has a different
 *   query q' and starts within `qrWindowSeconds`, the items u clicked in the q' session, credited
 *   to q (grade 1). With `relevanceOf` (a 0..3 grade), an item is kept only when
 *   `relevanceOf(q, item) / 3 > threshold`; with the default 0.6 that keeps grades 2 and 3. With
 *   `querySimilarityOf`, the pair (q, q') itself must pass the same test first, so a different
 *   search the user made next is not taken for a reformulation (the paper's P1 query check).
 * - `judged`: `store.judgments` as they are (grades 0..3; a pair judged twice keeps its highest grade);
 *   ranked over the whole corpus when `store.judgmentsComplete`, else re-ranked (see `rerankedSets`).
 * - any set a dataset names in `store.evalSets` (BEIR: `test`, `dev`), built like `judged`.
 *
 * A query none of whose items is relevant scores 0 under every retriever and only scales the mean
 * down, so such queries are left out unless `keepQueriesWithoutRelevant` is set.
 */
import type { Judgment, LogSplit, LogStore, SearchSession } from '../extension-points/log-store.ts';
import type { Qrels } from '../extension-points/samples.ts';

export type TestSetName = 'ct' | 'qr' | 'judged' | (string & {});

/** Qrels plus the set's queries, sorted (the order that fixes TREC query ids). */
export interface TestSet extends Qrels {
  queries: string[];
  /** the dataset's own ids of `queries` (same order), when it has them; TREC files then use these */
  qids?: string[];
}

export interface TestSetOptions {
  /** longest gap between a session and the reformulating one, in seconds (paper: 90) */
  qrWindowSeconds?: number;
  /** relevance grade 0..3 of an item for a query (e.g. a simulator's ground truth) filtering QR */
  relevanceOf?: (query: string, itemId: number) => number;
  /** QR keeps an item when `relevanceOf / 3 > threshold` (paper's discriminator threshold 0.6) */
  threshold?: number;
  /**
   * similarity grade 0..3 of a reformulated query q' to the original q (e.g. a simulator's ground
   * truth on the two texts); with it QR keeps a (q, q') link only when `querySimilarityOf / 3 >
   * querySimilarity`, as the P1 source asks its discriminator (paper: same model, same threshold)
   */
  querySimilarityOf?: (query: string, reformulation: string) => number;
  /** threshold of the query-similarity check (default: `threshold`) */
  querySimilarity?: number;
  /** keep queries that have judged or credited items but none with grade > 0 */
  keepQueriesWithoutRelevant?: boolean;
}

function add(byQuery: Map<string, Map<number, number>>, query: string, itemId: number, grade: number): void {
  let items = byQuery.get(query);
  if (!items) byQuery.set(query, (items = new Map()));
  items.set(itemId, Math.max(grade, items.get(itemId) ?? -Infinity));
}

function finish(name: string, byQuery: Map<string, Map<number, number>>, keepEmpty: boolean): TestSet {
  if (!keepEmpty) {
    for (const [q, items] of byQuery) if (![...items.values()].some((g) => g > 0)) byQuery.delete(q);
  }
  return { name, byQuery, queries: [...byQuery.keys()].sort() };
}

function clicksBySession(split: LogSplit): Map<number, number[]> {
  const clicks = new Map<number, number[]>();
  for (const imp of split.impressions) {
    if (!imp.clicked) continue;
    let list = clicks.get(imp.sessionId);
    if (!list) clicks.set(imp.sessionId, (list = []));
    list.push(imp.itemId);
  }
  return clicks;
}

/** CT: items clicked per query string in `split`. */
export function buildClickTestSet(split: LogSplit, opts: TestSetOptions = {}): TestSet {
  const queryOf = new Map(split.sessions.map((s) => [s.sessionId, s.query]));
  const byQuery = new Map<string, Map<number, number>>();
  for (const [sessionId, items] of clicksBySession(split)) {
    const q = queryOf.get(sessionId);
    if (q === undefined) continue;
    for (const id of items) add(byQuery, q, id, 1);
  }
  return finish('ct', byQuery, opts.keepQueriesWithoutRelevant ?? false);
}

/** QR: clicks after a reformulation within the window, credited to the original query. */
export function buildReformulationTestSet(split: LogSplit, opts: TestSetOptions = {}): TestSet {
  const windowMs = (opts.qrWindowSeconds ?? 90) * 1000;
  const threshold = opts.threshold ?? 0.6;
  const similarity = opts.querySimilarity ?? threshold;
  const clicks = clicksBySession(split);
  const byUser = new Map<number, SearchSession[]>();
  for (const s of split.sessions) {
    let list = byUser.get(s.userId);
    if (!list) byUser.set(s.userId, (list = []));
    list.push(s);
  }
  const byQuery = new Map<string, Map<number, number>>();
  for (const sessions of byUser.values()) {
    sessions.sort((a, b) => a.tsMs - b.tsMs || a.sessionId - b.sessionId);
    for (let i = 0; i + 1 < sessions.length; i++) {
      const s = sessions[i]!;
      const next = sessions[i + 1]!;
      if (next.query === s.query || next.tsMs - s.tsMs > windowMs) continue;
      if (opts.querySimilarityOf && !(opts.querySimilarityOf(s.query, next.query) / 3 > similarity)) continue;
      for (const id of clicks.get(next.sessionId) ?? []) {
        if (opts.relevanceOf && !(opts.relevanceOf(s.query, id) / 3 > threshold)) continue;
        add(byQuery, s.query, id, 1);
      }
    }
  }
  return finish('qr', byQuery, opts.keepQueriesWithoutRelevant ?? false);
}

/** Judged: graded pairs as given. */
export function buildJudgedTestSet(judgments: readonly Judgment[], opts: TestSetOptions = {}): TestSet {
  const byQuery = new Map<string, Map<number, number>>();
  for (const j of judgments) add(byQuery, j.query, j.itemId, j.grade);
  return finish('judged', byQuery, opts.keepQueriesWithoutRelevant ?? false);
}

/**
 * The sets of a store evaluated by re-ranking each query's judged items: `judged`, unless the store's
 * judgments are complete (every item with grade > 0 listed), when it is searched over the whole
 * corpus like CT and QR.
 */
export function rerankedSets(store: LogStore): string[] {
  return store.judgmentsComplete ? [] : ['judged'];
}

/** The three test sets of a store, keyed `ct`, `qr`, `judged`, plus the store's own named sets. */
export function buildTestSets(store: LogStore, opts: TestSetOptions = {}): Map<TestSetName, TestSet> {
  const sets = new Map<TestSetName, TestSet>([
    ['ct', buildClickTestSet(store.test, opts)],
    ['qr', buildReformulationTestSet(store.test, opts)],
    ['judged', buildJudgedTestSet(store.judgments, opts)],
  ]);
  for (const named of store.evalSets ?? []) {
    if (sets.has(named.name)) throw new Error(`dataset names an evaluation set '${named.name}', which clashes with a built-in set (ct, qr, judged or an earlier one)`);
    const set: TestSet = { ...buildJudgedTestSet(named.judgments, opts), name: named.name };
    const ids = named.queryIds;
    if (ids && set.queries.every((q) => ids.has(q))) set.qids = set.queries.map((q) => ids.get(q)!);
    sets.set(named.name, set);
  }
  return sets;
}
