import type { Rng } from '../../../src/core/rng.ts';
import type { Judgment, SearchSession } from '../../../src/extension-points/log-store.ts';
import { sampleDistinct } from './sampling.ts';
import type { World } from './world.ts';

/**
 * Judged pairs for NDCG: per sampled test query, items of its true meanings, items that share a
 * word with it (many of another meaning), and random items, each with its ground-truth grade.
 * Grading is by meaning, so word overlap alone does not earn a grade.
 */
export function buildJudgments(world: World, testSessions: readonly SearchSession[], rng: Rng): Judgment[] {
  const c = world.config;
  const distinct = [...new Set(testSessions.map((s) => s.query))].sort();
  const queries = sampleDistinct(rng, distinct, c.judgedQueries).sort();
  const out: Judgment[] = [];
  const nRelevant = Math.ceil(c.judgedPerQuery * 0.4);
  const nLexical = Math.ceil(c.judgedPerQuery * 0.3);
  for (const query of queries) {
    const relevant = world.meanings(query).flatMap((s) => world.itemsBySubtopic[s]!);
    const lexical = [...new Set(world.vocab.canonicalTokens(query).flatMap((w) => [...world.postings[w]!]))];
    const chosen = new Set<number>(sampleDistinct(rng, relevant, nRelevant));
    for (const id of sampleDistinct(rng, lexical, nLexical)) chosen.add(id);
    for (let tries = 0; chosen.size < c.judgedPerQuery && tries < c.judgedPerQuery * 4; tries++) chosen.add(rng.int(world.items.length));
    for (const itemId of [...chosen].sort((a, b) => a - b)) out.push({ query, itemId, grade: world.trueGrade(query, itemId) });
  }
  return out;
}

/** Slice label of every distinct query: `ambiguous`, `specific` or `cold`. */
export function buildQuerySlices(world: World, sessions: Iterable<SearchSession>): Map<string, string> {
  const slices = new Map<string, string>();
  for (const s of sessions) if (!slices.has(s.query)) slices.set(s.query, world.querySlice(s.query));
  return new Map([...slices].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
