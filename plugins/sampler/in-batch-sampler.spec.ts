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
