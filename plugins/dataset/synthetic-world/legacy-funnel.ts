import type { Rng } from '../../../src/core/rng.ts';
import type { World } from './world.ts';

/** Match score the pre-ranker gives items of the meaning channel, in the units of lexical coverage. */
const SEMANTIC_MATCH = 0.7;

/** What one search request went through: ids in each stage, best first. */
export interface FunnelResult {
  shown: number[];
  rankedNotShown: number[];
  prerankFiltered: number[];
}

/**
 * The legacy search system that produced the logs: a lexical retriever weighted by historic
 * exposure and popularity, a noisy pre-ranker and a ranker mixing query relevance with the
 * exposure bias. Each stage uses its own score so the stages are not one biased score re-cut.
 *
 * `exploration` (0 on the training day) models the test day's own policy: that share of recall
 * slots comes from a meaning-based channel that understands every synonym, and the historic
 * exposure prior is raised to the power `1 - exploration`, so it fades.
 */
export class LegacyFunnel {
  /** per-item scratch: idf mass of the understood query words the item contains */
  private readonly lex: Float64Array;
  /** per-item scratch: match score of a retrieved item (lexical coverage, or the meaning channel's) */
  private readonly cov: Float64Array;
  private readonly popularity03: Float64Array;
  private readonly uploadTs: Float64Array;
  private readonly exposureByPolicy = new Map<number, Float64Array>();

  constructor(private readonly world: World) {
    const n = world.items.length;
    this.lex = new Float64Array(n);
    this.cov = new Float64Array(n);
    this.popularity03 = Float64Array.from(world.items, (it) => Math.pow(it.popularity, 0.3));
    this.uploadTs = Float64Array.from(world.items, (it) => it.uploadTs);
  }

  /** The query words the legacy system understands: canonical words and the synonyms its rewriter knows. */
  understood(words: readonly number[]): number[] {
    const v = this.world.vocab;
    const out = new Set<number>();
    for (const w of words) {
      if (!v.isSynonym(w)) out.add(w);
      else if (this.world.legacyKnows[w]) out.add(v.canonical[w]!);
    }
    return [...out];
  }

  /**
   * Serves one query (word ids as typed) at a time under a policy; randomness only from `rng`.
   * `channel` lists what an extra dense recall channel retrieved (best first): those not already
   * recalled join the pre-rank pool with the match score the pre-ranker gives the meaning channel,
   * since the pre-ranker cannot see why a dense model picked them. Without it nothing changes.
   */
  serve(words: readonly number[], tsMs: number, exploration: number, rng: Rng, channel?: ArrayLike<number>): FunnelResult {
    const w = this.world;
    const c = w.config;
    const known = this.understood(words);
    const knownMeanings = w.meanings(known.map((k) => w.vocab.words[k]).join(' '));
    const exposure = this.exposure(exploration);
    const { lex, cov, uploadTs, popularity03 } = this;

    // lexical channel: idf-weighted share of the understood words an item contains
    const touched: number[] = [];
    let queryIdf = 0;
    for (const k of known) {
      const idf = w.idf[k]!;
      queryIdf += idf;
      const list = w.postings[k]!;
      for (let j = 0; j < list.length; j++) {
        const id = list[j]!;
        if (uploadTs[id]! > tsMs) continue;
        if (lex[id] === 0) touched.push(id);
        lex[id]! += idf;
      }
    }
    const retrievalScore = new Float64Array(touched.length);
    for (let i = 0; i < touched.length; i++) {
      const id = touched[i]!;
      const m = lex[id]! / queryIdf;
      lex[id] = 0;
      cov[id] = m;
      retrievalScore[i] = m * m * Math.sqrt(exposure[id]!) * popularity03[id]!;
    }
    const lexicalSlots = Math.round(c.retrieveK * (1 - exploration));
    const retrieved = topK(touched, retrievalScore, lexicalSlots);
    const seen = new Set(retrieved);
    for (const id of w.trending) {
      if (retrieved.length >= lexicalSlots) break;
      if (!seen.has(id) && uploadTs[id]! <= tsMs) {
        retrieved.push(id);
        seen.add(id);
      }
    }

    // meaning channel (test-day policy only): popular-ish items of the query's true meanings
    const meanings = w.meanings(words.map((k) => w.vocab.words[k]).join(' ')).filter((s) => w.itemsBySubtopic[s]!.length > 0);
    for (let tries = 0; retrieved.length < c.retrieveK && meanings.length > 0 && tries < c.retrieveK * 4; tries++) {
      const s = rng.pick(meanings);
      const id = w.itemsBySubtopic[s]![w.popularityTables[s]!.sample(rng)]!;
      if (!seen.has(id) && uploadTs[id]! <= tsMs) {
        retrieved.push(id);
        seen.add(id);
        cov[id] = Math.max(cov[id]!, SEMANTIC_MATCH);
      }
    }

    // extra dense channel (online A/B test only): draws no randomness, so the legacy stream is unchanged
    if (channel) {
      for (let i = 0; i < channel.length; i++) {
        const id = channel[i]!;
        if (!(id >= 0 && id < uploadTs.length) || seen.has(id) || uploadTs[id]! > tsMs) continue;
        retrieved.push(id);
        seen.add(id);
        cov[id] = Math.max(cov[id]!, SEMANTIC_MATCH);
      }
    }

    // pre-rank: a cheap noisy model of lexical match and popularity, blind to exposure
    const pre = new Float64Array(retrieved.length);
    for (let i = 0; i < retrieved.length; i++) {
      const id = retrieved[i]!;
      pre[i] = (cov[id]! + 0.05) * popularity03[id]! * Math.exp(0.5 * rng.normal());
    }
    for (const id of touched) cov[id] = 0;
    for (const id of retrieved) cov[id] = 0;
    const preOrder = topK(retrieved, pre, retrieved.length);
    const kept = preOrder.slice(0, c.prerankKeep);
    const prerankFiltered = preOrder.slice(c.prerankKeep);

    // rank: relevance to what the system understood of the query, mixed with the exposure bias
    const rankMeanings = exploration > 0 ? meanings : knownMeanings;
    const bias = new Float64Array(kept.length);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < kept.length; i++) {
      bias[i] = Math.log(exposure[kept[i]!]! * w.items[kept[i]!]!.popularity);
      lo = Math.min(lo, bias[i]!);
      hi = Math.max(hi, bias[i]!);
    }
    const span = hi - lo || 1;
    const mix = c.rankerRelevanceMix;
    const rankScore = new Float64Array(kept.length);
    for (let i = 0; i < kept.length; i++) {
      const rel = w.gradeForMeanings(rankMeanings, kept[i]!) / 3;
      rankScore[i] = mix * rel + (1 - mix) * ((bias[i]! - lo) / span) + 0.05 * rng.normal();
    }
    const ranked = topK(kept, rankScore, kept.length);
    const shownCount = Math.min(ranked.length, c.shownMin + rng.int(c.shownMax - c.shownMin + 1));
    return { shown: ranked.slice(0, shownCount), rankedNotShown: ranked.slice(shownCount), prerankFiltered };
  }

  /** Per-item historic exposure of its meaning, faded by the policy's exploration. */
  private exposure(exploration: number): Float64Array {
    let e = this.exposureByPolicy.get(exploration);
    if (!e) {
      const w = this.world;
      e = Float64Array.from(w.items, (it) => Math.pow(w.subtopics[it.subtopic]!.exposure, 1 - exploration));
      this.exposureByPolicy.set(exploration, e);
    }
    return e;
  }
}

/** The `k` ids with the highest score (parallel array), best first, ties broken by lower id; a bounded heap keeps it O(n log k). */
export function topK(ids: readonly number[], score: Float64Array, k: number): number[] {
  const n = ids.length;
  const size = Math.min(k, n);
  if (size <= 0) return [];
  // positions in a min-heap: the root is the worst of the best `size` seen so far
  const worse = (a: number, b: number) => score[a]! < score[b]! || (score[a] === score[b] && ids[a]! > ids[b]!);
  const heap: number[] = [];
  for (let i = 0; i < size; i++) heap.push(i);
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(heap, i, worse);
  for (let p = size; p < n; p++) {
    if (worse(heap[0]!, p)) {
      heap[0] = p;
      siftDown(heap, 0, worse);
    }
  }
  // pop the worst repeatedly, filling the result from the back
  const out: number[] = heap.slice();
  for (let end = size - 1; end >= 0; end--) {
    out[end] = ids[heap[0]!]!;
    heap[0] = heap[heap.length - 1]!;
    heap.pop();
    if (heap.length > 0) siftDown(heap, 0, worse);
  }
  return out;
}

function siftDown(heap: number[], start: number, worse: (a: number, b: number) => boolean): void {
  const size = heap.length;
  let i = start;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < size && worse(heap[l]!, heap[m]!)) m = l;
    if (r < size && worse(heap[r]!, heap[m]!)) m = r;
    if (m === i) return;
    const t = heap[i]!;
    heap[i] = heap[m]!;
    heap[m] = t;
    i = m;
  }
}
