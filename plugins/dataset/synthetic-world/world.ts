import { Rng } from '../../../src/core/rng.ts';
import type { Item } from '../../../src/extension-points/log-store.ts';
import { DAY_MS, EPOCH_MS, type WorldConfig } from './presets.ts';
import { WeightedTable, uniform, zipfWeights } from './sampling.ts';
import { Vocabulary } from './vocabulary.ts';

/** A topic: head words shared by 2-4 meanings (subtopics), one of which the legacy system favours. */
export interface Topic {
  id: number;
  head: number[];
  subtopics: number[];
  dominant: number;
}

/** A meaning: its specific words with Zipf frequencies and its historic exposure in the legacy system. */
export interface Subtopic {
  id: number;
  topic: number;
  words: number[];
  wordTable: WeightedTable;
  /** 1 for the topic's dominant meaning, small for long-tail meanings */
  exposure: number;
}

/** Hidden facts about one video. */
export interface WorldItem {
  id: number;
  subtopic: number;
  /** second subtopic or -1 */
  secondary: number;
  quality: number;
  /** Zipf popularity within the subtopic, in (0, 1] */
  popularity: number;
  uploadTs: number;
  durationMs: number;
  /** distinct canonical word ids of caption and tags */
  tokens: Int32Array;
}

/** A user: sparse interests over meanings and how active they are in search and in the feed. */
export interface WorldUser {
  id: number;
  interests: number[];
  interestTable: WeightedTable;
  searchActivity: number;
  feedActivity: number;
}

/**
 * The hidden topic model of the simulated world: vocabulary, meanings, items and users, plus the
 * ground truth derived from them. Built once from a config; deterministic in `config.seed`.
 */
export class World {
  readonly vocab: Vocabulary;
  readonly topics: Topic[] = [];
  readonly subtopics: Subtopic[] = [];
  readonly items: WorldItem[] = [];
  readonly users: WorldUser[] = [];
  /** items in the canonical log shape */
  readonly logItems: Item[] = [];
  readonly itemsBySubtopic: number[][] = [];
  /** per subtopic, its items weighted by the square root of popularity (feed and exploration draws) */
  readonly popularityTables: WeightedTable[] = [];
  /** per word, the items whose caption or tags contain it */
  readonly postings: Int32Array[] = [];
  readonly idf: Float64Array;
  /** per synonym word, whether the legacy query rewriter maps it to its canonical word */
  readonly legacyKnows: Uint8Array;
  /** items the legacy system falls back to when lexical matching finds too little */
  readonly trending: number[];
  readonly topicTable: WeightedTable;
  private readonly noise: number[] = [];
  private readonly noiseTable: WeightedTable;
  private readonly meaningCache = new Map<string, readonly number[]>();

  constructor(readonly config: WorldConfig) {
    const root = new Rng(config.seed);
    this.vocab = new Vocabulary(root.fork('vocabulary'));
    const rng = root.fork('entities');
    this.buildTopics(rng);
    for (let i = 0; i < config.noiseWords; i++) this.noise.push(this.vocab.add('noise', -1, -1, -1));
    this.noiseTable = new WeightedTable(zipfWeights(this.noise.length, 1));
    this.topicTable = new WeightedTable(zipfWeights(config.topics, 0.5));
    this.buildItems(rng.fork('items'));
    this.buildUsers(rng.fork('users'));

    const n = this.items.length;
    const lists: number[][] = Array.from({ length: this.vocab.size }, () => []);
    for (const it of this.items) for (const w of it.tokens) lists[w]!.push(it.id);
    this.idf = new Float64Array(this.vocab.size);
    for (let w = 0; w < lists.length; w++) {
      this.postings.push(Int32Array.from(lists[w]!));
      this.idf[w] = Math.log(1 + n / Math.max(1, lists[w]!.length));
    }
    const known = rng.fork('legacy-synonyms');
    this.legacyKnows = new Uint8Array(this.vocab.size);
    for (let w = 0; w < this.vocab.size; w++) {
      if (this.vocab.isSynonym(w)) this.legacyKnows[w] = known.bernoulli(config.legacySynonymCoverage) ? 1 : 0;
    }
    this.trending = this.items
      .map((it) => it.id)
      .sort((a, b) => this.historicScore(b) - this.historicScore(a) || a - b)
      .slice(0, Math.max(config.retrieveK * 2, 100));
  }

  /** Historic exposure of an item's meaning times its popularity: what the legacy system has learned to favour. */
  historicScore(itemId: number): number {
    const it = this.items[itemId]!;
    return this.subtopics[it.subtopic]!.exposure * it.popularity;
  }

  private buildTopics(rng: Rng): void {
    const c = this.config;
    for (let t = 0; t < c.topics; t++) {
      const head: number[] = [];
      for (let h = 0; h < c.headWordsPerTopic; h++) head.push(this.vocab.add('head', t, -1, -1));
      const nSub = c.minSubtopics + rng.int(c.maxSubtopics - c.minSubtopics + 1);
      const subs: number[] = [];
      const dominantIndex = rng.int(nSub);
      for (let k = 0; k < nSub; k++) {
        const id = this.subtopics.length;
        const words: number[] = [];
        for (let r = 0; r < c.specificWordsPerSubtopic; r++) words.push(this.vocab.add('specific', t, id, r));
        const exposure = k === dominantIndex ? 1 : uniform(rng, c.tailExposure[0], c.tailExposure[1]);
        this.subtopics.push({ id, topic: t, words, wordTable: new WeightedTable(zipfWeights(words.length, 0.9)), exposure });
        this.itemsBySubtopic.push([]);
        subs.push(id);
      }
      this.topics.push({ id: t, head, subtopics: subs, dominant: subs[dominantIndex]! });
    }
    // synonyms come after all canonical words so canonical spellings do not depend on them
    for (let w = 0, n = this.vocab.size; w < n; w++) {
      if (this.vocab.role[w] !== 'noise') this.vocab.addSynonym(w);
    }
  }

  private buildItems(rng: Rng): void {
    const c = this.config;
    const subWeights = this.subtopics.map(() => uniform(rng, 0.6, 1.4));
    const topicWeights = zipfWeights(c.topics, 0.5);
    const weights = this.subtopics.map((s, i) => topicWeights[s.topic]! * subWeights[i]!);
    const table = new WeightedTable(weights);
    for (let id = 0; id < c.items; id++) {
      const subtopic = table.sample(rng);
      const secondary = rng.bernoulli(c.secondarySubtopicRate) ? rng.int(this.subtopics.length) : -1;
      const caption = this.captionWords(subtopic, secondary === subtopic ? -1 : secondary, rng, c.captionNoise);
      const tags = this.tagWords(subtopic, rng);
      const uploadDay = rng.bernoulli(0.05) ? 2 + rng.int(2) : 1 - rng.int(61);
      const words = this.vocab.words;
      const captionText = caption.map((w) => words[w]).join(' ');
      const tagTexts = tags.map((w) => words[w]!);
      const uploadTs = EPOCH_MS + uploadDay * DAY_MS + rng.int(DAY_MS);
      this.items.push({
        id,
        subtopic,
        secondary: secondary === subtopic ? -1 : secondary,
        quality: (rng.next() + rng.next()) / 2,
        popularity: 0,
        uploadTs,
        durationMs: 8000 + rng.int(82_000),
        tokens: Int32Array.from(new Set([...caption, ...tags])),
      });
      this.logItems.push({ id, text: `${captionText} ${tagTexts.join(' ')}`, fields: { caption: captionText, tags: tagTexts }, uploadTs });
      this.itemsBySubtopic[subtopic]!.push(id);
    }
    // Zipf popularity within each subtopic, over a random order of its items
    for (const ids of this.itemsBySubtopic) {
      const order = rng.shuffle(ids.slice());
      order.forEach((id, rank) => (this.items[id]!.popularity = 1 / Math.pow(rank + 1, c.popularityZipf)));
    }
    for (const ids of this.itemsBySubtopic) this.popularityTables.push(new WeightedTable(ids.map((id) => Math.sqrt(this.items[id]!.popularity))));
  }

  private buildUsers(rng: Rng): void {
    const c = this.config;
    for (let id = 0; id < c.users; id++) {
      const interests: number[] = [];
      const count = 1 + rng.int(4);
      for (let k = 0; k < count; k++) {
        const topic = this.topics[this.topicTable.sample(rng)]!;
        // the dominant meaning is somewhat more common in demand, far more common in exposure
        const w = topic.subtopics.map((s) => (s === topic.dominant ? 1.5 : 1));
        const s = topic.subtopics[rng.weighted(w)]!;
        if (!interests.includes(s)) interests.push(s);
      }
      const weights = interests.map(() => Math.exp(rng.normal()));
      this.users.push({
        id,
        interests,
        interestTable: new WeightedTable(weights),
        searchActivity: Math.exp(0.8 * rng.normal()),
        feedActivity: Math.exp(0.8 * rng.normal()),
      });
    }
  }

  /** Caption word ids: head words, the meaning's (and the second meaning's) specific words, noise. */
  captionWords(subtopic: number, secondary: number, rng: Rng, noiseRate: number): number[] {
    const sub = this.subtopics[subtopic]!;
    const head = this.topics[sub.topic]!.head;
    const len = 8 + rng.int(13);
    const out: number[] = [];
    for (let i = 0; i < len; i++) {
      const r = rng.next();
      if (r < noiseRate) out.push(this.noise[this.noiseTable.sample(rng)]!);
      else if (r < noiseRate + (1 - noiseRate) * 0.2) out.push(rng.pick(head));
      else {
        const from = secondary >= 0 && rng.bernoulli(0.3) ? this.subtopics[secondary]! : sub;
        out.push(from.words[from.wordTable.sample(rng)]!);
      }
    }
    return out;
  }

  private tagWords(subtopic: number, rng: Rng): number[] {
    const sub = this.subtopics[subtopic]!;
    const tags = new Set<number>([rng.pick(this.topics[sub.topic]!.head)]);
    const n = 1 + rng.int(3);
    for (let i = 0; i < n; i++) tags.add(sub.words[sub.wordTable.sample(rng)]!);
    return [...tags];
  }

  // ---- ground truth -------------------------------------------------------------------------

  /** Meanings (subtopic ids) a query can have: its specific words' subtopics, else every meaning of its head words' topics. */
  meanings(query: string): readonly number[] {
    const cached = this.meaningCache.get(query);
    if (cached) return cached;
    const specific = new Set<number>();
    const heads = new Set<number>();
    for (const w of this.vocab.canonicalTokens(query)) {
      const role = this.vocab.role[w];
      if (role === 'specific') specific.add(this.vocab.subtopicOf[w]!);
      else if (role === 'head') heads.add(this.vocab.topicOf[w]!);
    }
    const out = specific.size > 0 ? [...specific] : [...heads].flatMap((t) => this.topics[t]!.subtopics);
    const result = Object.freeze([...new Set(out)].sort((a, b) => a - b));
    if (this.meaningCache.size < 1_000_000) this.meaningCache.set(query, result);
    return result;
  }

  /** Meanings the query does not have but shares a topic with; every meaning of other topics when none is left. */
  wrongMeanings(query: string): readonly number[] {
    const right = new Set(this.meanings(query));
    if (right.size === 0) return [];
    const topics = new Set<number>();
    for (const w of this.vocab.canonicalTokens(query)) {
      const t = this.vocab.topicOf[w]!;
      if (t >= 0) topics.add(t);
    }
    const siblings = [...topics].flatMap((t) => this.topics[t]!.subtopics).filter((s) => !right.has(s));
    if (siblings.length > 0) return siblings.sort((a, b) => a - b);
    return this.subtopics.map((s) => s.id).filter((s) => !right.has(s) && !topics.has(this.subtopics[s]!.topic));
  }

  /** Grade 0..3 of an item for one meaning: primary meaning 1-3 by quality, second meaning 1-2. */
  relevance(subtopic: number, itemId: number): number {
    const it = this.items[itemId]!;
    if (it.subtopic === subtopic) return it.quality >= 0.35 ? 3 : it.quality >= 0.15 ? 2 : 1;
    if (it.secondary === subtopic) return it.quality >= 0.5 ? 2 : 1;
    return 0;
  }

  /** Best grade of an item over a set of meanings. */
  gradeForMeanings(meanings: readonly number[], itemId: number): number {
    let best = 0;
    for (const s of meanings) best = Math.max(best, this.relevance(s, itemId));
    return best;
  }

  /** Ground-truth grade 0..3 of (query, corpus item), judged by meaning, not by shared words. */
  trueGrade(query: string, itemId: number): number {
    if (itemId < 0 || itemId >= this.items.length) return 0;
    return this.gradeForMeanings(this.meanings(query), itemId);
  }

  /** Grade 0..3 of any text for a query: how much of the text's meaning mass lies in the query's meanings. */
  textGrade(query: string, text: string): number {
    const q = new Set(this.meanings(query));
    if (q.size === 0) return 0;
    let total = 0;
    let inside = 0;
    for (const w of this.vocab.canonicalTokens(text)) {
      const role = this.vocab.role[w];
      if (role === 'specific') {
        total += 1;
        if (q.has(this.vocab.subtopicOf[w]!)) inside += 1;
      } else if (role === 'head') {
        const subs = this.topics[this.vocab.topicOf[w]!]!.subtopics;
        total += 1;
        for (const s of subs) if (q.has(s)) inside += 1 / subs.length;
      }
    }
    if (total === 0) return 0;
    const share = inside / total;
    return share >= 0.6 ? 3 : share >= 0.4 ? 2 : share >= 0.2 ? 1 : 0;
  }

  /** A caption drawn from a meaning's true word distribution, with `offTopicRate` of its words off-topic. */
  sampleCaption(meaning: number, rng: Rng, offTopicRate: number): string {
    return this.captionWords(meaning, -1, rng, offTopicRate)
      .map((w) => this.vocab.words[w])
      .join(' ');
  }

  /** `ambiguous` (head words only), `cold` (a rare specific word) or `specific`. */
  querySlice(query: string): 'ambiguous' | 'specific' | 'cold' {
    const coldRank = Math.ceil(this.config.specificWordsPerSubtopic * 0.7);
    let specific = false;
    for (const w of this.vocab.canonicalTokens(query)) {
      if (this.vocab.role[w] !== 'specific') continue;
      if (this.vocab.rankOf[w]! >= coldRank) return 'cold';
      specific = true;
    }
    return specific ? 'specific' : 'ambiguous';
  }
}
