import { describe, expect, it } from 'vitest';
import { Bm25Index } from './bm25-index.ts';

const texts = ['red apple pie', 'green apple cider apple', 'apple phone repair shop near me', 'phone battery', 'pie crust'];

describe('Bm25Index.scoreText', () => {
  it('scores a text as if it were an indexed document, with the corpus idf and average length', () => {
    const index = new Bm25Index({ k1: 0.9, b: 0.4 });
    index.build(texts);
    for (const q of ['apple', 'apple pie', 'phone repair apple apple', 'unknown words']) {
      const [indexed] = index.scoreItems([q], [texts.map((_, i) => i)]);
      texts.forEach((t, i) => expect(index.scoreText(q, t)).toBeCloseTo(indexed![i]!, 5));
    }
  });

  it('gives a word no document has the largest idf, and scores it when the text has it', () => {
    const index = new Bm25Index({ k1: 0.9, b: 0.4 });
    index.build(texts);
    expect(index.idfOf('zebra')).toBeCloseTo(Math.log(1 + 5.5 / 0.5), 12);
    expect(index.idfOf('zebra')).toBeGreaterThan(index.idfOf('cider'));
    expect(index.idfOf('cider')).toBeGreaterThan(index.idfOf('apple'));
    expect(index.scoreText('zebra', 'a zebra')).toBeGreaterThan(0);
    expect(index.scoreText('zebra', 'a horse')).toBe(0);
  });
});
