import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyntheticWorldDataset, SyntheticWorldParams } from '../plugins/dataset/synthetic-world-dataset.ts';
import { evaluateRun } from '../src/eval/trec-eval.ts';
import { parseQrels, parseRun } from '../src/eval/trec-files.ts';
import { MlflowFileStore } from '../src/tracking/file-store.ts';
import { runCli } from './support/cli.ts';

const QUICKSTART = resolve('experiments/quickstart.yaml');
const TRIALS = ['labelScheme=binary,loss=info-nce', 'labelScheme=hla,loss=h-info-nce'];

/** Reads `trial  v1  v2  v3  status` rows of the printed results table. */
function tableRows(stdout: string): Map<string, { values: number[]; status: string }> {
  const rows = new Map<string, { values: number[]; status: string }>();
  for (const line of stdout.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (!TRIALS.includes(parts[0]!)) continue;
    rows.set(parts[0]!, { values: parts.slice(1, -1).map((v) => Number(v.replace('*', ''))), status: parts.at(-1)! });
  }
  return rows;
}

describe('quickstart, end to end through the real CLI', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'crops-e2e-'));
  let firstRows: ReturnType<typeof tableRows>;

  it('trains both trials, prints the table and writes MLflow runs that read back', { timeout: 200_000 }, async () => {
    const res = runCli(['run', QUICKSTART], { cwd, timeoutMs: 180_000 });
    expect(res.stderr).not.toMatch(/FAILED/);
    expect(res.status).toBe(0);
    firstRows = tableRows(res.stdout);
    expect([...firstRows.keys()]).toEqual(TRIALS);
    expect(res.stdout).toContain(`runs written to ${join(cwd, 'mlruns')}`);
    expect(res.stdout).toMatch(/recall@100\/ct\s+recall@100\/qr\s+ndcg@4\/judged/);

    const world = new SyntheticWorldDataset(SyntheticWorldParams.parse({ preset: 'tiny' }));
    const describedShares = new Map((await world.describe()).map((d) => [d.key, Number(d.value)]));
    const store = new MlflowFileStore(join(cwd, 'mlruns'));
    const runs = await store.listRuns('quickstart');
    expect(runs).toHaveLength(3);
    const parent = runs.find((r) => r.tags['crops.role'] === 'sweep')!;
    expect(parent.status).toBe('FINISHED');
    const children = runs.filter((r) => r !== parent);
    expect(children.map((r) => r.runName).sort()).toEqual([...TRIALS].sort());
    for (const child of children) {
      expect(child.status).toBe('FINISHED');
      expect(child.tags['mlflow.parentRunId']).toBe(parent.runId);
      expect(child.tags['crops.configHash']).toMatch(/^[0-9a-f]{16}$/);
      expect(child.params['dataset.use']).toBe('synthetic-world');
      expect(child.params['train.steps']).toBe('150');
      expect(Number(child.params['data.queries'])).toBeGreaterThan(100);
      // how much of each test set lies inside the bubble, as `crops world describe` counts it
      for (const set of ['ct', 'qr', 'judged']) {
        expect(Number(child.params[`testset.${set}.positives`]), set).toBeGreaterThan(0);
        expect(Number(child.params[`testset.${set}.never_shown_share`]).toFixed(4), set).toBe(describedShares.get(`${set}NeverShownShare`)!.toFixed(4));
        expect(Number(child.params[`testset.${set}.never_shown_anywhere_share`]).toFixed(4), set).toBe(describedShares.get(`${set}NeverShownAnywhereShare`)!.toFixed(4));
      }
      // the table prints what was logged, in percent
      const printed = firstRows.get(child.runName)!.values;
      const logged = ['recall_at_100/ct', 'recall_at_100/qr', 'ndcg_at_4/judged'].map((k) => child.metrics[k]!.value);
      for (const v of logged) expect(v).toBeGreaterThan(0.05);
      expect(printed).toEqual(logged.map((v) => Number((v * 100).toFixed(2))));
      const history = await store.metricHistory(child, 'train/loss');
      expect(history.length).toBeGreaterThanOrEqual(15);
      expect(history.at(-1)!.value).toBeLessThan(history[0]!.value);
      const artifacts = join(cwd, 'mlruns', child.experimentId, child.runId, 'artifacts');
      expect(readFileSync(join(artifacts, 'config.yaml'), 'utf8')).toContain('use: synthetic-world');
      expect(readFileSync(join(artifacts, 'trec', 'ct.run'), 'utf8')).toMatch(/^0 Q0 \d+ 1 \S+ /);
      expect(existsSync(join(artifacts, 'trec', 'judged.qrels'))).toBe(true);
      // the judged set is ranked over the whole corpus against complete qrels: the files re-score to the logged value
      const judgedRun = parseRun(readFileSync(join(artifacts, 'trec', 'judged.run'), 'utf8'));
      expect(Math.min(...[...judgedRun.values()].map((docs) => docs.length))).toBeGreaterThan(100);
      const rescored = evaluateRun(judgedRun, parseQrels(readFileSync(join(artifacts, 'trec', 'judged.qrels'), 'utf8')), ['ndcg_cut.4'], { complete: true });
      expect(rescored.all['ndcg_cut_4']).toBeCloseTo(child.metrics['ndcg_at_4/judged']!.value, 4);
    }
  });

  it('skips finished trials on a re-run, reports the same numbers and adds no sweep run', { timeout: 90_000 }, async () => {
    const store = new MlflowFileStore(join(cwd, 'mlruns'));
    const before = await store.listRuns('quickstart');
    const parent = before.find((r) => r.tags['crops.role'] === 'sweep')!;
    const res = runCli(['run', QUICKSTART], { cwd, timeoutMs: 60_000 });
    expect(res.status).toBe(0);
    expect(res.stderr.match(/skipped: finished before/g)).toHaveLength(2);
    const rows = tableRows(res.stdout);
    for (const t of TRIALS) {
      expect(rows.get(t)!.status).toBe('skipped');
      expect(rows.get(t)!.values).toEqual(firstRows.get(t)!.values);
    }
    // nothing ran, so nothing new is recorded: the existing sweep run is named instead
    expect((await store.listRuns('quickstart')).map((r) => r.runId).sort()).toEqual(before.map((r) => r.runId).sort());
    expect(res.stdout).toContain(`no new sweep run (existing sweep run ${parent.runId}`);
  });

  it('reproduces a trial exactly from its seed when forced to re-run', { timeout: 150_000 }, () => {
    const res = runCli(['run', QUICKSTART, '--force', '--only', 'hla'], { cwd, timeoutMs: 120_000 });
    expect(res.status).toBe(0);
    const rows = tableRows(res.stdout);
    expect([...rows.keys()]).toEqual([TRIALS[1]]);
    expect(rows.get(TRIALS[1]!)).toEqual({ values: firstRows.get(TRIALS[1]!)!.values, status: 'finished' });
  });
});
