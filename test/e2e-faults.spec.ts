import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowFileStore } from '../src/tracking/file-store.ts';
import { runCli, spawnCli } from './support/cli.ts';
import { writeNanLossPlugin } from './support/nan-loss-plugin.ts';

const { file: nanLoss } = writeNanLossPlugin('faults');

function experiment(dir: string, steps: number): string {
  const file = join(dir, 'faults.yaml');
  writeFileSync(
    file,
    `extends: ${resolve('experiments/_base/tiny-world.yaml')}
name: faults
labelScheme: hla
train: { steps: ${steps}, logEvery: 5 }
ablate:
  loss: [nan-loss, info-nce]
`,
  );
  return file;
}

describe('faults leave every finished result recorded and the sweep resumable', () => {
  it('records a NaN loss as a FAILED trial with its step, stops the sweep, and continues with --keep-going', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-faults-'));
    const file = experiment(cwd, 20);
    const stopped = runCli(['run', file, '--plugin', nanLoss], { cwd });
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toMatch(/loss=nan-loss {2}FAILED: training loss is NaN at step 0/);
    const store = new MlflowFileStore(join(cwd, 'mlruns'));
    let runs = await store.listRuns('faults');
    expect(runs.map((r) => [r.runName, r.status]).sort()).toEqual([
      ['faults (2 trials)', 'FAILED'],
      ['loss=nan-loss', 'FAILED'],
    ]);
    const failed = runs.find((r) => r.runName === 'loss=nan-loss')!;
    expect(failed.tags['crops.error']).toMatch(/NaN at step 0/);
    expect(failed.tags['crops.failure.step']).toBe('0');

    const going = runCli(['run', file, '--plugin', nanLoss, '--keep-going'], { cwd });
    expect(going.status).toBe(1);
    expect(going.stdout).toMatch(/loss=info-nce\s+\d+\.\d+/);
    runs = await store.listRuns('faults');
    expect(runs.filter((r) => r.runName === 'loss=info-nce').map((r) => r.status)).toEqual(['FINISHED']);
    // the failed trial was tried again, not skipped
    expect(runs.filter((r) => r.runName === 'loss=nan-loss')).toHaveLength(2);
  });

  it('marks the running trial KILLED on Ctrl-C, exits 130, and leaves it to be re-run', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-sigint-'));
    const file = experiment(cwd, 100_000);
    const child = spawnCli([resolve('bin/crops-dev.js'), 'run', file, '--only', 'info-nce', '--plugin', nanLoss], {
      cwd,
      env: { ...process.env, MLFLOW_TRACKING_URI: '' },
    });
    let stderr = '';
    const code = await new Promise<number | null>((done) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('training') && !child.killed) setTimeout(() => child.kill('SIGINT'), 1500);
      });
      child.on('exit', (c) => done(c));
    });
    expect(stderr).toMatch(/interrupt: stopping/);
    expect(code).toBe(130);
    const store = new MlflowFileStore(join(cwd, 'mlruns'));
    const runs = await store.listRuns('faults');
    expect(runs.map((r) => [r.runName, r.status]).sort()).toEqual([
      ['faults (1 trial)', 'KILLED'],
      ['loss=info-nce', 'KILLED'],
    ]);
    const trial = runs.find((r) => r.runName === 'loss=info-nce')!;
    // metrics logged before the interrupt were flushed
    expect(Object.keys(trial.metrics)).toContain('train/loss');
    // resume only skips FINISHED runs, so the same trial runs again next time
    expect(await store.findFinished('faults', trial.tags['crops.configHash']!)).toBeUndefined();
  });
});
