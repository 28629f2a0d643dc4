import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';

const SCIFACT = resolve('../shared/data/scifact');
const EXPERIMENT = resolve('experiments/scifact/bm25.yaml');
/** Pyserini's BM25 flat figure on SciFact test (the data README's reference table) */
const PYSERINI_NDCG10 = 0.679;

describe.runIf(existsSync(SCIFACT))('SciFact BM25 through the real CLI', () => {
  it('gives nDCG@10 within 0.01 of Pyserini, with BEIR ids in the TREC files that trec_eval-style scoring agrees with', { timeout: 120_000 }, () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-scifact-'));
    // the experiment names the data relative to the repository root
    const res = runCli(['run', EXPERIMENT, '--set', `dataset.params.dir=${SCIFACT}`], { cwd, timeoutMs: 110_000 });
    expect(res.stderr).not.toMatch(/FAILED/);
    expect(res.status).toBe(0);
    const row = res.stdout.split('\n').find((l) => l.trim().startsWith('base'))!;
    const [ndcg, recall] = row.trim().split(/\s+/).slice(1, 3).map((v) => Number(v.replace('*', '')) / 100);
    expect(Math.abs(ndcg! - PYSERINI_NDCG10)).toBeLessThanOrEqual(0.01);
    expect(recall).toBeGreaterThan(0.9);

    const runDir = readdirSync(join(cwd, 'mlruns'), { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith(join('trec', 'test.run')))!;
    const run = readFileSync(join(cwd, 'mlruns', runDir), 'utf8');
    // SciFact's own claim and abstract ids: claim 1's first hit and the judged abstracts
    expect(run.split('\n')[0]).toMatch(/^1 Q0 \d+ 1 \S+ base$/);
    const docIds = new Set(readFileSync(join(SCIFACT, 'corpus.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { _id: string })._id));
    for (const line of run.trim().split('\n').slice(0, 500)) expect(docIds.has(line.split(' ')[2]!)).toBe(true);

    // the official qrels file, unchanged apart from the column layout, scores the run to the printed figure
    const qrels = readFileSync(join(SCIFACT, 'qrels', 'test.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => {
      const [q, d, s] = l.split('\t');
      return `${q} 0 ${d} ${s}`;
    });
    const qrelsFile = join(cwd, 'test.qrels');
    writeFileSync(qrelsFile, qrels.join('\n') + '\n');
    const runFile = join(cwd, 'test.run');
    writeFileSync(runFile, run);
    const ev = runCli(['eval', '--qrels', qrelsFile, '--run', runFile, '-m', 'ndcg_cut.10'], { cwd });
    expect(ev.status).toBe(0);
    const all = Number(ev.stdout.split('\n').find((l) => l.startsWith('ndcg_cut_10'))!.trim().split(/\s+/).at(-1));
    expect(all).toBeCloseTo(ndcg!, 4);
  });
});
