/**
 * Shared text featurisation: lowercase word tokens, and a seeded hash of tokens and adjacent-token
 * bigrams into a fixed number of buckets (the "hashing trick"), so any vocabulary fits one table.
 */

const SPLIT = /[^\p{L}\p{N}]+/u;

/** Lowercase tokens of `text`, split on every run of characters that are neither letters nor digits. */
export function tokenize(text: string): string[] {
  const parts = text.toLowerCase().split(SPLIT);
  const out: string[] = [];
  for (const p of parts) if (p.length > 0) out.push(p);
  return out;
}

/** MurmurHash3 (x86, 32-bit) over the UTF-16 code units of `s`. */
export function murmur3(s: string, seed: number): number {
  let h = seed >>> 0;
  const n = s.length;
  let i = 0;
  // two UTF-16 units per 32-bit block
  for (; i + 1 < n; i += 2) {
    let k = (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)) >>> 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = s.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n * 2;
  return fmix32(h);
}

/** MurmurHash3's finaliser: a bijective 32-bit mixer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** How texts become bucket ids. */
export interface HashingOptions {
  /** number of buckets (rows of the embedding table) */
  buckets: number;
  /** add a feature per pair of adjacent tokens */
  bigrams: boolean;
  /** hash seed; a different seed gives a different (equally good) collision pattern */
  seed: number;
}

/** Bucket ids of a text's tokens, then of its bigrams (duplicates kept, so counts act as weights). */
export function hashFeatures(text: string, opts: HashingOptions): Int32Array {
  const tokens = tokenize(text);
  const n = tokens.length;
  const out = new Int32Array(opts.bigrams && n > 1 ? 2 * n - 1 : n);
  const hashes = new Uint32Array(n);
  const bigramSeed = fmix32((opts.seed ^ 0x27d4eb2f) >>> 0);
  for (let i = 0; i < n; i++) {
    hashes[i] = murmur3(tokens[i]!, opts.seed);
    out[i] = hashes[i]! % opts.buckets;
  }
  if (opts.bigrams) {
    for (let i = 1; i < n; i++) {
      // order-sensitive combination, re-mixed so bigram ids do not correlate with unigram ids
      const h = fmix32((Math.imul(hashes[i - 1]!, 0x9e3779b1) ^ ((hashes[i]! << 15) | (hashes[i]! >>> 17)) ^ bigramSeed) >>> 0);
      out[n + i - 1] = h % opts.buckets;
    }
  }
  return out;
}

/**
 * {@link hashFeatures} with a bounded memo, since training revisits the same item texts every epoch.
 * The memo is cleared wholesale when full: simple, and the working set refills it within an epoch.
 */
export class FeatureHasher {
  private readonly memo = new Map<string, Int32Array>();

  constructor(
    readonly options: HashingOptions,
    private readonly capacity = 200_000,
  ) {}

  features(text: string): Int32Array {
    let f = this.memo.get(text);
    if (f === undefined) {
      f = hashFeatures(text, this.options);
      if (this.memo.size >= this.capacity) this.memo.clear();
      this.memo.set(text, f);
    }
    return f;
  }

  /**
   * The features of many texts in compressed-row form: text `i` owns `ids[offsets[i]..offsets[i+1])`.
   */
  batch(texts: readonly string[]): { offsets: Int32Array; ids: Int32Array } {
    const offsets = new Int32Array(texts.length + 1);
    const parts: Int32Array[] = new Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      parts[i] = this.features(texts[i]!);
      offsets[i + 1] = offsets[i]! + parts[i]!.length;
    }
    const ids = new Int32Array(offsets[texts.length]!);
    for (let i = 0; i < texts.length; i++) ids.set(parts[i]!, offsets[i]!);
    return { offsets, ids };
  }
}

/**
 * The hashed features of every text of a corpus, computed once and kept in compressed-row form by
 * text index: training draws the same items step after step, so a batch's features are then
 * copied from here by id, with no string work. The texts are read once; appending texts later
 * calls for a new instance ({@link covers} tells).
 */
export class CorpusFeatures {
  /** text `i` owns `ids[offsets[i]..offsets[i+1])` */
  readonly offsets: Int32Array;
  readonly ids: Int32Array;

  constructor(
    private readonly texts: readonly string[],
    options: HashingOptions,
  ) {
    const parts: Int32Array[] = new Array(texts.length);
    this.offsets = new Int32Array(texts.length + 1);
    for (let i = 0; i < texts.length; i++) {
      parts[i] = hashFeatures(texts[i]!, options);
      this.offsets[i + 1] = this.offsets[i]! + parts[i]!.length;
    }
    this.ids = new Int32Array(this.offsets[texts.length]!);
    for (let i = 0; i < texts.length; i++) this.ids.set(parts[i]!, this.offsets[i]!);
  }

  /** Whether these are the features of `texts` as they are now (same array, nothing appended). */
  covers(texts: readonly string[]): boolean {
    return texts === this.texts && texts.length === this.offsets.length - 1;
  }

  /** The features of the texts `textIds`, in the form of {@link FeatureHasher.batch}. */
  batch(textIds: ArrayLike<number>): { offsets: Int32Array; ids: Int32Array } {
    const n = textIds.length;
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      const t = textIds[i]!;
      offsets[i + 1] = offsets[i]! + this.offsets[t + 1]! - this.offsets[t]!;
    }
    const ids = new Int32Array(offsets[n]!);
    for (let i = 0; i < n; i++) {
      const t = textIds[i]!;
      ids.set(this.ids.subarray(this.offsets[t]!, this.offsets[t + 1]!), offsets[i]!);
    }
    return { offsets, ids };
  }
}
