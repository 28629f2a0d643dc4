import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.ts';
import { PER_QUERY_ARTIFACT, type PerQueryFile } from '../eval/per-query-file.ts';
import { FileSweepReader } from '../tracking/file-sweep-reader.ts';
import { MlflowFileStore } from '../tracking/file-store.ts';
import { SWEEP_MANIFEST, type SweepManifest } from '../tracking/sweep-reader.ts';
import { axisValueOf, withoutAxis } from './sensitivity.ts';
import { buildSweepReport } from './sweep-report.ts';

/**
 * A planted sensitivity map through the report's own path (trial runs with per-query artifacts in
 * an MLflow file store): at each value of a world knob the trials share one test set; `grows`
 * helps in proportion to the knob (nothing at 0), `hurts` costs the same at every value, `null`
 * never differs from the baseline.
 */
const QUERIES = 150;
const KNOB = ['0', '0.3', '0.6'];
const EFFECT: Record<string, (knob: number) => number> = { base: () => 0, grows: (k) => 0.1 * k, hurts: () => -0.04, null: () => 0 };

function values(knob: string, method: string, seed: number): number[] {
  const difficulty = new Rng(`difficulty|${knob}`);
  const noise = new Rng(`noise|${knob}|${method}|${seed}`);
  return Array.from({ length: QUERIES }, () => Math.min(1, Math.max(0, 0.2 + 0.6 * difficulty.next() + EFFECT[method]!(Number(knob)) + 0.15 * (noise.next() - 0.5))));
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crops-sens-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sweepReport(report: SweepManifest['report'], charts = false) {
  const store = new MlflowFileStore(join(dir, 'mlruns'));
  const experimentId = await store.getOrCreateExperiment('exp');
  let clock = 1;
  const parent = await store.createRun({ experimentId, runName: 'exp (sweep)', userId: 'u', startTime: clock++, tags: { 'crops.role': 'sweep' } });
  const trials: SweepManifest['trials'] = [];
  for (const knob of KNOB) {
    for (const method of Object.keys(EFFECT)) {
      for (const seed of [1, 2]) {
        const id = `dataset.params.knob=${knob},method=${method},seed=${seed}`;
        const v = values(knob, method, seed);
        const run = await store.createRun({ experimentId, runName: id, userId: 'u', startTime: clock++, tags: { 'mlflow.parentRunId': parent.runId, 'crops.trialId': id, 'crops.seed': String(seed) }, params: { 'eval.metrics': '["recall@100/ct"]' } });
        await store.appendMetrics(run, [{ key: 'recall_at_100/ct', value: v.reduce((a, b) => a + b, 0) / v.length, step: 1, timestamp: 1 }]);
        const file: PerQueryFile = { version: 1, sets: { ct: { fingerprint: `world-${knob}`, qids: v.map((_, i) => `q${i}`) } }, values: { 'recall@100/ct': v } };
        await store.writeArtifact(run, PER_QUERY_ARTIFACT, JSON.stringify(file));
        await store.endRun(run, 'FINISHED');
        trials.push({ id, seed, status: 'FINISHED', runId: run.runId });
      }
    }
  }
  await store.writeArtifact(parent, SWEEP_MANIFEST, JSON.stringify({ experiment: 'exp', file: 'exp.yaml', report, trials } satisfies SweepManifest));
  const reader = new FileSweepReader(store.root);
  return buildSweepReport(reader, (await reader.getRun(parent.runId))!, { title: 'exp', charts });
}

describe('sensitivity map', () => {
  it('reads the axis value out of a trial id and takes it out', () => {
    expect(axisValueOf('dataset.params.knob=0.3,method=a,seed=1', 'dataset.params.knob')).toBe('0.3');
    expect(axisValueOf('method=a,dataset.params.knob=0.3', 'dataset.params.knob')).toBe('0.3');
    expect(axisValueOf('method=a,seed=1', 'dataset.params.knob')).toBeUndefined();
    expect(axisValueOf('xdataset.params.knob=1', 'dataset.params.knob')).toBeUndefined();
    expect(withoutAxis('dataset.params.knob=0.3,method=a,seed=1', 'dataset.params.knob')).toBe('method=a,seed=1');
    expect(withoutAxis('method=a,dataset.params.knob=0.3,seed=1', 'dataset.params.knob')).toBe('method=a,seed=1');
    // a plugin value with params keeps its commas; the rest of the id is split around it
    const teacher = 'dense-teacher(train={encoder=hash-mlp(dim=64,hidden=128)},high=0.6)';
    expect(axisValueOf(`crops,discriminator=${teacher},world=1,seed=1`, 'discriminator')).toBe(teacher);
    expect(withoutAxis(`crops,discriminator=${teacher},world=1,seed=1`, 'discriminator')).toBe('crops,world=1,seed=1');
    expect(withoutAxis(`discriminator=${teacher}#2`, 'discriminator')).toBe('#2');
    expect(axisValueOf('method=a,seed=1#2', 'seed')).toBe('1');
  });

  it('says where the rows at other values of a world knob are compared, when the main table cannot pair them', async () => {
    const report = await sweepReport({ baseline: 'dataset.params.knob=0,method=base', sensitivity: { axis: 'dataset.params.knob', baseline: 'method=base' } });
    const warning = report.table.warnings.find((w) => w.includes('no query with the baseline'));
    expect(warning).toMatch(/^8 rows share no query with the baseline .*; the sensitivity map compares the methods at each value of dataset\.params\.knob with method=base at that value$/);
    // the same sweep without a map keeps the plain warning
    const plain = (await sweepReport({ baseline: 'dataset.params.knob=0,method=base' })).table.warnings.find((w) => w.includes('no query with the baseline'));
    expect(plain).not.toContain('sensitivity map');
  });

  it('separates a planted effect from zero where it exists and nowhere else, per value', async () => {
    const report = await sweepReport({ sensitivity: { axis: 'dataset.params.knob', baseline: 'method=base', labels: { 'method=grows': 'Grows', 'method=hurts': 'Hurts', 'method=null': 'Null' } } });
    const map = report.sensitivity!;
    expect(map.values).toEqual(KNOB);
    expect(map.methods).toEqual(['Grows', 'Hurts', 'Null']);
    const cell = (method: string, knob: string) => map.cells.get('recall@100/ct')!.get(method)!.get(knob)!;
    expect(cell('Grows', '0').significant).toBe(false);
    expect(cell('Grows', '0.3').significant).toBe(true);
    expect(cell('Grows', '0.6').significant).toBe(true);
    expect(Math.abs(cell('Grows', '0.6').delta! - 0.06)).toBeLessThan(0.01);
    expect(cell('Grows', '0.6').deltaCi![0]).toBeGreaterThan(0);
    for (const knob of KNOB) {
      expect(cell('Hurts', knob).significant).toBe(true);
      expect(cell('Hurts', knob).deltaCi![1]).toBeLessThan(0);
      expect(cell('Null', knob).significant).toBe(false);
      expect(cell('Null', knob).deltaCi![0]).toBeLessThan(0);
      expect(cell('Null', knob).deltaCi![1]).toBeGreaterThan(0);
    }
    const md = report.files.get('sensitivity.md')!;
    expect(md).toContain('| Method | knob = 0 | knob = 0.3 | knob = 0.6 |');
    expect(md).toMatch(/\| Grows \| [+−]?0\.\d \[[^\]]+\] \| \+[23]\.\d \[[^\]]+\] † \| \+6\.\d \[[^\]]+\] † \|/);
    const csv = report.files.get('sensitivity.csv')!.trim().split('\n');
    expect(csv[0]).toBe('metric,method,axis,value,delta,delta_ci95_low,delta_ci95_high,p_holm,significant');
    // values can be given names; the cells follow them
    const named = (await sweepReport({ sensitivity: { axis: 'dataset.params.knob', baseline: 'method=base', valueLabels: { '0.6': 'strong' } } })).sensitivity!;
    expect(named.values).toEqual(['0', '0.3', 'strong']);
    expect(named.cells.get('recall@100/ct')!.get('method=grows')!.get('strong')!.delta).toBe(cell('Grows', '0.6').delta);
    expect(csv).toHaveLength(1 + 3 * 3);
    expect(report.terminal).toContain('Sensitivity to dataset.params.knob');
    expect(report.files.get('report.html')).toContain('<h2>Sensitivity to dataset.params.knob</h2>');
  });

  it('draws the difference against the knob, one line per method, with a zero line', async () => {
    const report = await sweepReport({ sensitivity: { axis: 'dataset.params.knob', baseline: 'method=base' } }, true);
    const svg = report.files.get('charts/sensitivity-recall_at_100-ct.svg')!;
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('method=grows');
    expect(svg).toContain('Δ recall@100/ct vs method=base (points)');
  });
});
