import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSweepReader } from '../src/tracking/file-sweep-reader.ts';
import { MlflowFileStore, type StoredRun } from '../src/tracking/file-store.ts';
import { runCli, spawnCli } from './support/cli.ts';
import { writeNanLossPlugin } from './support/nan-loss-plugin.ts';

const QUICKSTART = resolve('experiments/quickstart.yaml');
const SHORT = ['--set', 'train.steps=20', '--set', 'train.logEvery=5'];

const { dir: pluginDir, file: nanLoss } = writeNanLossPlugin('parallel');

// loads in the command itself but not in a worker process (which has an IPC channel)
const workerHostile = join(pluginDir, 'worker-hostile.js');
writeFileSync(
  workerHostile,
  `import { z } from 'zod';
if (process.send) throw new Error('this plugin refuses worker processes');
class Unused {}
export default { kind: 'loss', name: 'worker-hostile', summary: 'loads only outside worker processes', schema: z.object({}).strict(), implementation: Unused };
`,
);

function experimentFile(dir: string, body: string): string {
  const file = join(dir, 'parallel.yaml');
  writeFileSync(file, `extends: ${resolve('experiments/_base/tiny-world.yaml')}\nname: parallel\n${body}`);
  return file;
}

/** Everything a trial's run records that must not depend on how it was scheduled. */
async function trialRecord(store: MlflowFileStore, run: StoredRun) {
  const metrics = Object.fromEntries(Object.entries(run.metrics).filter(([k]) => k !== 'train/ms_per_step').map(([k, m]) => [k, m.value]));
  const loss = (await store.metricHistory(run, 'train/loss')).map((p) => [p.step, p.value]);
  const tags = ['crops.configHash', 'crops.trialId', 'crops.seed', 'crops.backend', 'mlflow.source.name'].map((k) => run.tags[k]);
  return { status: run.status, params: run.params, metrics, loss, tags };
}

async function sweepRuns(cwd: string, experiment: string) {
  const store = new MlflowFileStore(join(cwd, 'mlruns'));
  const runs = await store.listRuns(experiment);
  const parents = runs.filter((r) => r.tags['crops.role'] === 'sweep');
  return { store, runs, parents, children: runs.filter((r) => r.tags['crops.role'] !== 'sweep') };
}

describe('crops run --parallel N', () => {
  it('gives every trial the same numbers and the same nested runs as a sequential sweep', async () => {
    const sequentialDir = mkdtempSync(join(tmpdir(), 'crops-seq-'));
    const parallelDir = mkdtempSync(join(tmpdir(), 'crops-par-'));
    const sequential = runCli(['run', QUICKSTART, ...SHORT], { cwd: sequentialDir });
    expect(sequential.status).toBe(0);
    const parallel = runCli(['run', QUICKSTART, ...SHORT, '--parallel', '2'], { cwd: parallelDir });
    expect(parallel.stderr).not.toMatch(/FAILED|exited unexpectedly/);
    expect(parallel.status).toBe(0);
    expect(parallel.stderr).toMatch(/sweep: 1\/2 trials done {2}ETA \d+s/);
    expect(parallel.stderr).toMatch(/sweep: 2\/2 trials done\n/);
    // the printed table is the same, row for row
    const table = (out: string) => out.split('\n').filter((l) => l.startsWith('labelScheme='));
    expect(table(parallel.stdout)).toHaveLength(2);
    expect(table(parallel.stdout)).toEqual(table(sequential.stdout));

    const seq = await sweepRuns(sequentialDir, 'quickstart');
    const par = await sweepRuns(parallelDir, 'quickstart');
    expect(par.parents).toHaveLength(1);
    expect(par.children.map((r) => r.runName).sort()).toEqual(seq.children.map((r) => r.runName).sort());
    expect(par.children).toHaveLength(2);
    expect(par.parents[0]!.status).toBe('FINISHED');
    expect(par.parents[0]!.params).toEqual(seq.parents[0]!.params);
    for (const child of par.children) {
      expect(child.tags['mlflow.parentRunId']).toBe(par.parents[0]!.runId);
      const twin = seq.children.find((r) => r.runName === child.runName)!;
      const [a, b] = [await trialRecord(par.store, child), await trialRecord(seq.store, twin)];
      expect(a.loss.length).toBeGreaterThanOrEqual(4);
      expect(a).toEqual(b);
    }

    // a re-run skips both finished trials before starting any worker
    const again = runCli(['run', QUICKSTART, ...SHORT, '--parallel', '2'], { cwd: parallelDir });
    expect(again.status).toBe(0);
    expect(again.stderr.match(/skipped: finished before/g)).toHaveLength(2);
    expect(again.stderr).not.toMatch(/training/);
  }, 180_000);

  it('records a failing trial and, with --keep-going, still finishes the others (axes given with --sweep)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-par-fail-'));
    const file = experimentFile(cwd, 'labelScheme: hla\ntrain: { steps: 20, logEvery: 5 }\n');
    // the axis comes from the command line: the workers must load the experiment with it
    const res = runCli(['run', file, '--sweep', 'loss=nan-loss,info-nce,h-info-nce', '--plugin', nanLoss, '--parallel', '2', '--keep-going'], { cwd });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/loss=nan-loss {2}FAILED: training loss is NaN at step 0/);
    expect(res.stderr).toMatch(/sweep: 3\/3 trials done \(1 failed\)/);
    expect(res.stdout).toMatch(/loss=info-nce\s+\d+\.\d+/);
    expect(res.stdout).toMatch(/loss=h-info-nce\s+\d+\.\d+/);
    const { runs, parents, children } = await sweepRuns(cwd, 'parallel');
    expect(runs).toHaveLength(4);
    expect(parents.map((r) => r.status)).toEqual(['FAILED']);
    expect(children.map((r) => [r.runName, r.status]).sort()).toEqual([
      ['loss=h-info-nce', 'FINISHED'],
      ['loss=info-nce', 'FINISHED'],
      ['loss=nan-loss', 'FAILED'],
    ]);
    const failed = children.find((r) => r.runName === 'loss=nan-loss')!;
    expect(failed.tags['crops.failure.step']).toBe('0');
    for (const c of children) expect(c.tags['mlflow.parentRunId']).toBe(parents[0]!.runId);
  }, 120_000);

  it('trains trials of one config once (a judge no source asks for), and runs a failed twin itself', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-par-twins-'));
    const file = experimentFile(cwd, 'labelScheme: hla\npositiveSource: [search-clicks]\ntrain: { steps: 20, logEvery: 5 }\nablate:\n  discriminator: [lexical, oracle]\n');
    const res = runCli(['run', file, '--sweep', 'loss=info-nce,nan-loss', '--plugin', nanLoss, '--parallel', '2', '--keep-going'], { cwd });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/discriminator=oracle,loss=info-nce {2}skipped: the same config as discriminator=lexical,loss=info-nce \(run [0-9a-f]{32}\)/);
    expect(res.stderr).toMatch(/discriminator=oracle,loss=nan-loss {2}FAILED: training loss is NaN/);
    expect(res.stderr).toMatch(/sweep: 4\/4 trials done \(2 failed, 1 skipped\)/);
    const { store, parents, children } = await sweepRuns(cwd, 'parallel');
    expect(children.map((r) => [r.runName, r.status]).sort()).toEqual([
      ['discriminator=lexical,loss=info-nce', 'FINISHED'],
      ['discriminator=lexical,loss=nan-loss', 'FAILED'],
      ['discriminator=oracle,loss=nan-loss', 'FAILED'],
    ]);
    const trained = children.find((r) => r.runName === 'discriminator=lexical,loss=info-nce')!;
    // no source of these trials consults a judge, so the config (and its hash) names none
    expect(Object.keys(trained.params).filter((k) => k.startsWith('discriminator'))).toEqual([]);
    const manifest = JSON.parse((await new FileSweepReader(store.root).readArtifact(parents[0]!, 'sweep.json'))!) as { trials: Array<{ id: string; status: string; runId?: string }> };
    expect(manifest.trials.find((t) => t.id === 'discriminator=oracle,loss=info-nce')).toMatchObject({ status: 'SKIPPED', runId: trained.runId });
    const table = res.stdout.split('\n').filter((l) => l.includes('loss=info-nce'));
    expect(table).toHaveLength(2);
    expect(table[1]!.replace(/\s+skipped$/, '').split(/\s+/).slice(1)).toEqual(table[0]!.replace(/\s+finished$/, '').split(/\s+/).slice(1));
    // `crops status` lists the twin with the run it reused, in trial order
    const status = runCli(['status', file], { cwd });
    expect(status.stdout.split('\n').filter((l) => l.startsWith('-')).map((l) => l.split(/\s{2,}/).slice(1, 4))).toEqual([
      ['discriminator=lexical,loss=info-nce', '-', 'FINISHED'],
      ['discriminator=lexical,loss=nan-loss', '-', 'FAILED'],
      ['discriminator=oracle,loss=info-nce', '-', 'SKIPPED (reused)'],
      ['discriminator=oracle,loss=nan-loss', '-', 'FAILED'],
    ]);
    expect(status.stdout).toContain(`SKIPPED (reused)  ${trained.runId}`);
  }, 180_000);

  it('stops before recording anything when a worker cannot load the experiment', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-par-start-'));
    const file = experimentFile(cwd, 'train: { steps: 20 }\nseeds: [1, 2]\n');
    const res = runCli(['run', file, '--plugin', workerHostile, '--parallel', '2'], { cwd });
    expect(res.stderr).toMatch(/error trial workers could not start: --plugin .*worker-hostile\.js: cannot load module: this plugin refuses worker processes/);
    expect(res.status).toBe(1);
    expect((await sweepRuns(cwd, 'parallel')).runs).toEqual([]);
  });

  it('on Ctrl-C marks the running trials KILLED, leaves unstarted ones alone, exits 130, and resumes', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-par-sigint-'));
    // worker 1 finishes the short trial and picks up the third; the fourth is still queued at the interrupt
    const file = experimentFile(cwd, 'train: { logEvery: 5 }\nablate:\n  train.steps: [20, 100000, 100001, 30]\n');
    const first = await interruptedRun(cwd, file, (err) => err.includes('train.steps=100001  training') && err.includes('train.steps=100000  training'));
    expect(first.stderr).toMatch(/interrupt: stopping after recording the running trials as KILLED/);
    expect(first.stderr).toMatch(/train\.steps=20 {2}done in/);
    expect(first.code).toBe(130);
    const firstRuns = await sweepRuns(cwd, 'parallel');
    const { store } = firstRuns;
    let { parents, children } = firstRuns;
    expect(parents.map((r) => [r.runName, r.status])).toEqual([['parallel (4 trials)', 'KILLED']]);
    expect(children.map((r) => [r.runName, r.status]).sort()).toEqual([
      ['train.steps=100000', 'KILLED'],
      ['train.steps=100001', 'KILLED'],
      ['train.steps=20', 'FINISHED'],
    ]);
    for (const c of children) {
      expect(c.tags['mlflow.parentRunId']).toBe(parents[0]!.runId);
      // metrics logged before the interrupt were flushed
      expect(Object.keys(c.metrics)).toContain('train/loss');
    }
    const killed = children.find((r) => r.status === 'KILLED')!;
    expect(await store.findFinished('parallel', killed.tags['crops.configHash']!)).toBeUndefined();

    // the next run skips the finished trial and starts the killed ones again
    const second = await interruptedRun(cwd, file, (err) => err.includes('train.steps=100001  training') && err.includes('train.steps=100000  training'));
    expect(second.code).toBe(130);
    expect(second.stderr.match(/skipped: finished before/g)).toHaveLength(1);
    ({ parents, children } = await sweepRuns(cwd, 'parallel'));
    expect(parents.map((r) => r.status)).toEqual(['KILLED', 'KILLED']);
    expect(children.filter((r) => r.status === 'KILLED').map((r) => r.runName).sort()).toEqual(['train.steps=100000', 'train.steps=100000', 'train.steps=100001', 'train.steps=100001']);
    expect(children.some((r) => r.runName === 'train.steps=30')).toBe(false);
  }, 180_000);
});

/** Starts `crops run --parallel 2` in its own process group and sends SIGINT to the whole group, as a terminal's Ctrl-C does. */
async function interruptedRun(cwd: string, file: string, ready: (stderr: string) => boolean): Promise<{ code: number | null; stderr: string }> {
  const child = spawnCli([resolve('bin/crops-dev.js'), 'run', file, '--parallel', '2'], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
  let stderr = '';
  let sent = false;
  const code = await new Promise<number | null>((done) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && ready(stderr)) {
        sent = true;
        setTimeout(() => process.kill(-child.pid!, 'SIGINT'), 1500);
      }
    });
    child.on('exit', (c) => done(c));
  });
  return { code, stderr };
}
