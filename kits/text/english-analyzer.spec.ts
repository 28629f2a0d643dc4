import { describe, expect, it } from 'vitest';
import { analyzerFor, englishAnalyzer } from './english-analyzer.ts';

describe('english analyzer', () => {
  it("lowercases, splits on Unicode word boundaries, drops possessives and Lucene's stopwords, Porter-stems", () => {
    const analyze = englishAnalyzer();
    expect(analyze("The cell's IL-6 levels were 3.5-fold higher in mice and the running Rats")).toEqual(['cell', 'il', '6', 'level', 'were', '3.5', 'fold', 'higher', 'mice', 'run', 'rat']);
    expect(analyze('')).toEqual([]);
    expect(analyze('Ünïcode café — naïve')).toEqual(['ünïcode', 'café', 'naïv']);
  });

  it('takes the stopword list and stemming as options', () => {
    expect(englishAnalyzer({ stopwords: 'none', stem: false })('The running rats')).toEqual(['the', 'running', 'rats']);
    // the stopword package's English list is much longer than Lucene's 33 words
    expect(englishAnalyzer({ stopwords: 'stopword-eng' })('they were also running')).toEqual(['run']);
    expect(englishAnalyzer({ stopwords: 'lucene' })('they were also running')).toEqual(['were', 'also', 'run']);
    expect(analyzerFor('simple')).toBeUndefined();
    expect(analyzerFor('english')!('Rats')).toEqual(['rat']);
  });
});
