import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRef } from '../extension-points/tracker.ts';
import { FileSweepReader } from '../tracking/file-sweep-reader.ts';
import { MlflowFileStore } from '../tracking/file-store.ts';
import { SWEEP_MANIFEST, latestSweepOf, type SweepManifest } from '../tracking/sweep-reader.ts';
import { buildSweepReport, collectSweepTrials, saveReport } from './sweep-report.ts';

let dir: string;
let store: MlflowFileStore;
let reader: FileSweepReader;
let experimentId: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crops-report-'));
  store = new MlflowFileStore(join(dir, 'mlruns'));
  reader = new FileSweepReader(store.root);
  experimentId = await store.getOrCreateExperiment('exp');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

let clock = 1_000;
async function sweepRun(sweepHash?: string, file?: string): Promise<RunRef> {
  const tags = { 'crops.role': 'sweep', ...(sweepHash ? { 'crops.sweepHash': sweepHash } : {}), ...(file ? { 'crops.experimentFile': file } : {}) };
  return store.createRun({ experimentId, runName: 'exp (sweep)', userId: 'u', startTime: clock++, tags });
}

/** A trial run as the runner leaves it: tags, the eval.metrics param, final metrics and a loss curve. */
async function trialRun(parent: RunRef, id: string, seed: number, ct: number, status: 'FINISHED' | 'FAILED' = 'FINISHED'): Promise<RunRef> {
  const run = await store.createRun({
    experimentId,
    runName: id,
    userId: 'u',
    startTime: clock++,
    tags: { 'mlflow.parentRunId': parent.runId, 'crops.trialId': id, 'crops.seed': String(seed) },
    params: { 'eval.metrics': '["recall@100/ct"]' },
  });
  if (status === 'FINISHED') {
    await store.appendMetrics(run, [
      { key: 'train/loss', value: 2, step: 0, timestamp: 1 },
      { key: 'train/loss', value: 1, step: 9, timestamp: 2 },
      // an early value at a later timestamp must not win over the final step's value
      { key: 'recall_at_100/ct', value: ct, step: 10, timestamp: 3 },
      { key: 'recall_at_100/ct', value: 0.01, step: 5, timestamp: 4 },
    ]);
  }
  await store.writeArtifact(run, 'config.yaml', 'loss: { use: info-nce }\n');
  await store.endRun(run, status);
  return run;
}

describe('sweep reports from an MLflow file store', () => {
  it('reads the child runs of a sweep without a manifest and leaves unfinished trials out', async () => {
    const parent = await sweepRun();
    await trialRun(parent, 'a=1,seed=1', 1, 0.5);
    await trialRun(parent, 'a=1,seed=2', 2, 0.7);
    await trialRun(parent, 'a=2,seed=1', 1, 0, 'FAILED');
    await trialRun(await sweepRun(), 'a=3,seed=1', 1, 0.9);
    const sweep = (await reader.getRun(parent.runId))!;
    const trials = await collectSweepTrials(reader, sweep);
    expect(trials.finished.map((r) => r.tags['crops.trialId'])).toEqual(['a=1,seed=1', 'a=1,seed=2']);
    expect(trials.leftOut).toEqual([{ id: 'a=2,seed=1', status: 'FAILED' }]);

    const report = await buildSweepReport(reader, sweep, { title: 'exp', charts: false });
    expect(report.table.metrics).toEqual(['recall@100/ct']);
    expect(report.table.rows.map((r) => [r.group, r.cells[0]!.summary!.mean])).toEqual([['a=1', 0.6]]);
    expect(report.files.get('report.md')).toContain('Left out (not finished): a=2,seed=1 (failed).');
    expect([...report.files.keys()]).toEqual(['report.md', 'report.tex', 'report.csv', 'report.html']);
  });

  it("finds a file's own latest sweep when several files share the experiment", async () => {
    const tableA = await sweepRun('aaaa');
    const tableB = await sweepRun('bbbb');
    const tableAAgain = await sweepRun('aaaa');
    const tableBAgain = await sweepRun('bbbb');
    expect((await reader.latestSweep('exp'))!.runId).toBe(tableBAgain.runId);
    expect((await reader.latestSweep('exp', 'aaaa'))!.runId).toBe(tableAAgain.runId);
    expect((await reader.latestSweep('exp', 'bbbb'))!.runId).toBe(tableBAgain.runId);
    expect(await reader.latestSweep('exp', 'cccc')).toBeUndefined();
    expect([tableA.runId, tableB.runId]).not.toContain(tableAAgain.runId);
  });

  it("never takes another file's sweep for a file that shares the experiment", async () => {
    const table = await sweepRun('aaaa', 'experiments/paper/table3-sources.yaml');
    const mapBeforeEdit = await sweepRun('bbbb', './experiments/paper/sensitivity-bubble.yaml');
    await sweepRun('cccc', 'experiments/paper/table2-baselines.yaml');
    const file = (name: string) => `/home/me/crops/experiments/paper/${name}.yaml`;
    // the edited map (new trials, new hash) still finds its own earlier sweep, typed from another folder
    expect((await latestSweepOf(reader, { name: 'exp', hash: 'dddd', file: file('sensitivity-bubble') }))!.runId).toBe(mapBeforeEdit.runId);
    expect((await latestSweepOf(reader, { name: 'exp', hash: 'aaaa', file: file('table3-sources') }))!.runId).toBe(table.runId);
    // a map never run has no sweep, though the experiment has three
    expect(await latestSweepOf(reader, { name: 'exp', hash: 'eeee', file: file('sensitivity-llm') })).toBeUndefined();
  });

  it('names a trial reused from another file of the experiment by this sweep\'s trial id', async () => {
    const table = await sweepRun('aaaa');
    const tableRun = await trialRun(table, 'p0-hla,seed=1', 1, 0.5);
    const map = await sweepRun('bbbb');
    const own = await trialRun(map, 'p0-hla,rate=0.5,seed=1', 1, 0.4);
    const manifest: SweepManifest = {
      experiment: 'exp',
      file: 'map.yaml',
      trials: [
        { id: 'p0-hla,rate=0.3,seed=1', seed: 1, status: 'SKIPPED', runId: tableRun.runId },
        { id: 'p0-hla,rate=0.5,seed=1', seed: 1, status: 'FINISHED', runId: own.runId },
      ],
    };
    await store.writeArtifact(map, SWEEP_MANIFEST, JSON.stringify(manifest));
    const trials = await collectSweepTrials(reader, (await reader.getRun(map.runId))!);
    expect(trials.finished.map((r) => [r.tags['crops.trialId'], r.runId])).toEqual([
      ['p0-hla,rate=0.3,seed=1', tableRun.runId],
      ['p0-hla,rate=0.5,seed=1', own.runId],
    ]);
    // the run itself keeps the id it was trained under
    expect((await reader.getRun(tableRun.runId))!.tags['crops.trialId']).toBe('p0-hla,seed=1');
  });

  it('follows the manifest to trials reused from an earlier sweep', async () => {
    const first = await sweepRun();
    const reused = await trialRun(first, 'a=1,seed=1', 1, 0.5);
    const second = await sweepRun();
    const fresh = await trialRun(second, 'a=1,seed=2', 2, 0.9);
    const manifest: SweepManifest = {
      experiment: 'exp',
      file: 'exp.yaml',
      report: { labels: { 'a=1': 'Method A' } },
      trials: [
        { id: 'a=1,seed=1', seed: 1, status: 'SKIPPED', runId: reused.runId },
        { id: 'a=1,seed=2', seed: 2, status: 'FINISHED', runId: fresh.runId },
      ],
    };
    await store.writeArtifact(second, SWEEP_MANIFEST, JSON.stringify(manifest));
    expect((await reader.latestSweep('exp'))!.runId).toBe(second.runId);

    const sweep = (await reader.getRun(second.runId))!;
    const report = await buildSweepReport(reader, sweep, { title: 'exp', charts: true });
    const row = report.table.rows[0]!;
    expect(row.label).toBe('Method A');
    expect(row.runs.map((r) => r.runId)).toEqual([reused.runId, fresh.runId]);
    expect(row.cells[0]!.summary!.mean).toBeCloseTo(0.7, 12);
    expect(row.cells[0]!.summary!.std).toBeCloseTo(Math.sqrt(0.08), 12);

    const bars = report.files.get('charts/recall_at_100-ct.svg')!;
    expect(bars).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(bars).toContain('Method A');
    expect(bars).toContain("aria-label=\"X-axis titled 'recall@100/ct (%)' for a linear scale");
    expect(report.files.get('charts/train-loss.svg')).toContain('a=1,seed=2');
    // no run logged a temperature, so there is no chart for it
    expect(report.files.has('charts/train-temperature.svg')).toBe(false);
    // the HTML page carries the same charts inline and each trial's resolved config
    const html = report.files.get('report.html')!;
    expect(html).toContain(bars);
    expect(html).toContain('<summary>a=1,seed=2</summary><pre>loss: { use: info-nce }\n</pre>');

    const out = join(dir, 'out');
    await saveReport(report, out, reader, sweep);
    expect(await readFile(join(out, 'report.csv'), 'utf8')).toBe(report.files.get('report.csv'));
    expect(await reader.readArtifact(sweep, 'report/report.tex')).toBe(report.files.get('report.tex'));
    expect(await reader.readArtifact(sweep, 'report/charts/train-loss.svg')).toBe(report.files.get('charts/train-loss.svg'));
  });

  it('finds the store and run id of a run directory', async () => {
    const parent = await sweepRun();
    const found = await FileSweepReader.forRunDirectory(join(store.root, experimentId, parent.runId));
    expect(found?.runId).toBe(parent.runId);
    expect(found?.reader.location).toBe(store.root);
    expect(await FileSweepReader.forRunDirectory(join(store.root, experimentId))).toBeUndefined();
  });

  it('refuses a sweep with no finished trial', async () => {
    const parent = await sweepRun();
    await trialRun(parent, 'a=1', 1, 0, 'FAILED');
    await expect(buildSweepReport(reader, (await reader.getRun(parent.runId))!, { title: 'exp', charts: false })).rejects.toThrow(
      /has no finished trial to report \(a=1: FAILED\)/,
    );
  });
});
