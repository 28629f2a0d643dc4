import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowFileStore, type StoredRun } from '../src/tracking/file-store.ts';
import { runCli } from './support/cli.ts';

// a world and towers small enough for several CLI runs in seconds; model selection on a dev split
const BASE = `name: selection
dataset: { use: synthetic-world, params: { preset: tiny, items: 600, users: 200, sessionsPerDay: 300 } }
encoder: { use: hash-mlp, params: { buckets: 4096, embDim: 16, hidden: [32], dim: 16 } }
sampler: { use: in-batch, params: { candidatesPerQuery: 4 } }
labelScheme: hla
loss: h-info-nce
seeds: [1]
eval: { metrics: [recall@100/ct, recall@100/qr, ndcg@4/judged, recall@100/dev] }
`;

/** Runs `yaml` through the real CLI in a fresh folder and returns its one trial run. */
async function runOnce(yaml: string): Promise<{ cwd: string; trial: StoredRun; store: MlflowFileStore; stdout: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'crops-e2e-select-'));
  writeFileSync(join(cwd, 'selection.yaml'), yaml);
  const res = runCli(['run', 'selection.yaml', '--quiet'], { cwd, timeoutMs: 180_000 });
  expect(res.stderr).not.toMatch(/FAILED/);
  expect(res.status).toBe(0);
  const store = new MlflowFileStore(join(cwd, 'mlruns'));
  const runs = await store.listRuns('selection');
  const trials = runs.filter((r) => r.tags['crops.role'] !== 'sweep');
  expect(trials).toHaveLength(1);
  return { cwd, trial: trials[0]!, store, stdout: res.stdout };
}

/** The latest value of each metric of a run. */
function values(run: StoredRun): Record<string, number> {
  return Object.fromEntries(Object.entries(run.metrics).map(([k, m]) => [k, m.value]));
}

describe('model selection, end to end through the real CLI', () => {
  // minDelta 1 cannot be beaten: the first dev score is the best and patience 1 stops at the second
  const stopping = `${BASE}train: { steps: 40, select: { metric: recall@100/dev, every: 5, patience: 1, minDelta: 1 } }\n`;
  let first: Awaited<ReturnType<typeof runOnce>>;

  it('stops early, logs the dev curve and the chosen step, and tests the best weights', async () => {
    first = await runOnce(stopping);
    const { trial, store } = first;
    expect(first.stdout).toContain('early stopping on the dev split ended the trained trial before the train.steps cap (best dev steps 5)');
    const curve = await store.metricHistory(trial, 'train/dev_metric');
    expect(curve.map((p) => p.step)).toEqual([5, 10]);
    expect(values(trial)['train/best_step']).toBe(5);
    expect(values(trial)['train/steps_run']).toBe(10);
    expect(values(trial)['train/stopped_early']).toBe(1);
    expect(trial.params['data.dev.origin']).toBe('train-day');
    expect(Number(trial.params['data.dev.queries'])).toBeGreaterThan(10);
    // the weights moved between the two scores, so testing the last ones would show
    expect(curve[1]!.value).not.toBe(curve[0]!.value);
    // the final evaluation of the dev set scores the restored weights: the value of step 5
    expect(values(trial)['recall_at_100/dev']).toBeCloseTo(curve[0]!.value, 12);
    expect(values(trial)['train/best_dev_metric']).toBeCloseTo(curve[0]!.value, 12);
  }, 240_000);

  it('tests exactly what a run that stopped at the chosen step tests', async () => {
    const short = await runOnce(`${BASE}train: { steps: 5, select: { metric: recall@100/dev, every: 5, patience: 1 } }\n`);
    for (const key of ['recall_at_100/ct', 'recall_at_100/qr', 'ndcg_at_4/judged', 'recall_at_100/dev']) {
      expect(values(first.trial)[key], key).toBe(values(short.trial)[key]);
    }
  }, 240_000);

  it('reports how training ended from worker processes too', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-e2e-select-parallel-'));
    writeFileSync(join(cwd, 'selection.yaml'), stopping);
    const res = runCli(['run', 'selection.yaml', '--quiet', '--set', 'seeds=[1,2]', '--parallel', '2'], { cwd, timeoutMs: 180_000 });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/early stopping on the dev split ended all 2 trained trials before the train\.steps cap \(best dev steps 5\)/);
  }, 240_000);

  it('reproduces under the same seed', async () => {
    const again = await runOnce(stopping);
    const { 'train/ms_per_step': _a, ...mine } = values(again.trial);
    const { 'train/ms_per_step': _b, ...theirs } = values(first.trial);
    expect(mine).toEqual(theirs);
    expect(await again.store.metricHistory(again.trial, 'train/dev_metric')).toEqual(
      expect.arrayContaining((await first.store.metricHistory(first.trial, 'train/dev_metric')).map((p) => expect.objectContaining({ step: p.step, value: p.value }))),
    );
  }, 240_000);

  it('charts the dev curve in crops report', () => {
    const res = runCli(['report', 'selection.yaml'], { cwd: first.cwd });
    expect(res.status).toBe(0);
    expect(existsSync(join(first.cwd, 'reports', 'selection', 'charts', 'train-dev_metric.svg'))).toBe(true);
    const markdown = readFileSync(join(first.cwd, 'reports', 'selection', 'report.md'), 'utf8');
    expect(markdown).toContain('Converged: early stopping on the dev score ended every run before its step cap (best dev steps 5).');
    expect(markdown).toMatch(/\| base \| 1 \| 10 \(10\) \| 5 \(5\) \| 0 \|/);
  }, 120_000);

  it('reports a run that the step cap stopped as not converged', async () => {
    // patience 9 outlasts the 10 steps scored every 5: the cap ends the run, not the dev score
    const capped = await runOnce(`${BASE}train: { steps: 10, select: { metric: recall@100/dev, every: 5, patience: 9 } }\n`);
    expect(values(capped.trial)['train/stopped_early']).toBe(0);
    const capLine = /not converged: 1 of 1 trained trial ran all its train\.steps without early stopping \(base\), so its numbers are at that budget/;
    expect(capped.stdout).toMatch(capLine);
    // a re-run that only finds the finished trial says the same, from what the run recorded
    const resumed = runCli(['run', 'selection.yaml', '--quiet'], { cwd: capped.cwd, timeoutMs: 120_000 });
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toContain('skipped');
    expect(resumed.stdout).toMatch(/not converged: 1 of 1 trial \(none trained in this sweep\) ran all its train\.steps without early stopping \(base\)/);
    const res = runCli(['report', 'selection.yaml'], { cwd: capped.cwd });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/Not converged: .*: base \(1 of 1 run, cap 10; best dev steps (5|10)\)\./);
    const html = readFileSync(join(capped.cwd, 'reports', 'selection', 'report.html'), 'utf8');
    expect(html).toContain('Training length under dev selection');
    expect(html).toContain('Not converged');
  }, 240_000);
});
