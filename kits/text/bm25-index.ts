import type { Ranking } from '../../src/extension-points/retriever.ts';
import { tokenize } from './tokenize.ts';

/** BM25 parameters: term-frequency saturation `k1` and length normalisation `b` (0..1). */
export interface Bm25Settings {
  k1: number;
  b: number;
}

/**
 * Okapi BM25 over a list of texts (document id = position) with an in-memory inverted index.
 * Term score: idf · tf·(k1+1) / (tf + k1·(1 − b + b·len/avgLen)) with
 * idf = ln(1 + (N − df + 0.5)/(df + 0.5)), summed over query tokens (repeats count again).
 * Tokens come from the encoders' own `tokenize`. Scores are compared as the float32 values
 * returned, so ties (then the lower document id first) are the ties a caller sees.
 */
export class Bm25Index {
  private terms = new Map<string, number>();
  private postDocs: Int32Array[] = [];
  private postTfs: Int32Array[] = [];
  private idf = new Float64Array(0);
  private docNorm = new Float64Array(0);
  private avgLen = 1;
  private n = 0;
  private built = false;

  constructor(private readonly settings: Bm25Settings) {}

  /** Number of indexed documents. */
  get size(): number {
    return this.n;
  }

  /** Indexes `texts`, replacing any previous index. */
  build(texts: readonly string[]): void {
    const docs: number[][] = [];
    const tfs: number[][] = [];
    this.terms = new Map();
    const lengths = new Float64Array(texts.length);
    texts.forEach((text, i) => {
      const tokens = tokenize(text);
      lengths[i] = tokens.length;
      const counts = new Map<string, number>();
      for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [t, c] of counts) {
        let id = this.terms.get(t);
        if (id === undefined) {
          this.terms.set(t, (id = docs.length));
          docs.push([]);
          tfs.push([]);
        }
        docs[id]!.push(i);
        tfs[id]!.push(c);
      }
    });
    this.n = texts.length;
    this.postDocs = docs.map((d) => Int32Array.from(d));
    this.postTfs = tfs.map((t) => Int32Array.from(t));
    this.idf = Float64Array.from(docs, (d) => Math.log(1 + (this.n - d.length + 0.5) / (d.length + 0.5)));
    const avgLen = lengths.reduce((s, l) => s + l, 0) / Math.max(1, this.n) || 1;
    const { k1, b } = this.settings;
    this.avgLen = avgLen;
    this.docNorm = lengths.map((l) => k1 * (1 - b + (b * l) / avgLen));
    this.built = true;
  }

  /** The top `k` documents per query, best first (higher score, then lower id). */
  search(queries: readonly string[], k: number): Ranking[] {
    this.ready();
    const kk = Math.min(Math.max(0, Math.floor(k)), this.n);
    const acc = new Float64Array(this.n);
    const touched = new Uint8Array(this.n);
    return queries.map((q) => {
      const hit: number[] = [];
      for (const [term, times] of this.queryTerms(q)) {
        const docs = this.postDocs[term]!;
        const tfs = this.postTfs[term]!;
        for (let j = 0; j < docs.length; j++) {
          const d = docs[j]!;
          if (!touched[d]) hit.push(d);
          touched[d] = 1;
          acc[d]! += times * this.termScore(term, tfs[j]!, d);
        }
      }
      const scores = Float32Array.from(hit, (d) => acc[d]!);
      const top = selectTop(hit, scores, kk);
      // untouched documents all score 0, so the lowest ids among them complete the ranking
      for (let d = 0; top.length < kk; d++) if (!touched[d]) top.push({ id: d, score: 0 });
      for (const d of hit) {
        acc[d] = 0;
        touched[d] = 0;
      }
      return { itemIds: Int32Array.from(top, (e) => e.id), scores: Float32Array.from(top, (e) => e.score) };
    });
  }

  /** Scores of given documents: `docIds[i]` belongs to `queries[i]`, same order in the result. */
  scoreItems(queries: readonly string[], docIds: ArrayLike<number>[]): Float32Array[] {
    this.ready();
    return queries.map((q, i) => {
      const terms = this.queryTerms(q);
      return Float32Array.from(docIds[i]!, (d) => {
        if (!Number.isInteger(d) || d < 0 || d >= this.n) throw new Error(`bm25: item id ${d} is outside the corpus (0..${this.n - 1})`);
        let s = 0;
        // same term order and arithmetic as search, so both give identical scores
        for (const [term, times] of terms) {
          const j = lowerBound(this.postDocs[term]!, d);
          if (this.postDocs[term]![j] === d) s += times * this.termScore(term, this.postTfs[term]![j]!, d);
        }
        return s;
      });
    });
  }

  /** idf of a token under the indexed corpus; a token no document has gets the df = 0 value. */
  idfOf(token: string): number {
    this.ready();
    const id = this.terms.get(token);
    return id === undefined ? Math.log(1 + (this.n + 0.5) / 0.5) : this.idf[id]!;
  }

  /**
   * BM25 of a text that is not in the index (a pseudo-item, another query) for `query`, with this
   * corpus's idf and average length, so it is comparable with the scores of indexed documents.
   */
  scoreText(query: string, text: string): number {
    this.ready();
    const tokens = tokenize(text);
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    const { k1, b } = this.settings;
    const norm = k1 * (1 - b + (b * tokens.length) / this.avgLen);
    let s = 0;
    for (const t of tokenize(query)) {
      const tf = counts.get(t);
      if (tf !== undefined) s += (this.idfOf(t) * tf * (k1 + 1)) / (tf + norm);
    }
    return s;
  }

  /** Drops the index; searching again needs a new `build`. */
  clear(): void {
    this.terms = new Map();
    this.postDocs = [];
    this.postTfs = [];
    this.n = 0;
    this.built = false;
  }

  private termScore(term: number, tf: number, doc: number): number {
    return (this.idf[term]! * tf * (this.settings.k1 + 1)) / (tf + this.docNorm[doc]!);
  }

  /** Known query terms with their multiplicity, in order of first appearance. */
  private queryTerms(query: string): Map<number, number> {
    const out = new Map<number, number>();
    for (const t of tokenize(query)) {
      const id = this.terms.get(t);
      if (id !== undefined) out.set(id, (out.get(id) ?? 0) + 1);
    }
    return out;
  }

  private ready(): void {
    if (!this.built) throw new Error('bm25: search before build (or after dispose)');
  }
}

/** First index in ascending `a` whose value is >= x. */
function lowerBound(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The k best of `ids` (higher score, then lower id) via a size-k heap, returned best first. */
function selectTop(ids: number[], scores: Float32Array, k: number): Array<{ id: number; score: number }> {
  const worse = (a: number, b: number) => scores[a]! < scores[b]! || (scores[a] === scores[b] && ids[a]! > ids[b]!);
  const heap: number[] = []; // positions into ids; the root is the worst kept
  const sift = (i: number) => {
    for (;;) {
      let m = i;
      for (const c of [2 * i + 1, 2 * i + 2]) if (c < heap.length && worse(heap[c]!, heap[m]!)) m = c;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let p = 0; p < ids.length && k > 0; p++) {
    if (heap.length < k) {
      heap.push(p);
      for (let i = heap.length - 1; i > 0 && worse(heap[i]!, heap[(i - 1) >> 1]!); i = (i - 1) >> 1) [heap[i], heap[(i - 1) >> 1]] = [heap[(i - 1) >> 1]!, heap[i]!];
    } else if (worse(heap[0]!, p)) {
      heap[0] = p;
      sift(0);
    }
  }
  heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  return heap.map((p) => ({ id: ids[p]!, score: scores[p]! }));
}
