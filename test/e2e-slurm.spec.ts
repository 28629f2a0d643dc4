import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowFileStore } from '../src/tracking/file-store.ts';
import { BIN as CLI, runCli, spawnCli } from './support/cli.ts';
import { writeNanLossPlugin } from './support/nan-loss-plugin.ts';
import { slurmCluster } from './support/slurm/slurm-cluster.ts';

// End-to-end through the real CLI on a real (single-node) Slurm cluster: sbatch, squeue, scancel
// and the job-completion file. Step counts stay small: the test cluster shares the CI machine.
const cluster = slurmCluster();
const { file: nanLoss } = writeNanLossPlugin('slurm');
const QUICKSTART = resolve('experiments/quickstart.yaml');
const MINUTES = 60_000;

const trialMetrics = async (cwd: string, experiment: string) => {
  const runs = await new MlflowFileStore(join(cwd, 'mlruns')).listRuns(experiment);
  return Object.fromEntries(runs.filter((r) => r.tags['crops.role'] !== 'sweep').map((r) => [r.runName, Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !k.startsWith('train/')).map(([k, m]) => [k, m.value]))]));
};

const runs = async (cwd: string, experiment: string) => new MlflowFileStore(join(cwd, 'mlruns')).listRuns(experiment);

describe.skipIf(!cluster.ready)('crops run --launcher slurm on a real Slurm cluster', () => {
  it('gives the quickstart the same metrics as a local run', async () => {
    const local = mkdtempSync(join(tmpdir(), 'crops-slurm-local-'));
    const slurm = mkdtempSync(join(tmpdir(), 'crops-slurm-'));
    const args = ['run', QUICKSTART, '--set', 'train.steps=30'];
    const a = runCli(args, { cwd: local });
    expect(a.status, a.stderr).toBe(0);
    const b = runCli([...args, '--launcher', 'slurm', '--parallel', '2'], { cwd: slurm, timeoutMs: 5 * MINUTES });
    expect(b.status, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/submitted job array \d+: 2 trials, at most 2 at once/);
    expect(b.stderr).toMatch(/running on \S+ \(task \d+_1/);
    const localMetrics = await trialMetrics(local, 'quickstart');
    expect(Object.keys(localMetrics).sort()).toEqual(['labelScheme=binary,loss=info-nce', 'labelScheme=hla,loss=h-info-nce']);
    expect(await trialMetrics(slurm, 'quickstart')).toEqual(localMetrics);
    // the printed tables agree too
    const table = (out: string) => out.split('\n').filter((l) => l.startsWith('labelScheme='));
    expect(table(b.stdout)).toEqual(table(a.stdout));
    const sweep = (await runs(slurm, 'quickstart')).find((r) => r.tags['crops.role'] === 'sweep')!;
    expect(sweep.status).toBe('FINISHED');
    expect(sweep.tags['crops.launcher']).toBe('slurm');
  }, 8 * MINUTES);

  it('records a task cancelled mid-trial as KILLED and one killed without a word as FAILED, and a re-run submits only those', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-slurm-cancel-'));
    const file = join(cwd, 'cancel.yaml');
    writeFileSync(file, `extends: ${resolve('experiments/_base/tiny-world.yaml')}\nname: slurm-cancel\nlabelScheme: hla\nloss: h-info-nce\nablate:\n  train.steps: [20, 100, 101]\n`);
    const child = spawnCli([CLI, 'run', file, '--launcher', 'slurm', '--parallel', '3'], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const stopped = new Set<string>();
    // once a long trial is training: scancel one (SIGTERM, which the task traps), SIGKILL the other
    // (the task dies without a word, as after a time limit's grace period or the OOM killer)
    const stopWhenTraining = (task: string, log: string, stop: () => void) => {
      stopped.add(task);
      const timer = setInterval(() => {
        if (!existsSync(log) || !readFileSync(log, 'utf8').includes('training')) return;
        clearInterval(timer);
        setTimeout(stop, 1000);
      }, 200);
    };
    // the task's own process, found through the scheduler (single node: it runs on this machine)
    const killTask = (job: string, task: string) => {
      const raw = spawnSync('squeue', ['-h', '-r', '-j', job, '-o', '%K %A'], { encoding: 'utf8' }).stdout.split('\n').find((l) => l.startsWith(`${task} `))?.split(' ')[1];
      const pids = spawnSync('scontrol', ['listpids', raw ?? 'none'], { encoding: 'utf8' }).stdout.split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).filter((p) => p > 0);
      for (const pid of pids) process.kill(pid, 'SIGKILL');
    };
    const code = await new Promise<number | null>((done) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        for (const m of stderr.matchAll(/running on \S+ \(task (\d+)_([12]); log (\S+)\)/g)) {
          const [, job, task, log] = m;
          if (stopped.has(task!)) continue;
          stopWhenTraining(task!, log!, task === '1' ? () => spawnSync('scancel', [`${job}_1`]) : () => killTask(job!, task!));
        }
      });
      child.on('exit', (c) => done(c));
    });
    expect([...stopped].sort(), stderr).toEqual(['1', '2']);
    // unfinished trials leave the sweep unfinished: exit 1, and the other trial's result stands
    expect(code, stderr).toBe(1);
    expect(stdout).toMatch(/train\.steps=20\s+\d+\.\d+.*finished/);
    expect(stdout).toMatch(/train\.steps=100\s.*killed/);
    expect(stdout).toMatch(/train\.steps=101\s.*failed/);
    let all = await runs(cwd, 'slurm-cancel');
    const killed = all.find((r) => r.runName === 'train.steps=100')!;
    expect(killed.status).toBe('KILLED');
    expect(killed.tags['crops.slurm.state']).toMatch(/^CANCELLED/);
    expect(killed.tags['crops.slurm.signal']).toBe('SIGTERM');
    const died = all.find((r) => r.runName === 'train.steps=101')!;
    expect(died.status).toBe('FAILED');
    expect(died.tags['crops.slurm.state']).toBeTruthy();
    expect(died.tags['crops.error']).toBeTruthy();
    expect(all.filter((r) => r.status === 'RUNNING')).toEqual([]);

    // the re-run of the same file skips the finished trial and submits the other two
    const again = runCli(['run', file, '--launcher', 'slurm', '--parallel', '2'], { cwd, timeoutMs: 5 * MINUTES });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/train\.steps=20 {2}skipped: finished before/);
    expect(again.stderr).toMatch(/submitted job array \d+: 2 trials,/);
    all = await runs(cwd, 'slurm-cancel');
    const byTrial = (id: string) => all.filter((r) => r.runName === id).map((r) => r.status).sort();
    expect(byTrial('train.steps=20')).toEqual(['FINISHED']);
    expect(byTrial('train.steps=100')).toEqual(['FINISHED', 'KILLED']);
    expect(byTrial('train.steps=101')).toEqual(['FAILED', 'FINISHED']);
  }, 8 * MINUTES);

  it('submits trials of one config once, attached and detached, and records the twins with the run they share', async () => {
    const body = `extends: ${resolve('experiments/_base/tiny-world.yaml')}\nname: slurm-twins\nlabelScheme: hla\npositiveSource: [search-clicks]\ntrain: { steps: 20 }\nablate:\n  discriminator: [lexical, oracle]\n  loss: [info-nce, nan-loss]\n`;
    const plugin = ['--plugin', nanLoss];
    const attachedDir = mkdtempSync(join(tmpdir(), 'crops-slurm-twins-'));
    writeFileSync(join(attachedDir, 'twins.yaml'), body);
    const attached = runCli(['run', 'twins.yaml', ...plugin, '--launcher', 'slurm', '--parallel', '2'], { cwd: attachedDir, timeoutMs: 5 * MINUTES });
    expect(attached.status, attached.stderr).toBe(1);
    expect(attached.stderr).toMatch(/submitted job array \d+: 2 trials \(2 more share their configs\), at most 2 at once/);
    expect(attached.stderr).toMatch(/discriminator=oracle,loss=info-nce {2}skipped: the same config as discriminator=lexical,loss=info-nce \(run [0-9a-f]{32}\)/);
    expect(attached.stderr).toMatch(/discriminator=oracle,loss=nan-loss {2}not run: the same config as discriminator=lexical,loss=nan-loss, which did not finish/);
    const trained = (await runs(attachedDir, 'slurm-twins')).filter((r) => r.tags['crops.role'] !== 'sweep');
    expect(trained.map((r) => [r.runName, r.status]).sort()).toEqual([
      ['discriminator=lexical,loss=info-nce', 'FINISHED'],
      ['discriminator=lexical,loss=nan-loss', 'FAILED'],
    ]);
    const status = runCli(['status', 'twins.yaml', ...plugin], { cwd: attachedDir });
    expect(status.stdout).toMatch(/-\s+discriminator=oracle,loss=info-nce\s+-\s+same config as discriminator=lexical,loss=info-nce/);

    // detached, the job that ends the sweep writes the twin of the finished trial into the manifest, with its run
    const detachedDir = mkdtempSync(join(tmpdir(), 'crops-slurm-twins-detached-'));
    writeFileSync(join(detachedDir, 'twins.yaml'), body);
    const detached = runCli(['run', 'twins.yaml', ...plugin, '--launcher', 'slurm', '--parallel', '2', '--detach'], { cwd: detachedDir });
    expect(detached.status, detached.stderr).toBe(0);
    expect(detached.stdout).toMatch(/submitted 2 trials as job array \d+/);
    const deadline = Date.now() + 4 * MINUTES;
    let sweep = (await runs(detachedDir, 'slurm-twins')).find((r) => r.tags['crops.role'] === 'sweep')!;
    while (sweep.status === 'RUNNING' && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 2000));
      sweep = (await runs(detachedDir, 'slurm-twins')).find((r) => r.tags['crops.role'] === 'sweep')!;
    }
    expect(sweep.status).toBe('FAILED');
    const manifest = JSON.parse(readFileSync(join(detachedDir, 'mlruns', sweep.experimentId, sweep.runId, 'artifacts', 'sweep.json'), 'utf8')) as { trials: Array<{ id: string; status: string; runId?: string }> };
    const leader = (await runs(detachedDir, 'slurm-twins')).find((r) => r.runName === 'discriminator=lexical,loss=info-nce')!;
    expect(manifest.trials.map((t) => [t.id, t.status, t.runId]).sort()).toEqual([
      ['discriminator=lexical,loss=info-nce', 'FINISHED', leader.runId],
      ['discriminator=lexical,loss=nan-loss', 'FAILED', expect.stringMatching(/^[0-9a-f]{32}$/)],
      ['discriminator=oracle,loss=info-nce', 'SKIPPED', leader.runId],
    ]);
  }, 10 * MINUTES);

  it('--detach returns with the job id; status shows scheduler and MLflow state; a failing trial leaves the other finished; report reads the sweep', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-slurm-detach-'));
    const file = join(cwd, 'faults.yaml');
    writeFileSync(file, `extends: ${resolve('experiments/_base/tiny-world.yaml')}\nname: slurm-faults\nlabelScheme: hla\ntrain: { steps: 20 }\nablate:\n  loss: [nan-loss, info-nce]\n`);
    const plugin = ['--plugin', nanLoss];
    const detached = runCli(['run', file, ...plugin, '--launcher', 'slurm', '--parallel', '2', '--detach'], { cwd });
    expect(detached.status, detached.stderr).toBe(0);
    const jobId = /submitted 2 trials as job array (\d+); sweep run (\w+)/.exec(detached.stdout);
    expect(jobId, detached.stdout).not.toBeNull();
    const sweepRunId = jobId![2]!;
    // right away the trials are queued or running, and the sweep run is open
    const early = runCli(['status', sweepRunId], { cwd });
    expect(early.status, early.stderr).toBe(0);
    expect(early.stdout).toContain(`sweep run ${sweepRunId}`);
    expect(early.stdout).toMatch(new RegExp(`${jobId![1]}_0\\s+loss=nan-loss\\s+(PENDING|RUNNING|COMPLETED|FAILED)`));

    // the finishing job ends the sweep run once the array is done
    let status = early;
    const deadline = Date.now() + 4 * MINUTES;
    while (!/^sweep run \w+ \(.*\): (FAILED|FINISHED|KILLED)/.test(status.stdout) && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 2000));
      status = runCli(['status', file, ...plugin], { cwd });
    }
    expect(status.stdout).toMatch(/: FAILED, Slurm job array \d+/);
    expect(status.stdout).toMatch(/_0\s+loss=nan-loss\s+FAILED\s+FAILED/);
    expect(status.stdout).toMatch(/_1\s+loss=info-nce\s+COMPLETED\s+FINISHED/);
    const all = await runs(cwd, 'slurm-faults');
    expect(all.map((r) => [r.runName, r.status]).sort()).toEqual([
      ['loss=info-nce', 'FINISHED'],
      ['loss=nan-loss', 'FAILED'],
      ['slurm-faults (2 trials)', 'FAILED'],
    ]);
    expect(all.find((r) => r.runName === 'loss=nan-loss')!.tags['crops.error']).toMatch(/NaN at step 0/);

    const report = runCli(['report', file, ...plugin], { cwd });
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toContain(`sweep run ${sweepRunId}`);
    expect(report.stdout).toMatch(/loss=info-nce/);
  }, 8 * MINUTES);
});
