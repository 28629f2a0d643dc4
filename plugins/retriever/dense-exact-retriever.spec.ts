import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.ts';
import type { Item } from '../../src/extension-points/log-store.ts';
import type { Encoder, PreparedInput, Side } from '../../src/extension-points/encoder.ts';
import { useBackend } from '../../test/support/tf.ts';
import descriptor, { DenseExactRetriever } from './dense-exact-retriever.ts';
import { describeRetrieverConformance } from '../../test/conformance/eval-conformance.ts';

/** Looks vectors up by text; small integers keep every dot product exact in float32. */
class TableEncoder implements Encoder {
  calls: Array<{ side: Side; n: number }> = [];
  constructor(
    readonly dim: number,
    private readonly table: Map<string, number[]>,
  ) {}
  prepare(_texts: string[], side: Side): PreparedInput {
    return { side, size: 0, leaves: [] };
  }
  embed(): tf.Tensor2D {
    throw new Error('not used');
  }
  variables(): tf.Variable[] {
    return [];
  }
  applySparse(): void {}
  async encode(texts: string[], side: Side): Promise<Float32Array> {
    this.calls.push({ side, n: texts.length });
    return Float32Array.from(texts.flatMap((t) => this.table.get(t)!));
  }
  parameterCount(): number {
    return 0;
  }
  dispose(): void {}
}

function world(seed: number, nItems: number, nQueries: number, dim: number) {
  const rng = new Rng(seed);
  const table = new Map<string, number[]>();
  const vec = () => Array.from({ length: dim }, () => rng.int(5) - 2);
  const items: Item[] = Array.from({ length: nItems }, (_, id) => ({ id, text: `item ${id}` }));
  for (const it of items) table.set(it.text, vec());
  const queries = Array.from({ length: nQueries }, (_, i) => `query ${i}`);
  for (const q of queries) table.set(q, vec());
  // duplicated item vectors guarantee exact ties across chunk boundaries
  table.set('item 5', table.get(`item ${nItems - 1}`)!);
  table.set('item 17', table.get(`item ${nItems - 1}`)!);
  return { items, queries, table, encoder: new TableEncoder(dim, table) };
}

function bruteForce(table: Map<string, number[]>, items: Item[], query: string, k: number) {
  const q = table.get(query)!;
  const scored = items.map((it) => ({ id: it.id, s: table.get(it.text)!.reduce((acc, v, i) => acc + v * q[i]!, 0) }));
  scored.sort((a, b) => b.s - a.s || a.id - b.id);
  return scored.slice(0, k);
}

const make = (params: Record<string, unknown> = {}) => new DenseExactRetriever(descriptor.schema.parse(params));

beforeAll(async () => {
  await useBackend();
});

describe('dense-exact retriever', () => {
  it('has a strict, fully defaulted schema', () => {
    expect(descriptor.kind).toBe('retriever');
    expect(descriptor.name).toBe('dense-exact');
    expect(descriptor.schema.parse({})).toEqual({ queryChunk: 256, itemChunk: 32768, encodeChunk: 1024 });
    expect(() => descriptor.schema.parse({ chunk: 3 })).toThrow();
  });

  for (const params of [{}, { queryChunk: 3, itemChunk: 8, encodeChunk: 5 }, { queryChunk: 1, itemChunk: 1 }]) {
    it(`matches brute-force ranking with ties and k > n (${JSON.stringify(params)})`, async () => {
      const w = world(3, 37, 9, 4);
      const r = make(params);
      await r.build(w.items, w.encoder);
      for (const k of [1, 4, 10, 37, 50]) {
        const got = await r.search(w.queries, k);
        expect(got).toHaveLength(w.queries.length);
        w.queries.forEach((q, i) => {
          const want = bruteForce(w.table, w.items, q, k);
          expect(Array.from(got[i]!.itemIds), `${q} k=${k}`).toEqual(want.map((e) => e.id));
          expect(Array.from(got[i]!.scores)).toEqual(want.map((e) => e.s));
        });
      }
      r.dispose();
    });
  }

  it('breaks exact ties by the lower item id, also across item chunks', async () => {
    const table = new Map<string, number[]>([['q', [1, 0]]]);
    const items: Item[] = Array.from({ length: 12 }, (_, id) => ({ id, text: `i${id}` }));
    items.forEach((it) => table.set(it.text, it.id % 3 === 0 ? [1, 1] : [0, 1])); // 0,3,6,9 score 1; the rest 0
    const r = make({ itemChunk: 5 });
    await r.build(items, new TableEncoder(2, table));
    const [top] = await r.search(['q'], 6);
    expect(Array.from(top!.itemIds)).toEqual([0, 3, 6, 9, 1, 2]);
    expect(Array.from(top!.scores)).toEqual([1, 1, 1, 1, 0, 0]);
    r.dispose();
  });

  it('encodes in the configured chunks and returns empty rankings for k = 0', async () => {
    const w = world(4, 23, 7, 3);
    const r = make({ encodeChunk: 10, queryChunk: 4 });
    await r.build(w.items, w.encoder);
    expect(w.encoder.calls).toEqual([{ side: 'item', n: 10 }, { side: 'item', n: 10 }, { side: 'item', n: 3 }]);
    await r.search(w.queries, 5);
    expect(w.encoder.calls.slice(3)).toEqual([{ side: 'query', n: 4 }, { side: 'query', n: 3 }]);
    const none = await r.search(['query 1'], 0);
    expect(none[0]!.itemIds).toHaveLength(0);
    r.dispose();
  });

  it('scores given items exactly like brute force', async () => {
    const w = world(5, 30, 6, 5);
    const r = make({ queryChunk: 4 });
    await r.build(w.items, w.encoder);
    const lists = [[3, 1, 29], [], [0], [7, 7, 8], [12, 2], [25]];
    const got = await r.scoreItems(w.queries, lists);
    lists.forEach((ids, i) => {
      const q = w.table.get(w.queries[i]!)!;
      expect(Array.from(got[i]!)).toEqual(ids.map((id) => w.table.get(`item ${id}`)!.reduce((s, v, j) => s + v * q[j]!, 0)));
    });
    await expect(r.scoreItems(['query 0'], [[30]])).rejects.toThrow(/outside the corpus/);
    r.dispose();
  });

  it('leaks no tensors and releases the index on dispose', async () => {
    const w = world(6, 40, 10, 4);
    const before = tf.memory().numTensors;
    const r = make({ itemChunk: 16, queryChunk: 3 });
    await r.build(w.items, w.encoder);
    const held = tf.memory().numTensors;
    expect(held).toBe(before + 1);
    await r.search(w.queries, 20);
    await r.scoreItems(w.queries.slice(0, 2), [[1, 2], [3]]);
    expect(tf.memory().numTensors).toBe(held);
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses to build without an encoder and to search before build', async () => {
    const r = make();
    await expect(r.build([{ id: 0, text: 'a' }], undefined)).rejects.toThrow(/needs a trained encoder/);
    await expect(r.search(['q'], 3)).rejects.toThrow(/before build/);
  });
});

describeRetrieverConformance(descriptor);
describeRetrieverConformance(descriptor, { itemChunk: 8, queryChunk: 1 });
