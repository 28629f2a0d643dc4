import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.ts';
import { evaluateRun, parseMeasures, type TrecQrels, type TrecRun } from './trec-eval.ts';
import { PYTREC_MISSING, PYTREC_PYTHON, RUN_PYTREC } from '../../test/support/pytrec-python.ts';

const L3 = Math.log2(3);

function runOf(obj: Record<string, Record<string, number>>): TrecRun {
  return new Map(Object.entries(obj).map(([q, docs]) => [q, Object.entries(docs).map(([docno, score]) => ({ docno, score }))]));
}
function qrelsOf(obj: Record<string, Record<string, number>>): TrecQrels {
  return new Map(Object.entries(obj).map(([q, docs]) => [q, new Map(Object.entries(docs))]));
}

// Q1: x is unjudged, a/c tie and c wins on docno (descending); Q2 has no relevant item;
// Q3 has qrels but no results; Q4 has results but no qrels.
const RUN = runOf({ Q1: { x: 0.9, a: 0.5, c: 0.5, b: 0.1 }, Q2: { e: 1 }, Q4: { z: 1 } });
const QRELS = qrelsOf({ Q1: { a: 2, b: 0, c: 1, d: 3 }, Q2: { e: 0 }, Q3: { f: 1 } });
const MEASURES = ['recall.1,2,3,10', 'P.2', 'recip_rank', 'ndcg_cut.2,3', 'num_q', 'num_ret', 'num_rel', 'num_rel_ret'];

describe('evaluateRun', () => {
  it('computes per-query values like trec_eval on a hand-checked case', () => {
    const r = evaluateRun(RUN, QRELS, MEASURES, { complete: false });
    expect([...r.perQuery.keys()]).toEqual(['Q1', 'Q2']);
    const q1 = r.perQuery.get('Q1')!;
    expect(q1.recall_1).toBe(0);
    expect(q1.recall_2).toBeCloseTo(1 / 3, 15);
    expect(q1.recall_3).toBeCloseTo(2 / 3, 15);
    expect(q1.recall_10).toBeCloseTo(2 / 3, 15);
    expect(q1.P_2).toBe(0.5);
    expect(q1.recip_rank).toBe(0.5);
    expect(q1.ndcg_cut_2).toBeCloseTo(1 / L3 / (3 + 2 / L3), 15);
    expect(q1.ndcg_cut_3).toBeCloseTo((1 / L3 + 2 / 2) / (3 + 2 / L3 + 1 / 2), 15);
    expect(q1.ndcg_cut_2).toBeCloseTo(0.1480409554829326, 15); // pytrec_eval's value for this case
    expect([q1.num_q, q1.num_ret, q1.num_rel, q1.num_rel_ret]).toEqual([1, 4, 3, 2]);
    const q2 = r.perQuery.get('Q2')!;
    expect([q2.recall_10, q2.ndcg_cut_3, q2.recip_rank, q2.num_rel]).toEqual([0, 0, 0, 0]);
    expect(r.names).toEqual(['recall_1', 'recall_2', 'recall_3', 'recall_10', 'P_2', 'recip_rank', 'ndcg_cut_2', 'ndcg_cut_3', 'num_q', 'num_ret', 'num_rel', 'num_rel_ret']);
  });

  it('averages over evaluated queries, or over all qrels queries with complete (-c)', () => {
    const plain = evaluateRun(RUN, QRELS, MEASURES, { complete: false }).all;
    const complete = evaluateRun(RUN, QRELS, MEASURES, { complete: true }).all;
    expect(plain.recall_3).toBeCloseTo(2 / 3 / 2, 15);
    expect(complete.recall_3).toBeCloseTo(2 / 3 / 3, 15);
    expect(complete.recip_rank).toBeCloseTo(0.5 / 3, 15);
    // counts are sums over evaluated queries either way
    for (const all of [plain, complete]) expect([all.num_q, all.num_ret, all.num_rel, all.num_rel_ret]).toEqual([2, 5, 3, 2]);
  });

  it('applies relevanceLevel and maxDocsPerTopic like -l and -M', () => {
    const l2 = evaluateRun(RUN, QRELS, ['recall.10', 'recip_rank', 'num_rel'], { complete: false, relevanceLevel: 2 }).perQuery.get('Q1')!;
    expect(l2).toEqual({ recall_10: 1 / 2, recip_rank: 1 / 3, num_rel: 2 });
    const m1 = evaluateRun(RUN, QRELS, ['recip_rank', 'num_ret'], { complete: false, maxDocsPerTopic: 1 }).perQuery.get('Q1')!;
    expect(m1).toEqual({ recip_rank: 0, num_ret: 1 });
  });

  it('uses trec_eval default cutoffs and rejects what trec_eval rejects', () => {
    expect(parseMeasures(['recall'])).toEqual([{ name: 'recall', cutoffs: [5, 10, 15, 20, 30, 100, 200, 500, 1000] }]);
    expect(parseMeasures(['ndcg_cut.10,4'])).toEqual([{ name: 'ndcg_cut', cutoffs: [4, 10] }]);
    expect(() => parseMeasures(['map.10'])).toThrow(/unsupported measure 'map.10'/);
    expect(() => parseMeasures(['err'])).toThrow(/unsupported measure 'err'/);
    expect(() => parseMeasures(['recall.0'])).toThrow(/positive/);
    expect(() => evaluateRun(runOf({ Q1: { a: 1 } }), qrelsOf({ Q9: { a: 1 } }), ['recip_rank'], { complete: true })).toThrow(/no queries/);
    const dup: TrecRun = new Map([['Q1', [{ docno: 'a', score: 1 }, { docno: 'a', score: 0.5 }]]]);
    expect(() => evaluateRun(dup, QRELS, ['recip_rank'], { complete: false })).toThrow(/duplicate docno 'a'/);
  });

  it('matches per-query values computed by trec_eval itself (pytrec_eval golden file)', () => {
    const golden = JSON.parse(readFileSync(new URL('../../test/fixtures/trec-eval/golden.json', import.meta.url), 'utf8')) as {
      measures: string[];
      cases: Array<{ run: Record<string, Record<string, number>>; qrels: Record<string, Record<string, number>>; perQuery: Record<string, Record<string, number>> }>;
    };
    let compared = 0;
    for (const c of golden.cases) {
      const r = evaluateRun(runOf(c.run), qrelsOf(c.qrels), golden.measures, { complete: false });
      expect([...r.perQuery.keys()].sort()).toEqual(Object.keys(c.perQuery).sort());
      for (const [qid, expected] of Object.entries(c.perQuery)) {
        const got = r.perQuery.get(qid)!;
        for (const [name, v] of Object.entries(expected)) {
          expect(got[name], `${qid} ${name}`).toBeCloseTo(v, 12);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it.runIf(RUN_PYTREC)('matches pytrec_eval on fresh random runs', () => {
    expect(PYTREC_PYTHON, PYTREC_MISSING).toBeDefined();
    const rng = new Rng(20240611);
    const run: Record<string, Record<string, number>> = {};
    const qrels: Record<string, Record<string, number>> = {};
    for (let q = 0; q < 60; q++) {
      const pool = rng.shuffle(Array.from({ length: 300 }, (_, i) => String(i * 7 + 1)));
      if (q % 5 !== 0) qrels[`${q}`] = Object.fromEntries(pool.slice(0, 1 + rng.int(30)).map((d) => [d, rng.int(4)]));
      if (q % 9 !== 0) run[`${q}`] = Object.fromEntries(pool.slice(rng.int(10), 20 + rng.int(60)).map((d) => [d, rng.int(6) / 4]));
    }
    const measures = ['recall.1,2,5,10,50', 'ndcg_cut.1,2,4,10,50', 'P.3', 'map', 'map_cut.2,10,50', 'recip_rank', 'num_rel', 'num_rel_ret', 'num_ret'];
    const py = `import json,sys,pytrec_eval\nd=json.load(sys.stdin)\nprint(json.dumps(pytrec_eval.RelevanceEvaluator(d['qrels'],set(d['m'])).evaluate(d['run'])))`;
    const out = spawnSync(PYTREC_PYTHON!, ['-c', py], { input: JSON.stringify({ run, qrels, m: measures }), encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const expected = JSON.parse(out.stdout) as Record<string, Record<string, number>>;
    const got = evaluateRun(runOf(run), qrelsOf(qrels), measures, { complete: false }).perQuery;
    expect(got.size).toBe(Object.keys(expected).length);
    for (const [qid, values] of Object.entries(expected)) {
      for (const [name, v] of Object.entries(values)) expect(got.get(qid)![name], `${qid} ${name}`).toBeCloseTo(v, 12);
    }
  });
});
