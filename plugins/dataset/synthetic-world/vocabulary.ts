import type { Rng } from '../../../src/core/rng.ts';

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'sh', 'ch', 'tr', 'br', 'kl', 'h'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
const CODAS = ['', '', '', 'n', 'r', 'l', 's', 'k'];

/** Role of a word in the topic model. */
export type WordRole = 'head' | 'specific' | 'noise';

/**
 * Readable pseudo-words and their roles. Head words belong to a topic (shared by its meanings),
 * specific words to one subtopic, noise words to nobody. Head and specific words each have one
 * query-side synonym that never appears in captions.
 */
export class Vocabulary {
  readonly words: string[] = [];
  /** role of each canonical word; synonyms report the role of their canonical word */
  readonly role: WordRole[] = [];
  /** topic of a head word (or of a specific word's subtopic), -1 for noise */
  readonly topicOf: number[] = [];
  /** subtopic of a specific word, -1 otherwise */
  readonly subtopicOf: number[] = [];
  /** rank of a specific word within its subtopic (0 = most frequent), -1 otherwise */
  readonly rankOf: number[] = [];
  /** canonical word of each word (itself for canonical words) */
  readonly canonical: number[] = [];
  /** synonym of a canonical head/specific word, -1 when it has none */
  readonly synonym: number[] = [];
  private readonly index = new Map<string, number>();
  private readonly used = new Set<string>();

  constructor(private readonly rng: Rng) {}

  /** Adds a canonical word with a fresh pseudo-word spelling; returns its id. */
  add(role: WordRole, topic: number, subtopic: number, rank: number): number {
    const id = this.push(this.fresh(), role, topic, subtopic, rank);
    this.canonical[id] = id;
    return id;
  }

  /** Gives a canonical word a synonym spelling; returns the synonym's id. */
  addSynonym(word: number): number {
    const id = this.push(this.fresh(), this.role[word]!, this.topicOf[word]!, this.subtopicOf[word]!, this.rankOf[word]!);
    this.canonical[id] = word;
    this.synonym[word] = id;
    return id;
  }

  get size(): number {
    return this.words.length;
  }

  isSynonym(word: number): boolean {
    return this.canonical[word] !== word;
  }

  /** Word id of a token, or -1 for tokens the world does not know. */
  lookup(token: string): number {
    return this.index.get(token) ?? -1;
  }

  /** Canonical word ids of the known tokens of a text, in order, duplicates kept. */
  canonicalTokens(text: string): number[] {
    const out: number[] = [];
    for (const tok of text.split(/\s+/)) {
      if (tok.length === 0) continue;
      const id = this.index.get(tok.toLowerCase());
      if (id !== undefined) out.push(this.canonical[id]!);
    }
    return out;
  }

  private push(text: string, role: WordRole, topic: number, subtopic: number, rank: number): number {
    const id = this.words.length;
    this.words.push(text);
    this.role.push(role);
    this.topicOf.push(topic);
    this.subtopicOf.push(subtopic);
    this.rankOf.push(rank);
    this.canonical.push(id);
    this.synonym.push(-1);
    this.index.set(text, id);
    return id;
  }

  private fresh(): string {
    for (let attempt = 0; ; attempt++) {
      // longer words once the short space gets crowded, so generation always terminates
      const syllables = attempt > 20 ? 4 : this.rng.bernoulli(0.3) ? 3 : 2;
      let w = '';
      for (let s = 0; s < syllables; s++) {
        w += this.rng.pick(ONSETS) + this.rng.pick(VOWELS) + (s === syllables - 1 ? this.rng.pick(CODAS) : '');
      }
      if (!this.used.has(w)) {
        this.used.add(w);
        return w;
      }
    }
  }
}
