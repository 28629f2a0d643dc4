import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowFileStore } from '../src/tracking/file-store.ts';
import { BIN as CLI, spawnCli } from './support/cli.ts';

const BIN = CLI;

function experiment(dir: string, steps: number, ablate = ''): string {
  const file = join(dir, 'owners.yaml');
  writeFileSync(file, `extends: ${resolve('experiments/_base/tiny-world.yaml')}\nname: owners\nlabelScheme: hla\nloss: info-nce\ntrain: { steps: ${steps}, logEvery: 5 }\n${ablate}`);
  return file;
}

function start(args: string[], cwd: string): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawnCli([BIN, ...args], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((done) => child.on('close', (c) => done(c)));
  return { child, out: () => out, exit };
}

const until = async (check: () => Promise<boolean> | boolean, ms = 120_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('runs never stay RUNNING after their owner is gone', () => {
  it('SIGKILL: the trial keeps the points it logged, and a re-run closes both runs as KILLED with the reason', { timeout: 300_000 }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-sigkill-'));
    const file = experiment(cwd, 100_000);
    const store = new MlflowFileStore(join(cwd, 'mlruns'));
    const first = start(['run', file], cwd);
    await until(() => first.out().includes('training'));
    // the first logged points reach the disk within about a second
    await until(async () => {
      const trial = (await store.listRuns('owners')).find((r) => r.runName !== 'owners (1 trial)');
      return trial !== undefined && (await store.metricHistory(trial, 'train/loss')).length >= 2;
    });
    first.child.kill('SIGKILL');
    await first.exit;
    let runs = await store.listRuns('owners');
    expect(runs.map((r) => r.status)).toEqual(['RUNNING', 'RUNNING']);
    const killed = runs.find((r) => r.runName !== 'owners (1 trial)')!;
    const points = (await store.metricHistory(killed, 'train/loss')).length;
    expect(points).toBeGreaterThanOrEqual(2);

    const again = start(['run', file, '--set', 'train.steps=5'], cwd);
    expect(await again.exit, again.out()).toBe(0);
    expect(again.out()).toMatch(/closed run 'owners \(1 trial\)' \(\w+\) left RUNNING: its owner, process \d+ on .+, ended without closing it/);
    runs = await store.listRuns('owners');
    for (const r of runs.filter((x) => [killed.runId, killed.tags['mlflow.parentRunId']].includes(x.runId))) {
      expect(r.status).toBe('KILLED');
      expect(r.tags['crops.endReason']).toMatch(/^closed by a later crops process: its owner, process \d+/);
    }
    expect((await store.metricHistory(killed, 'train/loss')).length).toBe(points);
    expect(runs.filter((r) => r.status === 'RUNNING')).toEqual([]);
  });

  it('a worker that dies: its trial run is closed by the sweep at once, with the reason', { timeout: 300_000 }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-worker-death-'));
    const file = experiment(cwd, 100_000, 'ablate:\n  train.lr: [0.003, 0.002]\n');
    const store = new MlflowFileStore(join(cwd, 'mlruns'));
    const sweep = start(['run', file, '--parallel', '2', '--keep-going'], cwd);
    let victim = 0;
    await until(async () => {
      const trial = (await store.listRuns('owners')).find((r) => r.tags['crops.role'] !== 'sweep' && r.tags['crops.owner.pid'] !== String(sweep.child.pid));
      victim = Number(trial?.tags['crops.owner.pid'] ?? 0);
      return victim > 0 && sweep.out().includes('training');
    });
    process.kill(victim, 'SIGKILL');
    await until(() => /closed run '.*' \(\w+\) left RUNNING: its owner, process \d+/.test(sweep.out()));
    sweep.child.kill('SIGINT');
    await sweep.exit;
    const runs = await store.listRuns('owners');
    const dead = runs.find((r) => r.tags['crops.owner.pid'] === String(victim))!;
    // the sweep saw its worker die mid-trial: the trial failed, with why
    expect(dead.status).toBe('FAILED');
    expect(dead.tags['crops.endReason']).toMatch(new RegExp(`closed by the sweep: its owner, process ${victim} on .+ ended without closing it`));
    expect(dead.tags['crops.error']).toMatch(/worker \d exited unexpectedly \(SIGKILL\)/);
    expect(runs.filter((r) => r.status === 'RUNNING')).toEqual([]);
  });

  it('two crops run of one experiment at once train each trial once: the second waits and takes the result', { timeout: 300_000 }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-twice-'));
    const file = experiment(cwd, 30, 'ablate:\n  train.lr: [0.003, 0.002]\n');
    const a = start(['run', file], cwd);
    const b = start(['run', file], cwd);
    expect(await a.exit, a.out()).toBe(0);
    expect(await b.exit, b.out()).toBe(0);
    const runs = await new MlflowFileStore(join(cwd, 'mlruns')).listRuns('owners');
    const finishedTrials = runs.filter((r) => r.tags['crops.role'] !== 'sweep' && r.status === 'FINISHED');
    expect(finishedTrials.map((r) => r.runName).sort()).toEqual(['train.lr=0.002', 'train.lr=0.003']);
    expect(`${a.out()}\n${b.out()}`).toMatch(/skipped: finished before as run/);
    expect(runs.filter((r) => r.status === 'RUNNING')).toEqual([]);
  });
});
