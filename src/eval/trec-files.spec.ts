import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Ranking } from '../extension-points/retriever.ts';
import { formatQrels, formatQueries, formatRun, parseQrels, parseQueries, parseRun, qidOf, writeTrecFiles } from './trec-files.ts';
import type { TestSet } from './test-sets.ts';

const ranking = (ids: number[], scores: number[]): Ranking => ({ itemIds: Int32Array.from(ids), scores: Float32Array.from(scores) });

const SET: TestSet = {
  name: 'judged',
  queries: ['apple pie', 'banana'],
  byQuery: new Map([
    ['apple pie', new Map([[7, 2], [3, 0]])],
    ['banana', new Map([[12, 1]])],
  ]),
};
const RUNS = new Map([
  ['apple pie', ranking([7, 3, 40], [0.1, 0.1, -0.3333333432674408])],
  ['banana', ranking([12], [1e-8])],
]);

describe('TREC files', () => {
  it('writes run lines qid Q0 docno rank score tag with ids from the sorted query list', () => {
    expect(formatRun(SET.queries, RUNS, 'my run').toString()).toBe(
      ['0 Q0 7 1 0.10000000149011612 my_run', '0 Q0 3 2 0.10000000149011612 my_run', '0 Q0 40 3 -0.3333333432674408 my_run', '1 Q0 12 1 9.99999993922529e-9 my_run', ''].join('\n'),
    );
    expect(qidOf(1)).toBe('1');
  });

  it('writes qrels lines qid 0 docno grade including grade-0 pairs', () => {
    expect(formatQrels(SET.queries, SET)).toBe('0 0 3 0\n0 0 7 2\n1 0 12 1\n');
  });

  it('round-trips runs with exact scores, qrels and escaped queries', () => {
    const run = parseRun(formatRun(SET.queries, RUNS, 't').toString());
    expect(run.get('0')).toEqual([
      { docno: '7', score: Math.fround(0.1) },
      { docno: '3', score: Math.fround(0.1) },
      { docno: '40', score: Math.fround(-1 / 3) },
    ]);
    expect(parseQrels(formatQrels(SET.queries, SET))).toEqual(
      new Map([
        ['0', new Map([['3', 0], ['7', 2]])],
        ['1', new Map([['12', 1]])],
      ]),
    );
    const odd = ['tab\there', 'line\nbreak', 'back\\slash\\t', 'plain'];
    const text = formatQueries(odd);
    expect(text.split('\n')).toHaveLength(odd.length + 1);
    expect([...parseQueries(text).values()]).toEqual(odd);
  });

  it('parses like trec_eval: blank lines and comments skipped, rank ignored, extra run fields allowed', () => {
    const run = parseRun('# comment\n\nq1 Q0 d1 9 0.5 tag extra\nq1 Q0 d2 1 0.7 tag\r\n');
    expect(run.get('q1')).toEqual([
      { docno: 'd1', score: 0.5 },
      { docno: 'd2', score: 0.7 },
    ]);
    expect(() => parseRun('q1 Q0 d1 1 0.5', 'x.run')).toThrow(/x\.run:1: expected/);
    expect(() => parseRun('q1 Q0 d1 1 abc t')).toThrow(/score 'abc'/);
    expect(() => parseQrels('q1 0 d1 1\nq1 0 d1 2', 'x.qrels')).toThrow(/x\.qrels:2: docno 'd1' judged twice/);
    expect(() => parseQrels('q1 0 d1 1.5')).toThrow(/not an integer/);
  });

  it('writes the three files of a set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crops-trec-'));
    const paths = await writeTrecFiles(join(dir, 'nested'), SET, RUNS, 'tag');
    expect(paths).toEqual({ run: join(dir, 'nested', 'judged.run'), qrels: join(dir, 'nested', 'judged.qrels'), queries: join(dir, 'nested', 'judged.queries.tsv') });
    expect(await readFile(paths.queries, 'utf8')).toBe('0\tapple pie\n1\tbanana\n');
    expect((await readFile(paths.run, 'utf8')).split('\n')).toHaveLength(5);
  });
});
