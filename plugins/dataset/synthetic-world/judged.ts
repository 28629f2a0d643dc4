import type { Rng } from '../../../src/core/rng.ts';
import type { Judgment, SearchSession } from '../../../src/extension-points/log-store.ts';
import { sampleDistinct } from './sampling.ts';
import type { World } from './world.ts';

/** How the judged set's pairs are chosen (synthetic-world param `judgedPairs`). */
export type JudgedPairs = 'all-relevant' | 'sampled';

/** The judged pairs of a world: what the qrels hold, and the sampled pool they started from. */
export interface JudgedSet {
  /** the judged queries, sorted */
  queries: string[];
  /** the qrels: the pool plus, with `all-relevant`, every item with grade > 0 for each judged query */
  judgments: Judgment[];
  /** the sampled pool alone (relevant, word-sharing and random items), as a human judge would see it */
  pool: Judgment[];
}

/**
 * Judged pairs for NDCG: per sampled test query, items of its true meanings, items that share a
 * word with it (many of another meaning), and random items, each with its ground-truth grade.
 * Grading is by meaning, so word overlap alone does not earn a grade.
 *
 * With `all-relevant` (the default) the qrels also hold every corpus item whose true grade for the
 * query is above 0, so the judged set can be scored by ranking the whole corpus: an item missing
 * from the qrels really has grade 0, and NDCG's ideal DCG comes from all relevant items, as
 * trec_eval computes it from complete qrels. The sampled pool is drawn the same way either way.
 */
export function buildJudgments(world: World, testSessions: readonly SearchSession[], rng: Rng, pairs: JudgedPairs = 'all-relevant'): JudgedSet {
  const c = world.config;
  const distinct = [...new Set(testSessions.map((s) => s.query))].sort();
  const queries = sampleDistinct(rng, distinct, c.judgedQueries).sort();
  const pool: Judgment[] = [];
  const judgments: Judgment[] = [];
  const nRelevant = Math.ceil(c.judgedPerQuery * 0.4);
  const nLexical = Math.ceil(c.judgedPerQuery * 0.3);
  const bySecondary = pairs === 'all-relevant' ? itemsBySecondary(world) : [];
  for (const query of queries) {
    const meanings = world.meanings(query);
    const relevant = meanings.flatMap((s) => world.itemsBySubtopic[s]!);
    const lexical = [...new Set(world.vocab.canonicalTokens(query).flatMap((w) => [...world.postings[w]!]))];
    const chosen = new Set<number>(sampleDistinct(rng, relevant, nRelevant));
    for (const id of sampleDistinct(rng, lexical, nLexical)) chosen.add(id);
    for (let tries = 0; chosen.size < c.judgedPerQuery && tries < c.judgedPerQuery * 4; tries++) chosen.add(rng.int(world.items.length));
    const sampled = [...chosen].sort((a, b) => a - b);
    for (const itemId of sampled) pool.push({ query, itemId, grade: world.trueGrade(query, itemId) });
    if (pairs === 'sampled') continue;
    // every item of one of the query's meanings, as its primary or its second meaning, has grade >= 1
    const all = new Set<number>(sampled);
    for (const s of meanings) {
      for (const id of world.itemsBySubtopic[s]!) all.add(id);
      for (const id of bySecondary[s] ?? []) all.add(id);
    }
    for (const itemId of [...all].sort((a, b) => a - b)) judgments.push({ query, itemId, grade: world.trueGrade(query, itemId) });
  }
  return { queries, judgments: pairs === 'sampled' ? pool : judgments, pool };
}

/** Per meaning, the items that carry it as their second meaning. */
function itemsBySecondary(world: World): number[][] {
  const out: number[][] = world.subtopics.map(() => []);
  for (const it of world.items) if (it.secondary >= 0) out[it.secondary]!.push(it.id);
  return out;
}

/** Slice label of every distinct query: `ambiguous`, `specific` or `cold`. */
export function buildQuerySlices(world: World, sessions: Iterable<SearchSession>): Map<string, string> {
  const slices = new Map<string, string>();
  for (const s of sessions) if (!slices.has(s.query)) slices.set(s.query, world.querySlice(s.query));
  return new Map([...slices].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
