import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowFileStore } from '../src/tracking/file-store.ts';
import { BIN as CLI, spawnCli } from './support/cli.ts';

describe('crops run --parallel N when a worker process dies', () => {
  it('ends the dead worker\'s trial run FAILED with the reason, never leaving it RUNNING', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-worker-death-'));
    const file = join(cwd, 'death.yaml');
    writeFileSync(file, `extends: ${resolve('experiments/_base/tiny-world.yaml')}\nname: worker-death\ntrain: { steps: 100000 }\n`);
    const child = spawnCli([CLI, 'run', file, '--parallel', '2'], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
    let stderr = '';
    let killed = false;
    const code = await new Promise<number | null>((done) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!killed && stderr.includes('training')) {
          killed = true;
          // as the out-of-memory killer would: SIGKILL, no chance to record anything
          setTimeout(() => {
            const workers = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
            for (const pid of workers) process.kill(Number(pid), 'SIGKILL');
          }, 1000);
        }
      });
      child.on('exit', (c) => done(c));
    });
    expect(killed, stderr).toBe(true);
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/FAILED: worker 1 exited unexpectedly \(SIGKILL\)/);
    const runs = await new MlflowFileStore(join(cwd, 'mlruns')).listRuns('worker-death');
    expect(runs.map((r) => [r.runName, r.status]).sort()).toEqual([
      ['base', 'FAILED'],
      ['worker-death (1 trial)', 'FAILED'],
    ]);
    expect(runs.find((r) => r.runName === 'base')!.tags['crops.error']).toMatch(/worker 1 exited unexpectedly/);
  }, 120_000);
});
