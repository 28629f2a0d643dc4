import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.ts';
import { orderLikeTrecEval } from '../../src/eval/trec-order.ts';
import map, { MapMetric } from './map-metric.ts';
import mrr, { MrrMetric } from './mrr-metric.ts';
import ndcg, { NdcgMetric } from './ndcg-metric.ts';
import recall, { RecallMetric } from './recall-metric.ts';
import { describeMetricConformance } from '../../test/conformance/eval-conformance.ts';

const L = (r: number) => Math.log2(r + 1); // discount of 1-based rank r
const rel = (o: Record<number, number>) => new Map(Object.entries(o).map(([k, v]) => [Number(k), v]));

describe('metric plugins', () => {
  it('have empty strict params schemas and kind/name/label as documented', () => {
    for (const [d, name] of [[recall, 'recall'], [ndcg, 'ndcg'], [mrr, 'mrr'], [map, 'map']] as const) {
      expect(d.kind).toBe('metric');
      expect(d.name).toBe(name);
      expect(d.schema.parse({})).toEqual({});
      expect(() => d.schema.parse({ k: 10 })).toThrow();
    }
    expect(new RecallMetric().label(100)).toBe('recall@100');
    expect(new NdcgMetric().label(4)).toBe('ndcg@4');
    expect(new MrrMetric().label(10)).toBe('mrr@10');
    expect(new MapMetric().label(100)).toBe('map@100');
  });

  it('recall counts grade > 0 items in the top k over all relevant items', () => {
    const m = new RecallMetric();
    const judged = rel({ 1: 1, 2: 0, 3: 3, 4: 2 }); // 3 relevant; item 2 is judged not relevant
    expect(m.score([3, 2, 9, 1], judged, 2)).toBeCloseTo(1 / 3, 15);
    expect(m.score([3, 2, 9, 1], judged, 4)).toBeCloseTo(2 / 3, 15);
    expect(m.score([3, 2, 9, 1], judged, 100)).toBeCloseTo(2 / 3, 15);
    expect(m.score([], judged, 10)).toBe(0);
    // no relevant item: 0, as trec_eval reports it
    expect(m.score([2, 5], rel({ 2: 0 }), 10)).toBe(0);
  });

  it('ndcg uses linear gains, log2(rank+1) and the ideal order of all judged grades', () => {
    const m = new NdcgMetric();
    const judged = rel({ 10: 3, 11: 2, 12: 1, 13: 0, 14: 2 });
    // ranking: 13 (0), 12 (1), 99 (unjudged), 10 (3)
    const ranked = [13, 12, 99, 10];
    const ideal4 = 3 / L(1) + 2 / L(2) + 2 / L(3) + 1 / L(4);
    expect(m.score(ranked, judged, 4)).toBeCloseTo((1 / L(2) + 3 / L(4)) / ideal4, 15);
    expect(m.score(ranked, judged, 2)).toBeCloseTo(1 / L(2) / (3 + 2 / L(2)), 15);
    expect(m.score(ranked, judged, 1)).toBe(0);
    expect(m.score([10, 11, 14, 12], judged, 4)).toBeCloseTo(1, 15);
    expect(m.score([10, 14, 11, 12], judged, 4)).toBeCloseTo(1, 15); // equal grades swap freely
    expect(m.score([1, 2], rel({ 1: 0, 2: 0 }), 4)).toBe(0);
    expect(m.score([], judged, 4)).toBe(0);
  });

  it('mrr is the reciprocal rank of the first relevant item within k', () => {
    const m = new MrrMetric();
    const judged = rel({ 5: 0, 6: 2 });
    expect(m.score([5, 7, 6], judged, 3)).toBeCloseTo(1 / 3, 15);
    expect(m.score([5, 7, 6], judged, 2)).toBe(0);
    expect(m.score([6], judged, 1)).toBe(1);
  });

  it('map divides the precision at each relevant rank within k by all relevant items', () => {
    const m = new MapMetric();
    const judged = rel({ 1: 2, 2: 0, 3: 1, 4: 1 }); // 3 relevant
    // ranking 3 (rel), 2 (not), 9 (unjudged), 1 (rel): precisions 1/1 and 2/4
    expect(m.score([3, 2, 9, 1], judged, 4)).toBeCloseTo((1 + 2 / 4) / 3, 15);
    expect(m.score([3, 2, 9, 1], judged, 3)).toBeCloseTo(1 / 3, 15);
    expect(m.score([], judged, 10)).toBe(0);
    expect(m.score([2], rel({ 2: 0 }), 10)).toBe(0);
  });

  it('agree with a brute-force definition on random graded lists', () => {
    const rng = new Rng(7);
    const permutations = (xs: number[]): number[][] =>
      xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
    for (let t = 0; t < 200; t++) {
      const n = 1 + rng.int(6);
      const judged = new Map(Array.from({ length: n }, (_, i) => [i, rng.int(4)] as [number, number]));
      const ranked = rng.shuffle([...judged.keys(), 100, 101]).slice(0, 1 + rng.int(n + 2));
      const k = 1 + rng.int(7);
      const dcg = (list: number[]) => list.slice(0, k).reduce((s, id, i) => s + (judged.get(id) ?? 0) / L(i + 1), 0);
      const best = Math.max(...permutations([...judged.keys()]).map(dcg));
      const expectedNdcg = best > 0 ? dcg(ranked) / best : 0;
      expect(new NdcgMetric().score(ranked, judged, k)).toBeCloseTo(expectedNdcg, 12);
      const relevant = [...judged].filter(([, g]) => g > 0).map(([id]) => id);
      const hits = ranked.slice(0, k).filter((id) => relevant.includes(id)).length;
      expect(new RecallMetric().score(ranked, judged, k)).toBeCloseTo(relevant.length ? hits / relevant.length : 0, 15);
      const first = ranked.slice(0, k).findIndex((id) => relevant.includes(id));
      expect(new MrrMetric().score(ranked, judged, k)).toBe(first < 0 ? 0 : 1 / (first + 1));
      const precisionsAtHits = ranked.slice(0, k).flatMap((id, i) => (relevant.includes(id) ? [ranked.slice(0, i + 1).filter((d) => relevant.includes(d)).length / (i + 1)] : []));
      expect(new MapMetric().score(ranked, judged, k)).toBeCloseTo(relevant.length ? precisionsAtHits.reduce((a, b) => a + b, 0) / relevant.length : 0, 15);
    }
  });

  it('equal trec_eval on its own golden values once the run is in trec_eval order', () => {
    const golden = JSON.parse(readFileSync(new URL('../../test/fixtures/trec-eval/golden.json', import.meta.url), 'utf8')) as {
      cases: Array<{ run: Record<string, Record<string, number>>; qrels: Record<string, Record<string, number>>; perQuery: Record<string, Record<string, number>> }>;
    };
    let n = 0;
    for (const c of golden.cases) {
      for (const [qid, expected] of Object.entries(c.perQuery)) {
        const ordered = orderLikeTrecEval(Object.entries(c.run[qid]!).map(([docno, score]) => ({ docno, score }))).map((d) => Number(d.docno));
        const judged = new Map(Object.entries(c.qrels[qid]!).map(([d, g]) => [Number(d), g]));
        for (const k of [1, 3, 5, 10, 100]) {
          expect(new RecallMetric().score(ordered, judged, k)).toBeCloseTo(expected[`recall_${k}`]!, 12);
          expect(new NdcgMetric().score(ordered, judged, k)).toBeCloseTo(expected[`ndcg_cut_${k}`]!, 12);
        }
        for (const k of [1, 3, 10, 100]) expect(new MapMetric().score(ordered, judged, k)).toBeCloseTo(expected[`map_cut_${k}`]!, 12);
        // trec_eval's uncut map is map_cut at a depth beyond the run
        expect(new MapMetric().score(ordered, judged, 100000)).toBeCloseTo(expected.map!, 12);
        // no cutoff in recip_rank: a depth beyond the run length is the same thing
        expect(new MrrMetric().score(ordered, judged, 1000)).toBeCloseTo(expected.recip_rank!, 12);
        n++;
      }
    }
    expect(n).toBeGreaterThan(60);
  });
});

for (const d of [recall, ndcg, mrr, map]) describeMetricConformance(d);
