import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MlflowFileStore, formatMetricValue } from './file-store.ts';
import { mlflowKeyProblem } from './mlflow-limits.ts';

let dir: string;
let store: MlflowFileStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crops-filestore-'));
  store = new MlflowFileStore(join(dir, 'mlruns'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const yamlAt = async (...parts: string[]) => parse(await readFile(join(store.root, ...parts), 'utf8')) as Record<string, unknown>;

async function newRun(name = 'trial') {
  const experimentId = await store.getOrCreateExperiment('exp');
  return store.createRun({ experimentId, runName: name, userId: 'alice' });
}

/** Every file below `root`, relative, `/`-separated. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1).split('\\').join('/')).sort();
}

describe('MlflowFileStore layout', () => {
  it('creates the Default experiment 0 and .trash like MLflow does', async () => {
    await store.ensure();
    const meta = await yamlAt('0', 'meta.yaml');
    expect(meta).toMatchObject({ name: 'Default', experiment_id: '0', lifecycle_stage: 'active', artifact_location: pathToFileURL(join(store.root, '0')).href });
    expect(typeof meta.creation_time).toBe('number');
    expect((await stat(join(store.root, '.trash'))).isDirectory()).toBe(true);
  });

  it('allocates integer experiment ids as largest + 1 and finds experiments by name', async () => {
    const a = await store.getOrCreateExperiment('first');
    const b = await store.getOrCreateExperiment('second');
    expect([a, b]).toEqual(['1', '2']);
    expect(await store.getOrCreateExperiment('first')).toBe('1');
    const raw = await readFile(join(store.root, '2', 'meta.yaml'), 'utf8');
    // the id must stay a YAML string, as MLflow writes it
    expect(raw).toMatch(/^experiment_id: ["']2["']$/m);
    const meta = parse(raw) as Record<string, unknown>;
    expect(meta).toMatchObject({ name: 'second', experiment_id: '2', lifecycle_stage: 'active', artifact_location: pathToFileURL(join(store.root, '2')).href });
    expect(meta.last_update_time).toBe(meta.creation_time);
  });

  it('continues after the huge random ids MLflow itself allocates without losing precision', async () => {
    await store.ensure();
    await mkdir(join(store.root, '786348073758917724'));
    await writeFile(join(store.root, '786348073758917724', 'meta.yaml'), "experiment_id: '786348073758917724'\nname: made by python\nlifecycle_stage: active\nartifact_location: x\n");
    expect(await store.getOrCreateExperiment('made by python')).toBe('786348073758917724');
    expect(await store.getOrCreateExperiment('next')).toBe('786348073758917725');
  });

  it('writes a run directory MLflow recognises', async () => {
    const run = await newRun('trial-1');
    expect(run.runId).toMatch(/^[0-9a-f]{32}$/);
    const runDir = join(store.root, run.experimentId, run.runId);
    for (const sub of ['metrics', 'params', 'artifacts', 'tags']) expect((await stat(join(runDir, sub))).isDirectory()).toBe(true);
    const meta = await yamlAt(run.experimentId, run.runId, 'meta.yaml');
    expect(meta).toMatchObject({
      artifact_uri: pathToFileURL(join(runDir, 'artifacts')).href,
      end_time: null,
      experiment_id: run.experimentId,
      lifecycle_stage: 'active',
      run_id: run.runId,
      run_uuid: run.runId,
      run_name: 'trial-1',
      source_type: 4,
      status: 1,
      tags: [],
      user_id: 'alice',
    });
    expect(await readFile(join(runDir, 'tags', 'mlflow.runName'), 'utf8')).toBe('trial-1');
  });

  it('quotes names that a YAML 1.1 reader such as PyYAML would turn into booleans or numbers', async () => {
    const experimentId = await store.getOrCreateExperiment('on');
    const run = await store.createRun({ experimentId, runName: '12:30', userId: 'yes' });
    await store.endRun(run, 'FINISHED');
    const read = async (...parts: string[]) => parse(await readFile(join(store.root, ...parts), 'utf8'), { version: '1.1' }) as Record<string, unknown>;
    expect((await read(experimentId, 'meta.yaml')).name).toBe('on');
    expect(await read(experimentId, run.runId, 'meta.yaml')).toMatchObject({ run_name: '12:30', user_id: 'yes', status: 3 });
    expect((await store.listRuns('on'))[0]).toMatchObject({ runName: '12:30', userId: 'yes' });
  });

  it('stores keys with / as sub-folders and values without a trailing newline', async () => {
    const run = await newRun();
    await store.logParams(run, { 'loss.params/temperature': '0.05' });
    await store.setTags(run, { 'crops/plugin:loss': 'h-info-nce' });
    const runDir = join(store.root, run.experimentId, run.runId);
    expect(await readFile(join(runDir, 'params', 'loss.params', 'temperature'), 'utf8')).toBe('0.05');
    expect(await readFile(join(runDir, 'tags', 'crops', 'plugin:loss'), 'utf8')).toBe('h-info-nce');
    const back = await store.getRun(run);
    expect(back.params).toEqual({ 'loss.params/temperature': '0.05' });
    expect(back.tags['crops/plugin:loss']).toBe('h-info-nce');
  });

  it('appends metric lines `timestamp value step` and reports the latest like MLflow', async () => {
    const run = await newRun();
    await store.appendMetrics(run, [
      { key: 'train/loss', value: 2.5, step: 0, timestamp: 1000 },
      { key: 'train/loss', value: 1.25, step: 10, timestamp: 1001 },
    ]);
    await store.appendMetrics(run, [{ key: 'train/loss', value: 0.5, step: 20, timestamp: 1002 }, { key: 'odd', value: NaN, step: 1, timestamp: 5 }]);
    const runDir = join(store.root, run.experimentId, run.runId);
    expect(await readFile(join(runDir, 'metrics', 'train', 'loss'), 'utf8')).toBe('1000 2.5 0\n1001 1.25 10\n1002 0.5 20\n');
    expect(await readFile(join(runDir, 'metrics', 'odd'), 'utf8')).toBe('5 nan 1\n');
    expect((await store.metricHistory(run, 'train/loss')).map((p) => [p.step, p.value])).toEqual([[0, 2.5], [10, 1.25], [20, 0.5]]);
    expect((await store.getRun(run)).metrics['train/loss']).toEqual({ value: 0.5, step: 20, timestamp: 1002 });
  });

  it('formats non-finite values the way Python float() reads them', () => {
    expect([NaN, Infinity, -Infinity, 1e-7, 3].map(formatMetricValue)).toEqual(['nan', 'inf', '-inf', '1e-7', '3']);
  });

  it('writes artifacts under artifacts/ and refuses paths that escape it', async () => {
    const run = await newRun();
    await store.writeArtifact(run, 'trec/ct.run', 'q1 Q0 d1 1 0.9 crops\n');
    await store.writeArtifact(run, 'weights.bin', new Uint8Array([1, 2, 3]));
    const art = join(store.root, run.experimentId, run.runId, 'artifacts');
    expect(await readFile(join(art, 'trec', 'ct.run'), 'utf8')).toBe('q1 Q0 d1 1 0.9 crops\n');
    expect([...(await readFile(join(art, 'weights.bin')))]).toEqual([1, 2, 3]);
    for (const bad of ['../escape', '/abs', 'a//b', '', 'a/./b']) {
      await expect(store.writeArtifact(run, bad, 'x')).rejects.toThrow(/invalid artifact path/);
    }
  });

  it('ends runs with MLflow status codes and an end time', async () => {
    const codes: Record<string, number> = {};
    for (const status of ['FINISHED', 'FAILED', 'KILLED'] as const) {
      const run = await newRun(status);
      await store.endRun(run, status, 4242);
      const meta = await yamlAt(run.experimentId, run.runId, 'meta.yaml');
      codes[status] = meta.status as number;
      expect(meta.end_time).toBe(4242);
      expect((await store.getRun(run)).status).toBe(status);
    }
    expect(codes).toEqual({ FINISHED: 3, FAILED: 4, KILLED: 5 });
  });
});

describe('MlflowFileStore checks', () => {
  it.each([
    ['', /empty/],
    ['/abs', /starts with \//],
    ['..x', /starts with \.\./],
    ['a/../b', /segment/],
    ['a//b', /segment/],
    ['a/./b', /segment/],
    ['a/', /segment/],
    ['recall@100', /"@"/],
    ['tab\there', /"\\t"/],
    ['x'.repeat(251), /at most 250/],
  ])('rejects key %j', (key, why) => {
    expect(mlflowKeyProblem(key)).toMatch(why);
  });

  it.each(['loss', 'train/loss', 'recall_100/ct', 'a b:c-d.e', 'température', 'x'.repeat(250)])('accepts key %j', (key) => {
    expect(mlflowKeyProblem(key)).toBeUndefined();
  });

  it('rejects an invalid key before writing anything', async () => {
    const run = await newRun();
    await expect(store.logParams(run, { ok: '1', 'bad$key': '2' })).rejects.toThrow(/invalid MLflow param key "bad\$key"/);
    await expect(store.appendMetrics(run, [{ key: 'recall@100', value: 1, step: 0 }])).rejects.toThrow(/invalid MLflow metric key/);
    await expect(store.appendMetrics(run, [{ key: 'loss', value: 1, step: 0.5 }])).rejects.toThrow(/step must be an integer/);
    expect((await store.getRun(run)).params).toEqual({});
  });

  it('treats params as write-once: same value is fine, a different one is an error', async () => {
    const run = await newRun();
    await store.logParams(run, { lr: '0.001' });
    await store.logParams(run, { lr: '0.001' });
    await expect(store.logParams(run, { lr: '0.01' })).rejects.toThrow(/already "0.001".*write-once/);
    expect((await store.getRun(run)).params.lr).toBe('0.001');
  });

  it('rejects param values longer than MLflow accepts (6000 characters)', async () => {
    const run = await newRun();
    await store.logParams(run, { ok: 'x'.repeat(6000) });
    await expect(store.logParams(run, { long: 'x'.repeat(6001) })).rejects.toThrow(/6001 characters long; MLflow accepts at most 6000/);
  });

  it('explains a key that clashes with a folder of another key', async () => {
    const run = await newRun();
    await store.logParams(run, { a: '1' });
    await expect(store.logParams(run, { 'a/b': '2' })).rejects.toThrow(/clashes with another param key/);
  });

  it('refuses to write into a run that does not exist', async () => {
    const run = await newRun();
    await rm(join(store.root, run.experimentId, run.runId), { recursive: true });
    await expect(store.appendMetrics(run, [{ key: 'loss', value: 1, step: 0 }])).rejects.toThrow(/does not exist/);
    await expect(store.logParams(run, { 'a/b': '1' })).rejects.toThrow(/does not exist/);
    await expect(stat(join(store.root, run.experimentId, run.runId))).rejects.toThrow();
  });

  it('refuses to reuse the name of a deleted experiment', async () => {
    await store.getOrCreateExperiment('gone');
    await rename(join(store.root, '1'), join(store.root, '.trash', '1'));
    await expect(new MlflowFileStore(store.root).getOrCreateExperiment('gone')).rejects.toThrow(/is deleted/);
  });
});

describe('MlflowFileStore atomic writes', () => {
  it('never exposes a partly written meta.yaml and leaves no temporary files', async () => {
    const run = await newRun();
    const metaPath = join(store.root, run.experimentId, run.runId, 'meta.yaml');
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const meta = parse(await readFile(metaPath, 'utf8')) as Record<string, unknown>;
        expect(meta.run_id).toBe(run.runId);
        reads++;
      }
    })();
    for (let i = 0; i < 100; i++) {
      await store.endRun(run, i % 2 ? 'FINISHED' : 'FAILED', i);
      await store.setTags(run, { round: String(i) });
    }
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect((await filesUnder(store.root)).filter((f) => f.includes('.crops-tmp'))).toEqual([]);
  });

  it('ignores temporary files a crashed writer left behind', async () => {
    const run = await newRun();
    await store.logParams(run, { p: '1' });
    const runDir = join(store.root, run.experimentId, run.runId);
    await writeFile(join(runDir, '.crops-tmp-1-deadbeef'), 'artifact_uri: [unterminated');
    const [back] = await store.listRuns('exp');
    expect(back!.params).toEqual({ p: '1' });
    expect(back!.runId).toBe(run.runId);
  });
});

describe('MlflowFileStore concurrent experiment creation', () => {
  it('gives concurrent creators of one name the same experiment, and different names different ids', async () => {
    const stores = Array.from({ length: 8 }, () => new MlflowFileStore(store.root));
    const shared = await Promise.all(stores.map((s) => s.getOrCreateExperiment('shared')));
    const own = await Promise.all(stores.map((s, i) => s.getOrCreateExperiment(`own-${i}`)));
    expect(new Set(shared).size).toBe(1);
    expect(new Set(own).size).toBe(8);
    expect(own).not.toContain(shared[0]);
    const names = (await store.listExperiments()).map((e) => e.name);
    expect(names.filter((n) => n === 'shared')).toHaveLength(1);
    expect(await readdir(store.root)).not.toContain('.crops-experiments.lock');
  });

  it('is safe across processes', async () => {
    const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
    const worker = join(dir, 'worker.mts');
    await writeFile(
      worker,
      `import { MlflowFileStore } from ${JSON.stringify(pathToFileURL(join(repo, 'src/tracking/file-store.ts')).href)};
const s = new MlflowFileStore(process.argv[2]);
const ids = await Promise.all([s.getOrCreateExperiment('shared'), s.getOrCreateExperiment('own-' + process.argv[3])]);
console.log(JSON.stringify(ids));\n`,
    );
    const run = promisify(execFile);
    const outs = await Promise.all(
      [0, 1, 2, 3].map((i) => run(process.execPath, ['--import', 'tsx', worker, store.root, String(i)], { cwd: repo }).then((r) => JSON.parse(r.stdout) as string[])),
    );
    expect(new Set(outs.map((o) => o[0])).size).toBe(1);
    expect(new Set(outs.map((o) => o[1])).size).toBe(4);
    const experiments = await store.listExperiments();
    expect(experiments.filter((e) => e.name === 'shared')).toHaveLength(1);
    expect(experiments).toHaveLength(6);
  });

  it('breaks a lock left behind by a crashed process', async () => {
    await store.ensure();
    const lock = join(store.root, '.crops-experiments.lock');
    await writeFile(lock, '99999\n');
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    expect(await store.getOrCreateExperiment('after-crash')).toBe('1');
  });
});

describe('MlflowFileStore resume lookup', () => {
  it('lists runs with status, tags, params and latest metrics, and finds the finished one by config hash', async () => {
    const experimentId = await store.getOrCreateExperiment('sweep');
    let clock = 0;
    const make = async (name: string, hash: string, status?: 'FINISHED' | 'FAILED') => {
      const run = await store.createRun({ experimentId, runName: name, userId: 'u', startTime: ++clock, tags: { 'crops.configHash': hash }, params: { seed: name } });
      await store.appendMetrics(run, [{ key: 'loss', value: 1, step: 1, timestamp: 1 }]);
      if (status) await store.endRun(run, status);
      return run;
    };
    const failed = await make('a', 'h1', 'FAILED');
    const done = await make('b', 'h1', 'FINISHED');
    await make('c', 'h2', 'FINISHED');
    const running = await make('d', 'h3');

    const runs = await store.listRuns('sweep');
    expect(runs.map((r) => [r.runName, r.status])).toEqual([
      ['a', 'FAILED'],
      ['b', 'FINISHED'],
      ['c', 'FINISHED'],
      ['d', 'RUNNING'],
    ]);
    expect(runs[1]).toMatchObject({ runId: done.runId, params: { seed: 'b' }, metrics: { loss: { value: 1, step: 1, timestamp: 1 } } });
    expect(await store.findFinished('sweep', 'h1')).toEqual(done);
    expect(await store.findFinished('sweep', 'h3')).toBeUndefined();
    expect(await store.findFinished('other', 'h1')).toBeUndefined();
    expect(await store.listRuns('other')).toEqual([]);
    expect(failed.runId).not.toBe(done.runId);
    expect(running.experimentId).toBe(experimentId);
  });

  it('finds the latest finished sweep run by sweep hash, not a trial or an unfinished sweep', async () => {
    const experimentId = await store.getOrCreateExperiment('sweeps');
    let clock = 0;
    const make = async (tags: Record<string, string>, status?: 'FINISHED' | 'KILLED') => {
      const run = await store.createRun({ experimentId, runName: 'r', userId: 'u', startTime: ++clock, tags });
      if (status) await store.endRun(run, status);
      return run;
    };
    await make({ 'crops.role': 'sweep', 'crops.sweepHash': 's1' }, 'KILLED');
    const done = await make({ 'crops.role': 'sweep', 'crops.sweepHash': 's1' }, 'FINISHED');
    await make({ 'crops.role': 'sweep', 'crops.sweepHash': 's2' }, 'KILLED');
    await make({ 'crops.configHash': 's3' }, 'FINISHED');
    expect(await store.findFinishedSweep('sweeps', 's1')).toEqual(done);
    expect(await store.findFinishedSweep('sweeps', 's2')).toBeUndefined();
    expect(await store.findFinishedSweep('sweeps', 's3')).toBeUndefined();
    expect(await store.findFinishedSweep('other', 's1')).toBeUndefined();
  });
});
