import { describe, expect, it } from 'vitest';
import { CorpusFeatures, FeatureHasher, hashFeatures, murmur3, tokenize } from './tokenize.ts';

describe('tokenize', () => {
  it('lowercases and splits on anything that is not a letter or digit, in any script', () => {
    expect(tokenize('Hello, World! 42-times')).toEqual(['hello', 'world', '42', 'times']);
    expect(tokenize('  Čaj—und Käse; 猫の動画 ')).toEqual(['čaj', 'und', 'käse', '猫の動画']);
    expect(tokenize('...')).toEqual([]);
  });
});

describe('hashFeatures', () => {
  const opts = { buckets: 1 << 10, bigrams: true, seed: 0 };

  it('matches the reference MurmurHash3 on known vectors', () => {
    // x86_32 reference values for the UTF-16 code units of these strings
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
  });

  it('gives one id per token and per adjacent pair, within the buckets', () => {
    const f = hashFeatures('a b c', opts);
    expect(f).toHaveLength(5);
    expect(Array.from(f).every((x) => x >= 0 && x < 1024)).toBe(true);
    expect(hashFeatures('a b c', { ...opts, bigrams: false })).toHaveLength(3);
    expect(hashFeatures('', opts)).toHaveLength(0);
    expect(hashFeatures('solo', opts)).toHaveLength(1);
  });

  it('is stable for a seed, changes with it, and tells bigram order apart', () => {
    expect(Array.from(hashFeatures('red shoes', opts))).toEqual(Array.from(hashFeatures('RED shoes', opts)));
    const big = { ...opts, buckets: 1 << 30 };
    expect(hashFeatures('red shoes', big)[2]).not.toBe(hashFeatures('shoes red', big)[2]);
    expect(Array.from(hashFeatures('red shoes', big))).not.toEqual(Array.from(hashFeatures('red shoes', { ...big, seed: 9 })));
  });

  it('spreads tokens evenly over the buckets', () => {
    const counts = new Int32Array(16);
    for (let i = 0; i < 16000; i++) counts[hashFeatures(`tok${i}`, { buckets: 16, bigrams: false, seed: 3 })[0]!]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
});

describe('FeatureHasher', () => {
  it('lays a batch out in compressed rows', () => {
    const h = new FeatureHasher({ buckets: 1 << 12, bigrams: false, seed: 0 }, 2);
    const { offsets, ids } = h.batch(['a b', '', 'c', 'a b']);
    expect(Array.from(offsets)).toEqual([0, 2, 2, 3, 5]);
    expect(Array.from(ids.subarray(3, 5))).toEqual(Array.from(ids.subarray(0, 2)));
  });
});

describe('CorpusFeatures', () => {
  it('gives by text id what FeatureHasher.batch gives for the texts, and notices appended texts', () => {
    const options = { buckets: 1000, bigrams: true, seed: 7 };
    const texts = ['red running shoes', '', 'a bike', 'red running shoes for kids', 'x'];
    const corpus = new CorpusFeatures(texts, options);
    const picked = [3, 1, 0, 3, 4];
    const byId = corpus.batch(Int32Array.from(picked));
    const byText = new FeatureHasher(options).batch(picked.map((i) => texts[i]!));
    expect(Array.from(byId.offsets)).toEqual(Array.from(byText.offsets));
    expect(Array.from(byId.ids)).toEqual(Array.from(byText.ids));
    expect(corpus.covers(texts)).toBe(true);
    expect(corpus.covers([...texts])).toBe(false);
    texts.push('pseudo item');
    expect(corpus.covers(texts)).toBe(false);
  });
});
