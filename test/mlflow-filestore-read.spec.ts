import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import descriptor, { MlflowTracker } from '../plugins/tracker/mlflow-tracker.ts';
import type { RunRef } from '../src/extension-points/tracker.ts';
import { REPO_ROOT, describeFailure, mlflowPython, runProcess, type PythonResult } from './support/mlflow-python.ts';

/** What test/support/mlflow-read-back.py prints. */
interface ReadBack {
  experiment_id: string;
  runs: Array<{
    run_id: string;
    run_name: string;
    status: string;
    end_time: number | null;
    params: Record<string, string>;
    tags: Record<string, string>;
    /** non-finite values arrive as 'nan', 'inf', '-inf' */
    metrics: Record<string, number | string>;
    history: Record<string, Array<[number, number | string, number]>>;
    artifacts: Record<string, string>;
  }>;
  children: Record<string, string[]>;
}

const EXPERIMENT = 'crops read-back';
const LOSS = [2.5, 1 / 3, 0.125, 0.0625, 1e-7];
const TREC = 'q1 Q0 item-7 1 0.93 crops\nq1 Q0 item-2 2 0.81 crops\n';

let python: string;
let dir: string;
let parent: RunRef;
let good: RunRef;
let bad: RunRef;

beforeAll(async () => {
  python = await mlflowPython();
  dir = await mkdtemp(join(tmpdir(), 'crops-mlflow-read-'));
  const tracker = new MlflowTracker(descriptor.schema.parse({ trackingUri: join(dir, 'mlruns'), flushEvery: 3 }));
  parent = await tracker.startRun({ experimentName: EXPERIMENT, runName: 'table3', params: { experiment: 'table3-ablation' }, tags: { 'crops.kind': 'sweep' } });
  good = await tracker.startRun({
    experimentName: EXPERIMENT,
    runName: 'labelScheme=hla,seed=1',
    parent,
    params: { seed: '1', 'loss.params/temperature': '0.05' },
    tags: { 'crops.configHash': 'hash-good' },
  });
  bad = await tracker.startRun({ experimentName: EXPERIMENT, runName: 'labelScheme=binary,seed=1', parent, params: { seed: '1', 'labelScheme.use': 'binary' } });
  LOSS.forEach((value, i) => tracker.logMetrics(good, [{ key: 'train/loss', value, step: i * 10, timestamp: 1_700_000_000_000 + i }]));
  tracker.logMetrics(good, [{ key: 'recall_100/ct', value: 0.4375, step: 40 }]);
  for (let step = 0; step < 3; step++) tracker.logMetrics(bad, [{ key: 'train/loss', value: 9 - step, step }]);
  tracker.logMetrics(bad, [{ key: 'train/grad_norm', value: Infinity, step: 0 }, { key: 'train/grad_norm', value: NaN, step: 1 }]);
  await tracker.logArtifact(good, 'trec/ct.run', TREC);
  await tracker.logArtifact(good, 'config.yaml', 'seed: 1\n');
  await tracker.endRun(good, 'FINISHED');
  await tracker.endRun(bad, 'FAILED');
  await tracker.endRun(parent, 'FINISHED');
}, 1_200_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function readBack(trackingUri: string, artifacts: boolean): Promise<{ data: ReadBack; run: PythonResult }> {
  const env = { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true', MLFLOW_TRACKING_URI: trackingUri };
  const args = [join(REPO_ROOT, 'test/support/mlflow-read-back.py'), EXPERIMENT, ...(artifacts ? ['--artifacts'] : [])];
  const run = await runProcess(python, args, { env, cwd: dir });
  if (run.code !== 0) throw new Error(describeFailure('mlflow-read-back.py', run));
  try {
    return { data: JSON.parse(run.stdout) as ReadBack, run };
  } catch {
    throw new Error(describeFailure('mlflow-read-back.py printed no JSON;', run));
  }
}

/** The checks shared by the file store and the migrated database. */
function expectSameRuns(data: ReadBack, stderr: string): void {
  const byId = new Map(data.runs.map((r) => [r.run_id, r]));
  expect([...byId.keys()].sort(), stderr).toEqual([parent.runId, good.runId, bad.runId].sort());
  const p = byId.get(parent.runId)!;
  const g = byId.get(good.runId)!;
  const b = byId.get(bad.runId)!;

  expect([p.status, g.status, b.status], stderr).toEqual(['FINISHED', 'FINISHED', 'FAILED']);
  expect([p.run_name, g.run_name, b.run_name]).toEqual(['table3', 'labelScheme=hla,seed=1', 'labelScheme=binary,seed=1']);
  expect(p.tags['mlflow.parentRunId']).toBeUndefined();
  expect(g.tags['mlflow.parentRunId']).toBe(parent.runId);
  expect(b.tags['mlflow.parentRunId']).toBe(parent.runId);
  expect(data.children[parent.runId], stderr).toEqual([good.runId, bad.runId].sort());

  expect(p.params).toEqual({ experiment: 'table3-ablation' });
  expect(g.params).toEqual({ seed: '1', 'loss.params/temperature': '0.05' });
  expect(b.params).toEqual({ seed: '1', 'labelScheme.use': 'binary' });
  expect(g.tags).toMatchObject({ 'crops.configHash': 'hash-good', 'mlflow.runName': 'labelScheme=hla,seed=1', 'mlflow.source.type': 'LOCAL' });
  expect(g.tags['mlflow.user']).toBeTruthy();

  expect(g.metrics).toEqual({ 'train/loss': LOSS.at(-1), 'recall_100/ct': 0.4375 });
  expect(g.history['train/loss']).toEqual(LOSS.map((v, i) => [i * 10, v, 1_700_000_000_000 + i]));
  expect(b.history['train/loss']!.map(([step, value]) => [step, value])).toEqual([[0, 9], [1, 8], [2, 7]]);
  expect(b.metrics['train/loss']).toBe(7);
  expect(g.end_time).toBeGreaterThan(0);
}

describe('the MLflow Python client reads our file store', () => {
  it('finds the parent and both children with their params, tags, metric histories, statuses and artifacts', async () => {
    const { data, run } = await readBack(pathToFileURL(join(dir, 'mlruns')).href, true);
    expectSameRuns(data, run.stderr);
    const g = data.runs.find((r) => r.run_id === good.runId)!;
    expect(g.artifacts).toEqual({ 'trec/ct.run': TREC, 'config.yaml': 'seed: 1\n' });
    const b = data.runs.find((r) => r.run_id === bad.runId)!;
    expect(b.history['train/grad_norm']!.map(([step, value]) => [step, value])).toEqual([[0, 'inf'], [1, 'nan']]);
  }, 180_000);

  it('converts with `mlflow migrate-filestore` when the installed MLflow has it', async (ctx) => {
    const help = await runProcess(python, ['-m', 'mlflow', 'migrate-filestore', '--help'], { cwd: dir });
    if (help.code !== 0 || !help.stdout.includes('--source')) {
      ctx.skip(`this MLflow has no migrate-filestore command:\n${help.stderr.slice(-500)}`);
      return;
    }
    expect(help.stdout, 'migrate-filestore --help no longer documents --target').toContain('--target');
    const db = join(dir, 'migrated.db');
    const args = ['-m', 'mlflow', 'migrate-filestore', '--source', dir, '--target', `sqlite:///${db}`];
    if (help.stdout.includes('--no-progress')) args.push('--no-progress');
    const migrate = await runProcess(python, args, { cwd: dir, env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' } });
    expect(migrate.code, describeFailure('mlflow migrate-filestore', migrate)).toBe(0);
    const { data, run } = await readBack(`sqlite:///${db}`, false);
    expectSameRuns(data, run.stderr);
  }, 300_000);
});
