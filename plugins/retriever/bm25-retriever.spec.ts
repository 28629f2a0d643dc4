import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.ts';
import type { Item } from '../../src/extension-points/log-store.ts';
import { tokenize } from '../../kits/text/tokenize.ts';
import { describeRetrieverConformance } from '../../test/conformance/eval-conformance.ts';
import descriptor, { Bm25Retriever } from './bm25-retriever.ts';

const make = (params: Record<string, unknown> = {}) => new Bm25Retriever(descriptor.schema.parse(params));

/** BM25 straight from the formula, one (query, item) pair at a time. */
function reference(items: Item[], query: string, k1: number, b: number): number[] {
  const docs = items.map((it) => tokenize(it.text));
  const avg = docs.reduce((s, d) => s + d.length, 0) / docs.length;
  return docs.map((d) => {
    let s = 0;
    for (const t of tokenize(query)) {
      const df = docs.filter((x) => x.includes(t)).length;
      const tf = d.filter((x) => x === t).length;
      // absent terms add nothing (and would be 0/0 with k1 = 0)
      if (df === 0 || tf === 0) continue;
      const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
      s += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * d.length) / avg));
    }
    return s;
  });
}

function corpus(seed: number, n: number): Item[] {
  const rng = new Rng(seed);
  const vocab = ['red', 'shoe', 'Running', 'cat', 'toy', 'blue', 'lamp', 'desk', 'kids', 'summer'];
  return Array.from({ length: n }, (_, id) => ({ id, text: Array.from({ length: 1 + rng.int(7) }, () => vocab[rng.int(vocab.length)]).join(rng.int(2) ? ' ' : ', ') }));
}

const QUERIES = ['red shoe', 'running shoe shoe', 'cat-toy for kids', 'desk', 'nothing matches', 'SUMMER lamp blue red'];

describe('bm25 retriever', () => {
  it('is lexical with documented defaults', () => {
    expect(descriptor.name).toBe('bm25');
    expect(descriptor.schema.parse({})).toEqual({ k1: 0.9, b: 0.4 });
    expect(make().lexical).toBe(true);
    expect(() => descriptor.schema.parse({ b: 1.5 })).toThrow();
  });

  for (const params of [{}, { k1: 1.2, b: 0.75 }, { k1: 0, b: 0 }]) {
    it(`matches brute-force BM25 scores and order (${JSON.stringify(params)})`, async () => {
      const { k1, b } = descriptor.schema.parse(params);
      const items = corpus(7, 60);
      const r = make(params);
      await r.build(items);
      for (const k of [1, 5, 60, 100]) {
        const got = await r.search(QUERIES, k);
        QUERIES.forEach((q, i) => {
          const ref = Float32Array.from(reference(items, q, k1, b));
          const want = items.map((it) => it.id).sort((x, y) => ref[y]! - ref[x]! || x - y).slice(0, k);
          expect(Array.from(got[i]!.itemIds), `${q} k=${k}`).toEqual(want);
          got[i]!.scores.forEach((s, j) => expect(s).toBeCloseTo(ref[want[j]!]!, 5));
        });
      }
      const lists = [[3, 0, 59], [], [10, 10], [1], [2], [58, 4]];
      const scored = await r.scoreItems(QUERIES, lists);
      lists.forEach((ids, i) => ids.forEach((id, j) => expect(scored[i]![j]).toBeCloseTo(reference(items, QUERIES[i]!, k1, b)[id]!, 5)));
    });
  }

  it('gives search and scoreItems bit-identical scores', async () => {
    const items = corpus(8, 40);
    const r = make();
    await r.build(items);
    const [top] = await r.search(['red blue shoe'], 40);
    const [again] = await r.scoreItems(['red blue shoe'], [top!.itemIds]);
    expect(Array.from(again!)).toEqual(Array.from(top!.scores));
  });

  it('breaks ties by the lower item id, including among zero scores', async () => {
    const items: Item[] = ['b', 'a x', 'c', 'a x', 'd', 'a x', 'e'].map((text, id) => ({ id, text }));
    const r = make();
    await r.build(items);
    const [top] = await r.search(['a'], 6);
    expect(Array.from(top!.itemIds)).toEqual([1, 3, 5, 0, 2, 4]);
    expect(top!.scores[0]).toBe(top!.scores[2]);
    expect(Array.from(top!.scores.slice(3))).toEqual([0, 0, 0]);
    const [two] = await r.search(['a'], 2);
    expect(Array.from(two!.itemIds)).toEqual([1, 3]);
    expect((await r.search(['zzz'], 3))[0]!.itemIds).toEqual(Int32Array.from([0, 1, 2]));
    expect((await r.search(['a'], 0))[0]!.itemIds).toHaveLength(0);
  });

  it('rejects bad ids and use before build', async () => {
    const r = make();
    await expect(r.search(['a'], 1)).rejects.toThrow(/before build/);
    await expect(r.build([{ id: 1, text: 'a' }])).rejects.toThrow(/dense/);
    await r.build([{ id: 0, text: 'a' }]);
    await expect(r.scoreItems(['a'], [[1]])).rejects.toThrow(/outside the corpus/);
    r.dispose();
    await expect(r.search(['a'], 1)).rejects.toThrow(/before build/);
  });
});

describeRetrieverConformance(descriptor);
