import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.ts';
import type { Batch, LabelledList, TrainingSet } from '../../src/extension-points/samples.ts';
import type { LabelScheme } from '../../src/extension-points/label-scheme.ts';
import plugin, { InBatchParams, InBatchSampler } from './in-batch-sampler.ts';
import { describeSamplerConformance } from '../../test/conformance/data-conformance.ts';

const hla: LabelScheme = { positiveGrade: 4, grade: () => undefined };

/** 10 queries; query q has positives 100q.. and lower grades; query 1 also lists query 0's items. */
function trainingSet(): TrainingSet {
  const lists: LabelledList[] = [];
  for (let q = 0; q < 10; q++) {
    const itemIds = [100 * q, 100 * q + 1, 100 * q + 2, 100 * q + 3, 100 * q + 4, 100 * q + 5, 100 * q + 6];
    const grades = [5, 4, 4, 3, 2, 1, 1];
    if (q === 1) {
      itemIds.push(0, 1, 2, 3, 4, 5, 6);
      grades.push(1, 1, 1, 1, 1, 1, 0);
    }
    lists.push({ query: `q${q}`, itemIds, grades });
  }
  return { items: { texts: [], corpusSize: 1000 }, lists, originCounts: {}, gradeCounts: {} };
}

async function sampler(seed: number, params: Partial<InBatchParams> = {}, batchQueries = 4, scheme: LabelScheme | undefined = hla) {
  const s = new InBatchSampler(InBatchParams.parse(params), new Rng(seed), scheme);
  await s.init(trainingSet(), { batchQueries });
  return s;
}

const row = (b: Batch, q: number) => Array.from(b.grades.slice(q * b.itemIds.length, (q + 1) * b.itemIds.length));

describe('in-batch sampler', () => {
  it('with separate budgets keeps its lower-graded negatives however many positives a query gains', async () => {
    // every query lists n positives (grades 4 and 5) and 5 lower-graded items (funnel stages at
    // grades 0 to 3, as under hla); more positives must not crowd the lower grades out
    const lists = (n: number): TrainingSet => ({
      items: { texts: [], corpusSize: 10000 },
      lists: Array.from({ length: 4 }, (_, q) => {
        const itemIds = Array.from({ length: n + 5 }, (_, i) => 1000 * q + i);
        return { query: `q${q}`, itemIds, grades: itemIds.map((_, i) => (i < n ? 4 + (i % 2) : (i - n) % 4)) };
      }),
      originCounts: {},
      gradeCounts: {},
    });
    const ownCounts = async (n: number, params: Partial<InBatchParams>) => {
      const s = new InBatchSampler(InBatchParams.parse(params), new Rng(3), hla);
      await s.init(lists(n), { batchQueries: 4 });
      const b = await s.next(0);
      return b.queries.map((query, qi) => {
        const q = Number(query.slice(1));
        const own = Array.from(b.itemIds).filter((id, j) => Math.floor(id / 1000) === q && row(b, qi)[j]! >= 0);
        const lower = own.filter((id) => id % 1000 >= n).length;
        return { positives: own.length - lower, lower };
      });
    };
    for (const n of [2, 6, 12]) {
      for (const c of await ownCounts(n, { separateBudgets: { positives: 4, negatives: 3 } })) expect(c).toEqual({ positives: Math.min(n, 4), lower: 3 });
    }
    // the shared budget, for comparison: positives fill the slots first and the negatives go
    expect((await ownCounts(2, { candidatesPerQuery: 7 }))[0]).toEqual({ positives: 2, lower: 5 });
    expect((await ownCounts(12, { candidatesPerQuery: 7 }))[0]).toEqual({ positives: 7, lower: 0 });
    // the highest grades are taken first
    const s = new InBatchSampler(InBatchParams.parse({ separateBudgets: { positives: 2, negatives: 0 } }), new Rng(5), hla);
    await s.init(lists(6), { batchQueries: 4 });
    const b = await s.next(0);
    const ownGrades = row(b, 0).filter((g) => g > 0);
    expect(ownGrades.sort()).toEqual([5, 5]);
  });

  it('builds batches of the right shape with unique candidates', async () => {
    const s = await sampler(1, { candidatesPerQuery: 5 });
    const b = await s.next(0);
    expect(b.queries).toHaveLength(4);
    expect(new Set(b.queries).size).toBe(4);
    expect(b.grades).toHaveLength(4 * b.itemIds.length);
    expect(new Set(b.itemIds).size).toBe(b.itemIds.length);
    expect(b.itemIds.length).toBeLessThanOrEqual(4 * 5);
  });

  it('grades own picks, puts positives first and masks the query’s other positives', async () => {
    const data = trainingSet();
    const s = await sampler(2, { candidatesPerQuery: 4 });
    let together = 0;
    for (let step = 0; step < 12; step++) {
      const b = await s.next(step);
      b.queries.forEach((query, qi) => {
        const list = data.lists.find((l) => l.query === query)!;
        const gradeOf = new Map(list.itemIds.map((id, i) => [id, list.grades[i]!]));
        const r = row(b, qi);
        // the three positives are always picked, then one lower-grade candidate
        for (const id of list.itemIds.slice(0, 3)) expect(r[b.itemIds.indexOf(id)]).toBe(gradeOf.get(id));
        expect(r.filter((g) => g > 0)).toHaveLength(4);
        row(b, qi).forEach((g, j) => {
          const mine = gradeOf.get(b.itemIds[j]!);
          if (mine === undefined) expect(g).toBe(0);
          else expect([mine, mine >= 1 ? -1 : 0]).toContain(g);
        });
      });
      if (b.queries.includes('q0') && b.queries.includes('q1')) {
        together++;
        const r1 = row(b, b.queries.indexOf('q1'));
        b.itemIds.forEach((id, j) => {
          if (id < 6) expect([1, -1]).toContain(r1[j]);
          if (id === 6) expect(r1[j]).toBe(0);
        });
        expect(r1.filter((g) => g === -1).length).toBeGreaterThan(0);
      }
    }
    expect(together).toBeGreaterThan(0);
  });

  it('keeps the highest grades when positives exceed the budget', async () => {
    const s = await sampler(3, { candidatesPerQuery: 1 }, 10);
    const b = await s.next(0);
    b.queries.forEach((q, qi) => {
      const picked = row(b, qi).filter((g) => g > 0);
      expect(picked).toEqual([5]);
      expect(q).toMatch(/^q\d$/);
    });
  });

  it('is deterministic per step and seed, whatever the call order', async () => {
    const a = await sampler(7);
    const b = await sampler(7);
    const forward: Batch[] = [];
    for (let step = 0; step < 6; step++) forward.push(await a.next(step));
    expect(await b.next(5)).toEqual(forward[5]);
    expect(await b.next(0)).toEqual(forward[0]);
    const other = await sampler(8);
    const differs = await Promise.all([0, 1, 2, 3].map(async (st) => JSON.stringify(await other.next(st)) !== JSON.stringify(forward[st])));
    expect(differs).toContain(true);
  });

  it('visits queries once per epoch in a fresh order each epoch', async () => {
    const s = await sampler(4, {}, 3);
    const epoch = async (e: number) => (await Promise.all([0, 1, 2].map((i) => s.next(3 * e + i)))).flatMap((b) => b.queries);
    const first = await epoch(0);
    const second = await epoch(1);
    expect(new Set(first).size).toBe(9);
    expect(new Set(second).size).toBe(9);
    expect(second).not.toEqual(first);
  });

  it('caps the batch at the number of queries and works without a label scheme', async () => {
    const s = await sampler(5, { candidatesPerQuery: 2 }, 64, undefined);
    const b = await s.next(0);
    expect(b.queries).toHaveLength(10);
    b.queries.forEach((_, qi) => expect(row(b, qi).filter((g) => g === 5)).toHaveLength(1));
    expect(plugin.schema.parse({})).toEqual({ candidatesPerQuery: 8 });
    expect(() => plugin.schema.parse({ candidates: 3 })).toThrow();
  });
});

describeSamplerConformance(plugin);
