import { describe, expect, it } from 'vitest';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { Discriminator } from '../../src/extension-points/discriminator.ts';
import { describeDiscriminatorConformance } from '../../test/conformance/discriminator-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { toyLogs } from '../../test/support/toy-logs.ts';
import lexical from './lexical-discriminator.ts';

describeDiscriminatorConformance(lexical);
describeDiscriminatorConformance(lexical, { params: { reference: 'query', k1: 1.2, b: 0.75 } });

/** Six items of six words: `common` is in every item, `rare` (like `alpha`...`epsilon`) in one. */
function corpus(): LogStore {
  const logs = toyLogs();
  const texts = ['alpha common filler aa bb cc', 'beta common filler dd ee ff', 'gamma common filler gg hh ii', 'rare common filler jj kk ll', 'delta common mm nn oo pp', 'epsilon common qq rr ss tt'];
  return { ...logs, items: texts.map((text, id) => ({ id, text })) };
}

const lexicalOn = async (params: object = {}, store: LogStore = corpus()) => {
  const d = instantiate<Discriminator>(lexical, params);
  await d.init!(store);
  return d;
};

describe('lexical discriminator', () => {
  it('scores a text equal to the query 1 (or just under, for a query longer than the average item)', async () => {
    const d = await lexicalOn();
    expect(d.score('alpha common', 'alpha common')).toBe(1);
    expect(d.score('rare beta', 'beta rare')).toBe(1);
    const long = d.score('alpha beta gamma rare common filler delta', 'alpha beta gamma rare common filler delta');
    expect(long).toBeGreaterThan(0.9);
    expect(long).toBeLessThan(1);
    const strict = await lexicalOn({ reference: 'query' });
    expect(strict.score('alpha beta gamma rare common filler delta', 'alpha beta gamma rare common filler delta')).toBe(1);
  });

  it('scores 0 without a shared word, and for an empty query or text', async () => {
    const d = await lexicalOn();
    expect(d.score('alpha beta', 'gamma delta filler')).toBe(0);
    expect(d.score('alpha beta', 'never seen words')).toBe(0);
    expect(d.score('', 'alpha')).toBe(0);
    expect(d.score('alpha', '')).toBe(0);
  });

  it('rises with each further query word a same-length text shares', async () => {
    const d = await lexicalOn();
    const query = 'alpha beta gamma delta';
    const texts = ['x1 x2 x3 x4', 'alpha x2 x3 x4', 'alpha beta x3 x4', 'alpha beta gamma x4', 'alpha beta gamma delta'];
    const scores = texts.map((t) => d.score(query, t));
    for (let i = 1; i < scores.length; i++) expect(scores[i]!).toBeGreaterThan(scores[i - 1]!);
    expect(scores[0]).toBe(0);
    expect(scores[4]).toBe(1);
  });

  it('weighs a rare query word above a word every item has', async () => {
    const d = await lexicalOn();
    // texts longer than the average item, so no score reaches the clamp at 1
    const rareHit = d.score('rare common', 'rare x y z w v u t');
    const commonHit = d.score('rare common', 'common x y z w v u t');
    const both = d.score('rare common', 'rare common y z w v u t');
    expect(rareHit).toBeGreaterThan(0.6);
    expect(commonHit).toBeLessThan(0.1);
    expect(both).toBeLessThan(1);
    // the evidence of the two words adds up to that of the whole query (same length, tf 1)
    expect(rareHit + commonHit).toBeCloseTo(both, 12);
  });

  it('is stricter with the query as reference: a longer text covering every word stays below 1', async () => {
    const loose = await lexicalOn();
    const strict = await lexicalOn({ reference: 'query' });
    const text = 'alpha beta and many more words about other things';
    expect(strict.score('alpha beta', text)).toBeLessThan(loose.score('alpha beta', text));
    expect(strict.score('alpha beta', text)).toBeLessThan(1);
  });

  it('takes its statistics from the logs passed to init, and refuses to score before', async () => {
    expect(() => instantiate<Discriminator>(lexical).score('a', 'a')).toThrow(/before init/);
    const small = await lexicalOn({}, corpus());
    const flooded = corpus();
    // 'rare' becomes common: half the query's evidence is then cheap
    flooded.items.push(...Array.from({ length: 20 }, (_, i) => ({ id: 6 + i, text: `rare item${i}` })));
    const big = await lexicalOn({}, flooded);
    expect(big.score('rare common', 'rare x y z w v u t')).toBeLessThan(small.score('rare common', 'rare x y z w v u t') / 2);
  });
});
