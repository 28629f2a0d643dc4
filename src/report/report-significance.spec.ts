import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.ts';
import { PER_QUERY_ARTIFACT, type PerQueryFile } from '../eval/per-query-file.ts';
import type { RunRef } from '../extension-points/tracker.ts';
import { FileSweepReader } from '../tracking/file-sweep-reader.ts';
import { MlflowFileStore } from '../tracking/file-store.ts';
import { SWEEP_MANIFEST, type SweepManifest } from '../tracking/sweep-reader.ts';
import { metricCharts, renderSvg } from './charts.ts';
import { buildReportTable, type TrialRun } from './report-table.ts';
import { holmAdjust, pairedRandomizationTest } from './significance.ts';
import { buildSweepReport } from './sweep-report.ts';

/**
 * Planted effects through the report's own path: trial runs in an MLflow file store, each with the
 * per-query artifact a trial writes, read back by `buildSweepReport`. Every query has a difficulty
 * shared by all methods (what makes the test paired); a method adds its effect and per-seed noise.
 */
const QUERIES = 150;
const SEEDS = [1, 2, 3];
const difficulty = (() => {
  const rng = new Rng('difficulty');
  return Array.from({ length: QUERIES }, () => 0.2 + 0.6 * rng.next());
})();
const clamp = (x: number) => Math.min(1, Math.max(0, x));

/** Per-query values of one trial: difficulty + effect + noise (noise seeded by the trial). */
function perQueryValues(trial: string, effect: number, noise = 0.15): number[] {
  const rng = new Rng(`values|${trial}`);
  return difficulty.map((d) => clamp(d + effect + noise * (rng.next() - 0.5)));
}

let dir: string;
let store: MlflowFileStore;
let reader: FileSweepReader;
let experimentId: string;
let clock = 1_000;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crops-signif-'));
  store = new MlflowFileStore(join(dir, 'mlruns'));
  reader = new FileSweepReader(store.root);
  experimentId = await store.getOrCreateExperiment('exp');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function trialRun(parent: RunRef, id: string, seed: number, values: number[], fingerprint = 'set-a'): Promise<RunRef> {
  const run = await store.createRun({
    experimentId,
    runName: id,
    userId: 'u',
    startTime: clock++,
    tags: { 'mlflow.parentRunId': parent.runId, 'crops.trialId': id, 'crops.seed': String(seed) },
    params: { 'eval.metrics': '["recall@100/ct"]' },
  });
  await store.appendMetrics(run, [{ key: 'recall_at_100/ct', value: values.reduce((a, b) => a + b, 0) / values.length, step: 1, timestamp: 1 }]);
  const file: PerQueryFile = { version: 1, sets: { ct: { fingerprint, qids: values.map((_, i) => `q${i}`) } }, values: { 'recall@100/ct': values } };
  await store.writeArtifact(run, PER_QUERY_ARTIFACT, JSON.stringify(file));
  await store.endRun(run, 'FINISHED');
  return run;
}

/** A sweep with rows `method=<name>` × SEEDS, each row's per-query values from `values(name, seed)`. */
async function sweep(methods: string[], values: (method: string, seed: number) => number[], report: SweepManifest['report']) {
  const parent = await store.createRun({ experimentId, runName: 'exp (sweep)', userId: 'u', startTime: clock++, tags: { 'crops.role': 'sweep' } });
  const trials: SweepManifest['trials'] = [];
  for (const m of methods) {
    for (const seed of SEEDS) {
      const id = `method=${m},seed=${seed}`;
      const run = await trialRun(parent, id, seed, values(m, seed));
      trials.push({ id, seed, status: 'FINISHED', runId: run.runId });
    }
  }
  const manifest: SweepManifest = { experiment: 'exp', file: 'exp.yaml', report, trials };
  await store.writeArtifact(parent, SWEEP_MANIFEST, JSON.stringify(manifest));
  return buildSweepReport(reader, (await reader.getRun(parent.runId))!, { title: 'exp', charts: false });
}

const EFFECTS: Record<string, number> = { base: 0, planted: 0.03, null: 0 };

describe('significance in crops report', () => {
  it('marks a planted difference with † in every format and leaves a null one unmarked', async () => {
    const report = await sweep(['base', 'planted', 'null'], (m, seed) => perQueryValues(`${m}|${seed}`, EFFECTS[m]!), {
      baseline: 'method=base',
      labels: { 'method=base': 'Base', 'method=planted': 'Planted', 'method=null': 'Null' },
    });
    const [base, planted, nul] = report.table.rows;
    expect(base!.cells[0]!.test).toBeUndefined();
    expect(planted!.cells[0]!.test!.significant).toBe(true);
    expect(planted!.cells[0]!.test!.pHolm).toBeLessThan(0.001);
    expect(nul!.cells[0]!.test!.significant).toBe(false);
    expect(nul!.cells[0]!.test!.pHolm).toBeGreaterThan(0.2);
    expect(planted!.cells[0]!.test!.queries).toBe(QUERIES);
    // the paired bootstrap interval of the difference covers the planted effect, the null's covers 0
    const [lo, hi] = planted!.cells[0]!.test!.deltaCi;
    expect(lo).toBeLessThan(0.03);
    expect(hi).toBeGreaterThan(0.03);
    expect(nul!.cells[0]!.test!.deltaCi[0]).toBeLessThan(0);
    expect(nul!.cells[0]!.test!.deltaCi[1]).toBeGreaterThan(0);
    // the planted row is best, and separated from the runner-up
    expect(planted!.cells[0]!.best).toBe(true);

    const md = report.files.get('report.md')!;
    expect(md).toMatch(/\| Planted \| 3 \| \*\*\d+\.\d\d\*\* ± \d+\.\d\d \| \+\d+\.\d\d \(\+\d+\.\d%\)† \|/);
    expect(md).toMatch(/\| Null \| 3 \| \d+\.\d\d ± \d+\.\d\d \| [+-]\d+\.\d\d \([+-]\d+\.\d%\) \|/);
    expect(md).toContain("Paired randomization test against the baseline (Base) over queries: p-values after Holm's correction:");
    expect(md).toMatch(/\| Planted \| <0\.001† \|/);
    expect(md).toMatch(/\| Null \| 0\.\d\d\d \|/);
    expect(md).toContain('†: different from the baseline by a two-sided paired randomization test over queries');
    expect(report.terminal).toMatch(/^Planted +3 +\d+\.\d\d\* ± \d+\.\d\d +\+\d+\.\d\d \(\+\d+\.\d%\)†$/m);
    expect(report.terminal).toMatch(/^Null +3 +\d+\.\d\d ± \d+\.\d\d +[+-]\d+\.\d\d \([+-]\d+\.\d%\)$/m);
    const tex = report.files.get('report.tex')!;
    expect(tex).toMatch(/Planted & 3 & \\textbf\{[\d.]+\} \$\\pm\$ [\d.]+ & \$\+\$[\d.]+ \(\$\+\$[\d.]+\\%\)\$\^\{\\dagger\}\$ \\\\/);
    expect(tex).toMatch(/Null & 3 & [\d.]+ \$\\pm\$ [\d.]+ & \$[+-]\$[\d.]+ \(\$[+-]\$[\d.]+\\%\) \\\\/);
    expect(tex).toContain('Planted & \\textless{}0.001$^{\\dagger}$ \\\\');
    const html = report.files.get('report.html')!;
    expect(html).toMatch(/<td>Planted<\/td><td>3<\/td><td><strong>[\d.]+<\/strong> ± [\d.]+<\/td><td>\+[\d.]+ \(\+[\d.]+%\)†<\/td>/);
    expect(html).toMatch(/<td>Null<\/td><td>3<\/td><td>[\d.]+ ± [\d.]+<\/td><td>[+-][\d.]+ \([+-][\d.]+%\)<\/td>/);
    const csv = report.files.get('report.csv')!.trimEnd().split('\n');
    expect(csv[0]).toContain(',p_value,p_holm,significant');
    expect(csv.find((l) => l.startsWith('Planted,'))).toMatch(/,150,[\d.e-]+,[\d.e-]+,(seeds|queries),[\d.e-]+,[\d.e-]+,[\d.e-]+,[\d.e-]+,true$/);
    expect(csv.find((l) => l.startsWith('Null,'))).toMatch(/,150,[\d.e-]+,[\d.e-]+,(seeds|queries),-?[\d.e-]+,[\d.e-]+,[\d.e-]+,[\d.e-]+,false$/);
    // built twice, the report is the same: every random draw is seeded
    const again = await sweep(['base', 'planted', 'null'], (m, seed) => perQueryValues(`${m}|${seed}`, EFFECTS[m]!), { baseline: 'method=base', labels: { 'method=base': 'Base', 'method=planted': 'Planted', 'method=null': 'Null' } });
    expect(again.files.get('report.csv')).toBe(report.files.get('report.csv'));
  });

  it('tests on per-query means over seeds and corrects across rows with Holm', () => {
    const runs: TrialRun[] = [];
    const values = new Map<string, number[][]>();
    for (const [m, effect] of [['base', 0], ['a', 0.012], ['b', 0.02], ['c', 0.006]] as const) {
      values.set(m, []);
      for (const seed of SEEDS) {
        const v = perQueryValues(`holm|${m}|${seed}`, effect, 0.3);
        values.get(m)!.push(v);
        const perQuery = new Map([['recall@100/ct', new Map(v.map((x, i) => [`f:q${i}`, x]))]]);
        runs.push({ trialId: `m=${m},seed=${seed}`, runId: `${m}${seed}`, seed, metrics: { 'recall_at_100/ct': v.reduce((s, x) => s + x, 0) / v.length }, perQuery });
      }
    }
    const table = buildReportTable(runs, { title: 't', metrics: ['recall@100/ct'], baseline: 'm=base', significance: { permutations: 2000 } });
    const meanOverSeeds = (m: string) => difficulty.map((_, q) => values.get(m)!.reduce((s, v) => s + v[q]!, 0) / SEEDS.length);
    const raw = ['a', 'b', 'c'].map((m) => pairedRandomizationTest(meanOverSeeds(m), meanOverSeeds('base'), { permutations: 2000, seed: `test|recall@100/ct|m=${m}|m=base` }).p);
    const tests = table.rows.slice(1).map((r) => r.cells[0]!.test!);
    expect(tests.map((t) => t.p)).toEqual(raw);
    expect(tests.map((t) => t.pHolm)).toEqual(holmAdjust(raw));
    expect(tests.map((t) => t.significant)).toEqual(holmAdjust(raw).map((p) => p < 0.05));
    // the planted effects span separated and not separated after correction
    expect(new Set(tests.map((t) => t.significant)).size).toBe(2);
  });

  it('bolds the best only when the test separates it from the runner-up', () => {
    const row = (m: string, seed: number, v: number[]): TrialRun => ({
      trialId: `m=${m},seed=${seed}`,
      runId: `${m}${seed}`,
      seed,
      metrics: { 'recall_at_100/ct': v.reduce((s, x) => s + x, 0) / v.length },
      perQuery: new Map([['recall@100/ct', new Map(v.map((x, i) => [`f:q${i}`, x]))]]),
    });
    // two exchangeable methods: one has the higher mean, but not separably
    const close = buildReportTable([row('x', 1, perQueryValues('close|x', 0)), row('y', 1, perQueryValues('close|y', 0))], { title: 't', metrics: ['recall@100/ct'] });
    expect(close.bestTested).toEqual([true]);
    expect(close.rows.map((r) => r.cells[0]!.best)).toEqual([false, false]);
    const apart = buildReportTable([row('x', 1, perQueryValues('apart|x', 0)), row('y', 1, perQueryValues('apart|y', 0.05))], { title: 't', metrics: ['recall@100/ct'] });
    expect(apart.rows.map((r) => r.cells[0]!.best)).toEqual([false, true]);
    // without per-query values the best mean is marked as before
    const untested = buildReportTable([{ ...row('x', 1, [0.5]), perQuery: undefined }, { ...row('y', 1, [0.4]), perQuery: undefined }], { title: 't', metrics: ['recall@100/ct'] });
    expect(untested.bestTested).toEqual([false]);
    expect(untested.rows.map((r) => r.cells[0]!.best)).toEqual([true, false]);
  });

  it('shows the query bootstrap interval where it is wider than the seeds’ interval', () => {
    const runs: TrialRun[] = SEEDS.map((seed) => {
      // seeds agree closely on the mean; queries vary a lot
      const v = perQueryValues(`ci|${seed}`, 0, 0.01);
      return { trialId: `seed=${seed}`, runId: String(seed), seed, metrics: { 'recall_at_100/ct': v.reduce((s, x) => s + x, 0) / v.length }, perQuery: new Map([['recall@100/ct', new Map(v.map((x, i) => [`f:q${i}`, x]))]]) };
    });
    const cell = buildReportTable(runs, { title: 't', metrics: ['recall@100/ct'] }).rows[0]!.cells[0]!;
    expect(cell.queryCi![1] - cell.queryCi![0]).toBeGreaterThan(cell.summary!.ci![1] - cell.summary!.ci![0]);
    expect(cell.shownCi).toEqual({ ci: cell.queryCi, source: 'queries' });
    // the bootstrap interval is about mean ± 1.96 · sd / √n over queries
    const means = difficulty.map((_, q) => runs.reduce((s, r) => s + r.perQuery!.get('recall@100/ct')!.get(`f:q${q}`)!, 0) / runs.length);
    const m = means.reduce((a, b) => a + b, 0) / QUERIES;
    const se = Math.sqrt(means.reduce((a, x) => a + (x - m) ** 2, 0) / (QUERIES - 1) / QUERIES);
    expect(cell.queryCi![0]).toBeCloseTo(m - 1.96 * se, 2);
    expect(cell.queryCi![1]).toBeCloseTo(m + 1.96 * se, 2);
  });

  it('draws a dot-and-whisker chart per metric on an axis fitted to the values, † on significant methods', async () => {
    const runs: TrialRun[] = ['base', 'planted', 'null'].flatMap((m) =>
      SEEDS.map((seed) => {
        const v = perQueryValues(`chart|${m}|${seed}`, EFFECTS[m]!);
        return { trialId: `m=${m},seed=${seed}`, runId: `${m}${seed}`, seed, metrics: { 'recall_at_100/ct': v.reduce((s, x) => s + x, 0) / v.length }, perQuery: new Map([['recall@100/ct', new Map(v.map((x, i) => [`f:q${i}`, x]))]]) };
      }),
    );
    const table = buildReportTable(runs, { title: 't', metrics: ['recall@100/ct'], baseline: 'm=base' });
    const svg = await renderSvg(metricCharts(table)[0]!.spec);
    const axis = /aria-label="X-axis titled 'recall@100\/ct \(%\)' for a linear scale with values from ([\d.]+) to ([\d.]+)"/.exec(svg);
    expect(axis, 'x axis').not.toBeNull();
    // means are about 49–52 %: an axis from zero would squeeze them into a few pixels
    expect(Number(axis![1])).toBeGreaterThan(30);
    expect(svg).toContain('Y-axis for a discrete scale with 3 values: m=base, m=planted †, m=null');
    // one whisker per method, spanning the interval the tables show
    const planted = table.rows[1]!.cells[0]!.shownCi!.ci;
    expect(svg).toContain(`method: m=planted †; high: ${Number((planted[1] * 100).toPrecision(12))}`);
  });

  it('pools the queries of the worlds in a row and pairs each with the baseline on the same world', () => {
    // two runs per row, each on its own world (test set fingerprint w1, w2), told apart by their seed
    const run = (m: string, seed: number, effect: number): TrialRun => {
      const v = perQueryValues(`worlds|${m}|${seed}`, effect);
      return { trialId: `m=${m},seed=${seed}`, runId: `${m}${seed}`, seed, metrics: { 'recall_at_100/ct': v.reduce((s, x) => s + x, 0) / v.length }, perQuery: new Map([['recall@100/ct', new Map(v.map((x, i) => [`w${seed}:q${i}`, x]))]]) };
    };
    const runs = [1, 2].flatMap((seed) => [run('base', seed, 0), run('planted', seed, 0.03)]);
    const table = buildReportTable(runs, { title: 't', metrics: ['recall@100/ct'], baseline: 'm=base' });
    const planted = table.rows[1]!.cells[0]!;
    expect(planted.queryValues!.size).toBe(2 * QUERIES);
    expect(planted.test!.queries).toBe(2 * QUERIES);
    expect(planted.test!.significant).toBe(true);
    expect(table.warnings).toEqual([]);
  });

  it('does not pair queries of different test sets, and says so', async () => {
    const parent = await store.createRun({ experimentId, runName: 'exp (sweep)', userId: 'u', startTime: clock++, tags: { 'crops.role': 'sweep' } });
    await trialRun(parent, 'method=base', 1, perQueryValues('w|base', 0), 'world-1');
    await trialRun(parent, 'method=other', 1, perQueryValues('w|other', 0.1), 'world-2');
    const report = await buildSweepReport(reader, (await reader.getRun(parent.runId))!, { title: 'exp', charts: false, settings: { baseline: 'method=base' } });
    expect(report.table.rows[1]!.cells[0]!.test).toBeUndefined();
    expect(report.table.warnings).toContain('method=other shares no query with the baseline (different test sets, e.g. another world), so no difference of theirs is tested');
  });
});
