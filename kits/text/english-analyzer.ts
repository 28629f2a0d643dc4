import { stemmer } from 'stemmer';
import { eng as STOPWORD_ENG } from 'stopword';

/**
 * Lucene's default English stop set (`EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`), the list Anserini
 * and Pyserini index BEIR with; kept here verbatim because no npm package ships exactly this list
 * and the published BM25 figures depend on it.
 */
const LUCENE_ENGLISH_STOPWORDS = [
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no', 'not', 'of',
  'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'to', 'was', 'will', 'with',
];

export type StopwordList = 'lucene' | 'stopword-eng' | 'none';

export interface EnglishAnalyzerOptions {
  /** `lucene`: Lucene's 33-word English set; `stopword-eng`: the `stopword` package's English list; `none` */
  stopwords?: StopwordList;
  /** Porter stemming (the `stemmer` package), as Lucene's EnglishAnalyzer does */
  stem?: boolean;
}

// UAX #29 word boundaries, the rule Lucene's StandardTokenizer follows
const SEGMENTER = new Intl.Segmenter('en', { granularity: 'word' });

/**
 * An English analyzer in the manner of Lucene's `EnglishAnalyzer`: Unicode word segmentation,
 * lowercasing, possessive `'s` removal, stopword removal, then Porter stemming. Returns the terms
 * in text order (repeats kept, as BM25 counts them).
 */
export function englishAnalyzer(opts: EnglishAnalyzerOptions = {}): (text: string) => string[] {
  const list = opts.stopwords ?? 'lucene';
  const stop = new Set(list === 'lucene' ? LUCENE_ENGLISH_STOPWORDS : list === 'stopword-eng' ? STOPWORD_ENG : []);
  const stem = opts.stem ?? true;
  return (text) => {
    const out: string[] = [];
    for (const seg of SEGMENTER.segment(text.normalize('NFKC').toLowerCase())) {
      if (!seg.isWordLike) continue;
      let term = seg.segment.replace(/['’]s$/, '');
      if (term === '' || stop.has(term)) continue;
      if (stem) term = stemmer(term);
      out.push(term);
    }
    return out;
  };
}

/** The analyzer params a BM25 user picks from (the retriever, the `qrels` source's hard negatives). */
export const ANALYZERS = ['simple', 'english'] as const;
export type AnalyzerName = (typeof ANALYZERS)[number];

/** `simple` leaves the index's default (the encoders' word tokenizer); `english` is {@link englishAnalyzer}. */
export function analyzerFor(name: AnalyzerName, stopwords: StopwordList = 'lucene'): ((text: string) => string[]) | undefined {
  return name === 'english' ? englishAnalyzer({ stopwords }) : undefined;
}
