/**
 * The `slurm` launcher: one job array per sweep, one array task per pending trial, at most
 * `--parallel` running at once (`--array=0-N%K`). Every task runs crops on its trial from the
 * experiment file and code on the shared path (the working directory), and records the trial in
 * the sweep's MLflow store, which the nodes must reach: an http(s) server, or a file store under
 * the working directory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SlurmSettings } from '../../config/launcher-settings.ts';
import type { Experiment, Trial } from '../../config/experiment.ts';
import { CropsError } from '../../core/errors.ts';
import type { LogLevel } from '../../core/logger.ts';
import { resolveTrackingUri, type TrackingTarget } from '../../tracking/tracking-uri.ts';
import type { LaunchContext, LaunchedTrials, Launcher } from '../launcher.ts';
import type { TrialResult } from '../trial-runner.ts';
import { sbatch, scancel } from './slurm-commands.ts';
import { jobFile, jobIdFile, taskLog, writeJson, type SlurmJobSpec } from './slurm-job.ts';
import { watchArray } from './slurm-watch.ts';
import { openSweepStore } from './sweep-store.ts';

/** Runs a TypeScript module through tsx with the project's tsconfig, as `bin/crops.js` does. */
const RUN_TS = fileURLToPath(new URL('../../../bin/run-ts.js', import.meta.url));

export interface SlurmLauncherOptions {
  settings: SlurmSettings;
  /** the module an array task runs: `<entry> task JOB_JSON` runs a trial, `<entry> finish JOB_JSON` ends a detached sweep */
  taskEntry: string;
  /** JSON-serialisable arguments the task loads the experiment and plugins from */
  load: unknown;
  cacheRoot: string;
  logLevel: LogLevel;
  /** the working directory, which every node must see at the same path */
  cwd: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class SlurmLauncher implements Launcher {
  readonly name = 'slurm';
  private tracking: TrackingTarget | undefined;

  constructor(private readonly opts: SlurmLauncherOptions) {}

  check(experiment: Experiment): void {
    const tracker = experiment.trials[0]!.config.tracker as { use: string; params?: { trackingUri?: string } };
    const where = `${experiment.file}: tracker`;
    if (tracker.use !== 'mlflow') {
      throw new CropsError(`${where}: launcher slurm needs the mlflow tracker (got '${tracker.use}'): the trials run on other machines and report through MLflow`, 2);
    }
    let target: TrackingTarget;
    try {
      target = resolveTrackingUri(tracker.params?.trackingUri, process.env, this.opts.cwd);
    } catch (e) {
      throw new CropsError(`${where}.params.trackingUri: ${(e as Error).message}`, 2);
    }
    if (target.kind === 'file') {
      const rel = relative(this.opts.cwd, target.root);
      if (rel.startsWith('..') || isAbsolute(rel)) {
        throw new CropsError(
          `${where}.params.trackingUri: the file store ${target.root} is outside the working directory ${this.opts.cwd}, the path the cluster's nodes share; ` +
            'use a store under it (e.g. ./mlruns) or an http(s):// MLflow tracking server',
          2,
        );
      }
    }
    this.tracking = target;
  }

  async launch(pending: Trial[], ctx: LaunchContext): Promise<LaunchedTrials> {
    const tracking = this.tracking;
    if (!tracking) throw new Error('SlurmLauncher.launch before check');
    const { experiment, parent } = ctx;
    const dir = join(this.opts.cacheRoot, 'slurm', parent.runId);
    await mkdir(dir, { recursive: true });
    const spec: SlurmJobSpec = {
      load: this.opts.load,
      experimentName: experiment.name,
      experimentFile: experiment.file,
      experimentHash: experiment.hash,
      trials: pending.map((t) => t.index),
      trialCount: experiment.trials.length,
      parent,
      tags: ctx.tags,
      tracking,
      cacheRoot: this.opts.cacheRoot,
      logLevel: this.opts.logLevel,
      report: experiment.report,
      skipped: ctx.skipped.map((r) => ({ id: r.trial.id, seed: r.trial.config.seed, status: r.status, runId: r.runId })),
      trialInfo: pending.map((t) => ({ id: t.id, seed: t.config.seed })),
    };
    await writeJson(jobFile(dir), spec);
    const s = this.opts.settings;
    const name = s.jobName ?? `crops-${experiment.name.replace(/[^\w.-]+/g, '_')}`;
    const common = [
      ...(s.partition ? [`--partition=${s.partition}`] : []),
      ...(s.account ? [`--account=${s.account}`] : []),
      ...(s.qos ? [`--qos=${s.qos}`] : []),
      `--chdir=${this.opts.cwd}`,
    ];
    const command = (mode: string) => `exec ${quote(process.execPath)} ${quote(RUN_TS)} ${quote(this.opts.taskEntry)} ${mode} ${quote(jobFile(dir))}`;
    const script = (options: string[], mode: string) =>
      ['#!/bin/bash', ...options.map((o) => `#SBATCH ${o}`), '# environment set-up (launcher.setup)', ...s.setup, command(mode), ''].join('\n');
    const arrayScript = script(
      [
        `--job-name=${name}`,
        `--array=0-${pending.length - 1}%${ctx.parallel}`,
        `--output=${join(dir, 'task-%a.log')}`,
        // a requeued task (node failure, preemption) appends to its log instead of wiping it
        '--open-mode=append',
        ...common,
        ...(s.time ? [`--time=${s.time}`] : []),
        ...(s.mem ? [`--mem=${s.mem}`] : []),
        ...(s.cpusPerTask ? [`--cpus-per-task=${s.cpusPerTask}`] : []),
        ...(s.gres ? [`--gres=${s.gres}`] : []),
        ...s.sbatch,
      ],
      'task',
    );
    await writeFile(join(dir, 'array.sbatch'), arrayScript);
    let jobId: string;
    try {
      jobId = await sbatch(arrayScript);
    } catch (e) {
      if (e instanceof CropsError) throw e;
      throw new CropsError(`launcher slurm: the job array was not accepted: ${(e as Error).message}`, 2);
    }
    await writeFile(jobIdFile(dir), `${jobId}\n`);
    ctx.progress.line(`submitted job array ${jobId}: ${pending.length} trial${pending.length === 1 ? '' : 's'}, at most ${ctx.parallel} at once; logs in ${relative(this.opts.cwd, dir) || dir}`);
    const sweepTags = { 'crops.slurm.jobId': jobId, 'crops.slurm.dir': dir };
    if (ctx.detach) {
      // a small job after the array ends the sweep run: the manifest, the final status, runs left RUNNING
      const finishScript = script([`--job-name=${name}-finish`, `--dependency=afterany:${jobId}`, `--output=${join(dir, 'finish.log')}`, ...common, '--ntasks=1'], 'finish');
      await writeFile(join(dir, 'finish.sbatch'), finishScript);
      const finishId = await sbatch(finishScript);
      return { id: jobId, sweepTags: { ...sweepTags, 'crops.slurm.finishJobId': finishId }, completion: () => Promise.resolve([]), cancel: () => scancel(jobId) };
    }
    return new AttachedArray(jobId, sweepTags, spec, dir, pending, ctx, this.opts.settings.pollSeconds * 1000);
  }
}

/** An array followed from the submitting process. */
class AttachedArray implements LaunchedTrials {
  private cancelled = false;

  constructor(
    readonly id: string,
    readonly sweepTags: Record<string, string>,
    private readonly spec: SlurmJobSpec,
    private readonly dir: string,
    private readonly pending: Trial[],
    private readonly ctx: LaunchContext,
    private readonly pollMs: number,
  ) {}

  async completion(onResult: (result: TrialResult) => void): Promise<TrialResult[]> {
    const results: TrialResult[] = [];
    const { progress, experiment } = this.ctx;
    const total = experiment.trials.length;
    const head = (task: number) => `[${this.pending[task]!.index + 1}/${total}] ${this.pending[task]!.id}`;
    await watchArray(this.spec, this.dir, this.id, openSweepStore(this.spec.tracking), {
      pollMs: this.pollMs,
      cancelled: () => this.cancelled,
      onQueued: (task, q) => {
        if (q.state === 'RUNNING') progress.line(`${head(task)}  running on ${q.node} (task ${this.id}_${task}; log ${taskLog(this.dir, task)})`);
        else if (q.state !== 'PENDING' && q.state !== 'COMPLETING') progress.line(`${head(task)}  ${q.state.toLowerCase()}${q.reason && q.reason !== 'None' ? ` (${q.reason})` : ''}`);
      },
      onRunning: (runs) => {
        if (!progress.tty) return;
        runs.forEach((run, task) => {
          const loss = run.metrics['train/loss'];
          progress.slot(task).live = `${head(task)}  running on the cluster${loss === undefined ? '' : `  loss ${loss.toPrecision(4)}`}`;
        });
        progress.redraw(true);
      },
      onEnded: (task, r) => {
        if (progress.tty) progress.release(task);
        if (!r) return;
        const result: TrialResult = { trial: this.pending[task]!, status: r.status, metrics: r.metrics, runId: r.runId, error: r.error, seconds: r.seconds };
        results.push(result);
        onResult(result);
      },
    });
    return results;
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
    this.ctx.progress.log(`cancelling job array ${this.id} (scancel); started trials are recorded as KILLED`);
    await scancel(this.id).catch((e: Error) => this.ctx.progress.log(`scancel ${this.id}: ${e.message}`));
  }
}
