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
import type { SlurmSettings } from '../config/launcher-settings.ts';
import type { Experiment, Trial } from '../config/experiment.ts';
import { CropsError } from '../core/errors.ts';
import type { LogLevel } from '../core/logger.ts';
import { TAG } from '../tracking/run-tags.ts';
import { resolveTrackingUri, type TrackingTarget } from '../tracking/tracking-uri.ts';
import type { HeldTwin, Launcher, LauncherStart, Submission, SweepRun } from './launcher.ts';
import type { Progress } from './progress.ts';
import { sbatch, scancel } from './slurm-commands.ts';
import { jobFile, jobIdFile, taskLog, writeJson, type SlurmJobSpec, type TaskResult } from './slurm-job.ts';
import { watchArray } from './slurm-watch.ts';
import { openSweepStore } from './sweep-store.ts';
import { fromReported, type TrialResult } from './trial-result.ts';

/** Runs a TypeScript module through tsx with the project's tsconfig, as `bin/crops.js` does. */
const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));

/** How the CLI wants the array tasks to run. */
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
  /** whether the experiment's tracker plugin keeps its runs in MLflow (trait `mlflow-runs`), which the nodes report through */
  trackerKeepsMlflowRuns: boolean;
}

/** The sweep the launcher serves. */
export interface SlurmSweep {
  experiment: Experiment;
  /** activates the backend this machine would pick; each trial records the one its node activated */
  activateBackend(): Promise<string>;
  progress: Progress;
  /** array tasks running at once, at most (`%K`) */
  parallel: number;
  /** leave the array running and return once it is submitted */
  detach: boolean;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A trial's result once its array task left the queue: undefined when it never started (cancelled). */
interface Deferred {
  promise: Promise<TaskResult | undefined>;
  resolve(result: TaskResult | undefined): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: (r: TaskResult | undefined) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<TaskResult | undefined>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // a watch that failed rejects every trial at once; the sweep loop sees the first
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class SlurmLauncher implements Launcher {
  private tracking: TrackingTarget | undefined;
  private jobId: string | undefined;
  private cancelled = false;
  /** array task of each submitted trial, by trial index */
  private readonly taskOf = new Map<number, number>();
  private readonly ended = new Map<number, Deferred>();
  /** progress slot of each array task, as the sweep loop handed it out */
  private readonly slotOf = new Map<number, number>();
  private watching: Promise<void> | undefined;

  constructor(
    private readonly opts: SlurmLauncherOptions,
    private readonly sweep: SlurmSweep,
  ) {}

  /** Refuses an experiment whose trials could not report from the cluster's nodes. */
  check(experiment: Experiment): void {
    const tracker = experiment.trials[0]!.config.tracker as { use: string; params?: { trackingUri?: string } };
    const where = `${experiment.file}: tracker`;
    if (!this.opts.trackerKeepsMlflowRuns) {
      throw new CropsError(`${where}: launcher slurm needs a tracker that keeps MLflow runs (got '${tracker.use}'): the trials run on other machines and report through MLflow`, 2);
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

  async start(pending: number): Promise<LauncherStart> {
    this.check(this.sweep.experiment);
    const parallel = Math.max(1, this.sweep.parallel);
    // every pending trial is handed to the scheduler at once; `%K` limits how many run
    return { backend: await this.sweep.activateBackend(), slots: pending, parallel, tags: { [TAG.launcher]: 'slurm' } };
  }

  async submit(pending: Trial[], { parent, tags }: SweepRun, reused: TrialResult[], twins: HeldTwin[]): Promise<Submission> {
    const tracking = this.tracking;
    if (!tracking) throw new Error('SlurmLauncher.submit before start');
    const { experiment, progress } = this.sweep;
    const parallel = Math.max(1, this.sweep.parallel);
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
      tags,
      tracking,
      cacheRoot: this.opts.cacheRoot,
      logLevel: this.opts.logLevel,
      report: experiment.report,
      skipped: reused.map((r) => ({ id: r.trial.id, seed: r.trial.config.seed, status: r.status, runId: r.runId })),
      trialInfo: pending.map((t) => ({ id: t.id, seed: t.config.seed })),
      twins: twins.map(({ twin, sameAs }) => ({ id: twin.id, seed: twin.config.seed, task: pending.indexOf(sameAs) })),
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
    // a compiled task module (the installed package) runs as it is; a TypeScript one (the sources) through tsx
    const runner = /\.[mc]?ts$/.test(this.opts.taskEntry) ? ` ${quote(RUN_TS)}` : '';
    const command = (mode: string) => `exec ${quote(process.execPath)}${runner} ${quote(this.opts.taskEntry)} ${mode} ${quote(jobFile(dir))}`;
    const script = (options: string[], mode: string) =>
      ['#!/bin/bash', ...options.map((o) => `#SBATCH ${o}`), '# environment set-up (launcher.setup)', ...s.setup, command(mode), ''].join('\n');
    const arrayScript = script(
      [
        `--job-name=${name}`,
        `--array=0-${pending.length - 1}%${parallel}`,
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
    this.jobId = jobId;
    // an interrupt that came while sbatch ran had no array to cancel yet
    if (this.cancelled) {
      this.cancelled = false;
      this.cancel();
    }
    await writeFile(jobIdFile(dir), `${jobId}\n`);
    const shared = twins.length > 0 ? ` (${twins.length} more share their configs)` : '';
    progress.line(`submitted job array ${jobId}: ${pending.length} trial${pending.length === 1 ? '' : 's'}${shared}, at most ${parallel} at once; logs in ${relative(this.opts.cwd, dir) || dir}`);
    const sweepTags = { [TAG.slurmJobId]: jobId, [TAG.slurmDir]: dir };
    if (this.sweep.detach) {
      // a small job after the array ends the sweep run: the manifest, the final status, runs left RUNNING
      const finishScript = script([`--job-name=${name}-finish`, `--dependency=afterany:${jobId}`, `--output=${join(dir, 'finish.log')}`, ...common, '--ntasks=1'], 'finish');
      await writeFile(join(dir, 'finish.sbatch'), finishScript);
      const finishId = await sbatch(finishScript);
      return { sweepTags: { ...sweepTags, [TAG.slurmFinishJobId]: finishId }, detached: { id: jobId } };
    }
    pending.forEach((t, task) => {
      this.taskOf.set(t.index, task);
      this.ended.set(task, deferred());
    });
    this.watching = this.watch(spec, dir, jobId, [...pending]);
    return { sweepTags };
  }

  accepts(): boolean {
    return !this.cancelled;
  }

  /** Waits for the array task of `trial` to leave the queue; the scheduler started it on `submit`. */
  async run(trial: Trial, slot: number): Promise<TrialResult | undefined> {
    const task = this.taskOf.get(trial.index);
    if (task === undefined) throw new Error(`trial ${trial.id} was not submitted`);
    this.slotOf.set(task, slot);
    const r = await this.ended.get(task)!.promise;
    if (!r) return undefined;
    return fromReported(trial, r);
  }

  /** Follows the array, settling each task's result as it leaves the queue; a failed watch (squeue gone) fails the sweep. */
  private async watch(spec: SlurmJobSpec, dir: string, jobId: string, pending: Trial[]): Promise<void> {
    const { progress, experiment } = this.sweep;
    const total = experiment.trials.length;
    const head = (task: number) => `[${pending[task]!.index + 1}/${total}] ${pending[task]!.id}`;
    try {
      await watchArray(spec, dir, jobId, openSweepStore(spec.tracking), {
        pollMs: this.opts.settings.pollSeconds * 1000,
        cancelled: () => this.cancelled,
        onQueued: (task, q) => {
          if (q.state === 'RUNNING') progress.line(`${head(task)}  running on ${q.node} (task ${jobId}_${task}; log ${taskLog(dir, task)})`);
          else if (q.state !== 'PENDING' && q.state !== 'COMPLETING') progress.line(`${head(task)}  ${q.state.toLowerCase()}${q.reason && q.reason !== 'None' ? ` (${q.reason})` : ''}`);
        },
        onRunning: (runs) => {
          if (!progress.tty) return;
          runs.forEach((run, task) => {
            const loss = run.metrics['train/loss'];
            progress.slot(this.slotOf.get(task) ?? task).live = `${head(task)}  running on the cluster${loss === undefined ? '' : `  loss ${loss.toPrecision(4)}`}`;
          });
          progress.redraw(true);
        },
        onEnded: (task, r) => {
          // the sweep loop reports finished and failed trials; one the scheduler or an interrupt stopped is said here
          if (r?.status === 'KILLED') progress.line(`${head(task)}  KILLED: ${r.error ?? 'cancelled'}`);
          this.ended.get(task)!.resolve(r);
        },
      });
    } catch (e) {
      const error = new Error(`lost track of job array ${jobId} (its tasks may still run; \`crops status\` follows them): ${e instanceof Error ? e.message : String(e)}`);
      this.ended.forEach((d) => d.reject(error));
    }
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const jobId = this.jobId;
    if (!jobId) return;
    this.sweep.progress.log(`cancelling job array ${jobId} (scancel); started trials are recorded as KILLED`);
    void scancel(jobId).catch((e: Error) => this.sweep.progress.log(`scancel ${jobId}: ${e.message}`));
  }

  async close(): Promise<void> {
    await this.watching;
  }
}
