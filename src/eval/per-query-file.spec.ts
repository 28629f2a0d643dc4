import { describe, expect, it } from 'vitest';
import type { Evaluation } from './evaluate.ts';
import { formatPerQuery, parsePerQuery, testSetFingerprint } from './per-query-file.ts';
import type { TestSet } from './test-sets.ts';

const set = (queries: string[], grades: number[], qids?: string[]): TestSet => ({
  name: 'test',
  queries,
  qids,
  byQuery: new Map(queries.map((q, i) => [q, new Map([[i + 10, grades[i]!]])])),
});

const evaluation = (perQuery: Record<string, Record<string, number>>): Evaluation => ({
  values: {},
  perQuery: new Map(Object.entries(perQuery).map(([k, v]) => [k, new Map(Object.entries(v))])),
  runs: new Map(),
  warnings: [],
});

describe('per-query file', () => {
  it('keeps the dataset query ids and reads back every value under set fingerprint + id', () => {
    const sets = new Map([['test', set(['cats', 'dogs'], [1, 2], ['PLAIN-7', 'PLAIN-9'])]]);
    const text = formatPerQuery(evaluation({ 'recall@10/test': { cats: 0.5, dogs: 1 / 3 }, 'ndcg@4/test': { cats: 0, dogs: 1 } }), sets);
    const fp = testSetFingerprint(sets.get('test')!);
    const back = parsePerQuery(text);
    expect([...back.get('recall@10/test')!]).toEqual([
      [`${fp}:PLAIN-7`, 0.5],
      [`${fp}:PLAIN-9`, 1 / 3],
    ]);
    expect(back.get('ndcg@4/test')!.get(`${fp}:PLAIN-9`)).toBe(1);
  });

  it('names queries by position without dataset ids, as the TREC files do', () => {
    const sets = new Map([['ct', set(['a', 'b'], [1, 1])]]);
    const back = parsePerQuery(formatPerQuery(evaluation({ 'recall@100/ct': { a: 1, b: 0 } }), sets));
    expect([...back.get('recall@100/ct')!.keys()].map((k) => k.split(':')[1])).toEqual(['0', '1']);
  });

  it('gives different fingerprints to sets that differ in a query or a grade', () => {
    const base = testSetFingerprint(set(['a', 'b'], [1, 2]));
    expect(testSetFingerprint(set(['a', 'b'], [1, 2]))).toBe(base);
    expect(testSetFingerprint(set(['a', 'c'], [1, 2]))).not.toBe(base);
    expect(testSetFingerprint(set(['a', 'b'], [1, 3]))).not.toBe(base);
  });

  it('refuses a malformed file', () => {
    expect(() => parsePerQuery('{"version":2}')).toThrow(/version 1/);
    expect(() => parsePerQuery('{"version":1,"sets":{"ct":{"fingerprint":"f","qids":["0"]}},"values":{"recall@1/ct":[1,0]}}')).toThrow(/does not match/);
  });
});
