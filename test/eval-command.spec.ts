import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFixed4, formatTrecEvalLine } from '../src/cli/eval-command.ts';
import { main } from '../src/cli/main.ts';
import { PYTREC_MISSING, PYTREC_PYTHON, RUN_PYTREC } from './support/pytrec-python.ts';

const dir = mkdtempSync(join(tmpdir(), 'crops-eval-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

// grades 0-3; q3 is judged but absent from the run, qx is run but not judged
const QRELS = file('t.qrels', ['q1 0 d1 3', 'q1 0 d2 2', 'q1 0 d3 0', 'q1 0 d4 1', 'q2 0 e1 1', 'q3 0 f1 2', ''].join('\n'));
// d1 and d2 tie: trec_eval ranks equal scores by docno descending, so d2 comes first
const RUN = file(
  't.run',
  ['q1 Q0 d9 1 5 t', 'q1 Q0 d1 2 4 t', 'q1 Q0 d2 3 4 t', 'q1 Q0 d3 4 3 t', 'q1 Q0 d4 5 1 t', 'q2 Q0 e5 1 2 t', 'q2 Q0 e1 2 1 t', 'qx Q0 z 1 1 t', ''].join('\n'),
);

async function crops(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['eval', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Output lines as [measure, qid, value] with the padding stripped. */
const rows = (out: string) => out.trimEnd().split('\n').map((l) => l.split('\t').map((f) => f.trim()));

// q1 ranks d9(-), d2(2), d1(3), d3(0), d4(1): DCG@4 = 2/log2(3) + 3/2, ideal = 3 + 2/log2(3) + 1/2
const NDCG_Q1 = (2 / Math.log2(3) + 1.5) / (3 + 2 / Math.log2(3) + 0.5);
const NDCG_Q2 = 1 / Math.log2(3);

describe('crops eval', () => {
  it('prints per-query lines then all, in trec_eval order and format', async () => {
    const r = await crops('--qrels', QRELS, '--run', RUN, '-m', 'ndcg_cut.4', '-m', 'recall.100,2', '-m', 'num_q', '-m', 'num_ret', '-q');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toBe(
      [
        'num_ret               \tq1\t5',
        'recall_2              \tq1\t0.3333',
        'recall_100            \tq1\t1.0000',
        `ndcg_cut_4            \tq1\t${NDCG_Q1.toFixed(4)}`,
        'num_ret               \tq2\t2',
        'recall_2              \tq2\t1.0000',
        'recall_100            \tq2\t1.0000',
        `ndcg_cut_4            \tq2\t${NDCG_Q2.toFixed(4)}`,
        'num_q                 \tall\t2',
        'num_ret               \tall\t7',
        'recall_2              \tall\t0.6667',
        'recall_100            \tall\t1.0000',
        `ndcg_cut_4            \tall\t${((NDCG_Q1 + NDCG_Q2) / 2).toFixed(4)}`,
        '',
      ].join('\n'),
    );
    expect(NDCG_Q1.toFixed(4)).toBe('0.5800');
  });

  it('prints only the all lines without -q; -c averages over every judged query', async () => {
    const plain = await crops('--qrels', QRELS, '--run', RUN, '-m', 'recall.100', '-m', 'num_q', '-m', 'num_rel', '-m', 'recip_rank');
    expect(rows(plain.out)).toEqual([
      ['num_q', 'all', '2'],
      ['num_rel', 'all', '4'],
      ['recip_rank', 'all', '0.5000'],
      ['recall_100', 'all', '1.0000'],
    ]);
    const complete = await crops('--qrels', QRELS, '--run', RUN, '-m', 'recall.100', '-m', 'num_q', '-m', 'num_rel', '-m', 'recip_rank', '-c');
    // q3 counts as 0; num_q and num_rel cover the whole qrels, as in trec_eval
    expect(rows(complete.out)).toEqual([
      ['num_q', 'all', '3'],
      ['num_rel', 'all', '5'],
      ['recip_rank', 'all', '0.3333'],
      ['recall_100', 'all', '0.6667'],
    ]);
  });

  it('honours -M (documents per query) and -l (relevance level)', async () => {
    const cut = await crops('--qrels', QRELS, '--run', RUN, '-m', 'recall.100', '-m', 'num_ret', '-M', '2', '-q');
    expect(rows(cut.out)).toEqual([
      ['num_ret', 'q1', '2'],
      ['recall_100', 'q1', '0.3333'],
      ['num_ret', 'q2', '2'],
      ['recall_100', 'q2', '1.0000'],
      ['num_ret', 'all', '4'],
      ['recall_100', 'all', '0.6667'],
    ]);
    // at level 2 only d1, d2 count for q1 and q2 has nothing relevant
    const level = await crops(RUN.replace('.run', '.qrels'), RUN, '-m', 'recall.100', '-m', 'P.2', '-l', '2', '-q');
    expect(rows(level.out)).toEqual([
      ['P_2', 'q1', '0.5000'],
      ['recall_100', 'q1', '1.0000'],
      ['P_2', 'q2', '0.0000'],
      ['recall_100', 'q2', '0.0000'],
      ['P_2', 'all', '0.2500'],
      ['recall_100', 'all', '0.5000'],
    ]);
  });

  it('scores with metric plugins as NAME@K, equal to the trec_eval measure each one mirrors', async () => {
    const trec = await crops('--qrels', QRELS, '--run', RUN, '-m', 'ndcg_cut.4', '-m', 'map_cut.3', '-m', 'map', '-m', 'recall.2', '-m', 'recip_rank', '-q');
    const plugin = await crops('--qrels', QRELS, '--run', RUN, '-m', 'ndcg@4', '-m', 'map@3,1000', '-m', 'recall@2', '-m', 'mrr@1000', '-q');
    expect(plugin.code, plugin.err).toBe(0);
    const byKey = (out: string) => new Map(rows(out).map(([name, qid, value]) => [`${name} ${qid}`, value]));
    const t = byKey(trec.out);
    const p = byKey(plugin.out);
    for (const qid of ['q1', 'q2', 'all']) {
      expect(p.get(`ndcg@4 ${qid}`)).toBe(t.get(`ndcg_cut_4 ${qid}`));
      expect(p.get(`map@3 ${qid}`)).toBe(t.get(`map_cut_3 ${qid}`));
      expect(p.get(`map@1000 ${qid}`)).toBe(t.get(`map ${qid}`));
      expect(p.get(`recall@2 ${qid}`)).toBe(t.get(`recall_2 ${qid}`));
      expect(p.get(`mrr@1000 ${qid}`)).toBe(t.get(`recip_rank ${qid}`));
    }
    expect(p.size).toBe(15);
    // q1: d2 (grade 2) at rank 2, d1 (3) at 3, d4 (1) at 5, three relevant -> (1/2 + 2/3 + 3/5) / 3
    expect(p.get('map@1000 q1')).toBe(formatFixed4((1 / 2 + 2 / 3 + 3 / 5) / 3));
    // with -c the judged query q3, absent from the run, counts 0 in the mean like trec_eval's
    const complete = byKey((await crops('--qrels', QRELS, '--run', RUN, '-m', 'ndcg@4', '-m', 'ndcg_cut.4', '-c')).out);
    expect(complete.get('ndcg@4 all')).toBe(complete.get('ndcg_cut_4 all'));
    expect(complete.get('ndcg@4 all')).toBe(formatFixed4((NDCG_Q1 + NDCG_Q2) / 3));
    // -M cuts the ranking for plugin measures too
    const cut = byKey((await crops('--qrels', QRELS, '--run', RUN, '-m', 'recall@100', '-m', 'recall.100', '-M', '2')).out);
    expect(cut.get('recall@100 all')).toBe(cut.get('recall_100 all'));
  });

  it('scores with a metric plugin loaded with --plugin', async () => {
    mkdirSync('.crops-cache', { recursive: true });
    const pluginDir = mkdtempSync(join(process.cwd(), '.crops-cache', 'eval-plugin-'));
    const plugin = join(pluginDir, 'hit-metric.js');
    writeFileSync(
      plugin,
      `import { injectable } from 'inversify';
import { z } from 'zod';
class Hit { label(k) { return 'hit@' + k; } score(ranked, rel, k) { for (let i = 0; i < Math.min(k, ranked.length); i++) if ((rel.get(ranked[i]) ?? 0) > 0) return 1; return 0; } }
injectable()(Hit);
export default { kind: 'metric', name: 'hit', summary: 'a relevant item in the top k', schema: z.object({}).strict(), implementation: Hit };
`,
    );
    const r = await crops('--qrels', QRELS, '--run', RUN, '-m', 'hit@1,2', '-q', '--plugin', plugin);
    expect(r.code, r.err).toBe(0);
    // q1 ranks an unjudged d9 first; q2 ranks the non-relevant e5 first
    expect(rows(r.out)).toEqual([
      ['hit@1', 'q1', '0.0000'],
      ['hit@2', 'q1', '1.0000'],
      ['hit@1', 'q2', '0.0000'],
      ['hit@2', 'q2', '1.0000'],
      ['hit@1', 'all', '0.0000'],
      ['hit@2', 'all', '1.0000'],
    ]);
  });

  it('formats like C printf', () => {
    expect(formatTrecEvalLine('recall_100', 'all', 0.5, false)).toBe('recall_100            \tall\t0.5000\n');
    expect(formatTrecEvalLine('num_ret', '7', 12, true)).toBe('num_ret               \t7\t12\n');
    // exact binary halves round to even, like glibc
    expect([0.03125, 0.09375, 0.00005, 1 / 3, 2 / 3, 1].map(formatFixed4)).toEqual(['0.0312', '0.0938', '0.0001', '0.3333', '0.6667', '1.0000']);
  });

  it('rejects bad input with exit 2 and a clear message', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--qrels', join(dir, 'nope.qrels'), '--run', RUN, '-m', 'recall.10'], /cannot read qrels file '.*nope\.qrels': no such file/],
      [['--qrels', QRELS, '--run', file('bad.run', 'q1 Q0 d1 1 5 t\nq1 Q0 d2 2 high t\n'), '-m', 'recall.10'], /bad\.run:2: score 'high' is not a number/],
      [['--qrels', file('bad.qrels', 'q1 0 d1\n'), '--run', RUN, '-m', 'recall.10'], /bad\.qrels:1: expected 'qid 0 docno grade', got 3 fields/],
      [['--qrels', QRELS, '--run', RUN, '-m', 'ndcg_cutt.10'], /unknown measure 'ndcg_cutt\.10'; did you mean 'ndcg_cut\.10'\?/],
      [['--qrels', QRELS, '--run', RUN, '-m', 'err'], /^error unknown measure 'err' \(supported: num_q, .*recall\.K/],
      [['--qrels', QRELS, '--run', RUN, '-m', 'ndgc@10'], /unknown metric plugin 'ndgc' in 'ndgc@10'; did you mean 'ndcg@10'\? \(metric plugins: .*map/],
      [['--qrels', QRELS, '--run', RUN, '-m', 'ndcg@0'], /'ndcg@0': the cutoffs after '@' must be positive integers/],
      [['--qrels', QRELS, '--run', RUN, '-m', 'recall@'], /the cutoffs after '@' must be positive integers/],
      [['--qrels', QRELS, '--run', RUN, '-m', 'recip_rank.10'], /'recip_rank' takes no cutoffs/],
      [['--qrels', QRELS, '--run', RUN, '-m', 'recall.0'], /cutoffs must be distinct positive integers/],
      [['--qrels', QRELS, '--run', RUN], /at least one -m/],
      [['--qrels', QRELS, '--run', RUN, '-m', 'recall.10', '-M', '0'], /-M expects an integer >= 1, got '0'/],
      [['--qrels', QRELS, '-m', 'recall.10'], /takes --qrels FILE and --run FILE/],
      [['--qrels', file('other.qrels', 'zz 0 a 1\n'), '--run', RUN, '-m', 'recall.10'], /no queries with both results and relevance info/],
      [['--qrels', QRELS, '--run', file('dup.run', 'q1 Q0 d1 1 5 t\nq1 Q0 d1 2 4 t\n'), '-m', 'recall.10'], /duplicate docno 'd1'/],
    ];
    for (const [args, message] of cases) {
      const r = await crops(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('suggests eval for a mistyped command', async () => {
    let err = '';
    expect(await main(['evl'], { out: () => {}, err: (s) => (err += s) })).toBe(2);
    expect(err).toMatch(/did you mean 'eval'/);
  });

  it.runIf(RUN_PYTREC)('agrees with pytrec_eval per query', async () => {
    expect(PYTREC_PYTHON, PYTREC_MISSING).toBeDefined();
    const measures = ['recall.2,100', 'ndcg_cut.4', 'P.2', 'map', 'map_cut.3', 'recip_rank'];
    const ours = await crops('--qrels', QRELS, '--run', RUN, ...measures.flatMap((m) => ['-m', m]), '-q');
    const script = `
import json, sys, pytrec_eval
def read(path, cols):
    out = {}
    for line in open(path):
        f = line.split()
        if f: out.setdefault(f[0], {})[f[2]] = cols(f)
    return out
qrels = read(sys.argv[1], lambda f: int(f[3]))
run = read(sys.argv[2], lambda f: float(f[4]))
res = pytrec_eval.RelevanceEvaluator(qrels, {'recall.2,100', 'ndcg_cut.4', 'P.2', 'map', 'map_cut.3', 'recip_rank'}).evaluate(run)
print(json.dumps(res))`;
    const py = spawnSync(PYTREC_PYTHON!, ['-c', script, QRELS, RUN], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const ref = JSON.parse(py.stdout) as Record<string, Record<string, number>>;
    const got = rows(ours.out).filter(([, qid]) => qid !== 'all');
    expect(got.length).toBe(14); // 7 values for each of q1 and q2
    for (const [name, qid, value] of got) expect(value, `${name} ${qid}`).toBe(formatFixed4(ref[qid!]![name!]!));
  });
});
