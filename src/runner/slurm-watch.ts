/**
 * Follows a sweep's job array until every task has left the queue, and makes sure each task's
 * trial run ended: a task the scheduler killed outright (SIGKILL after a time limit, out of memory,
 * a failed node) could not end its own run, so its run is ended here, FAILED or KILLED, with the
 * scheduler's state as a tag. Used by an attached sweep and by the job that ends a detached one.
 */
import type { ReadRun } from '../tracking/sweep-reader.ts';
import { TAG } from '../tracking/run-tags.ts';
import { describeState, endedStates, runStatusForState, squeue, type QueuedTask } from './slurm-commands.ts';
import { readResult, type SlurmJobSpec, type TaskResult } from './slurm-job.ts';
import type { SweepStore } from './sweep-store.ts';

export interface WatchHooks {
  pollMs: number;
  /** true once the sweep cancelled the array: tasks that never started are then not failures */
  cancelled(): boolean;
  /** a task's state in the queue changed (PENDING -> RUNNING...) */
  onQueued?(task: number, queued: QueuedTask): void;
  /** every poll, with the trial runs of running tasks, for live progress */
  onRunning?(runs: Map<number, ReadRun>): void;
  /** a task left the queue; undefined when it never started a trial because the sweep was cancelled */
  onEnded(task: number, result: TaskResult | undefined): void;
}

/** Polls after a task left the queue before it is judged from the scheduler's record alone. */
const GRACE_POLLS = 3;

const taskOf = (r: ReadRun) => Number(r.tags[TAG.slurmTaskId]);

export async function watchArray(spec: SlurmJobSpec, dir: string, jobId: string, store: SweepStore, hooks: WatchHooks): Promise<void> {
  const open = new Set(spec.trials.map((_, task) => task));
  const lastState = new Map<number, string>();
  const absentPolls = new Map<number, number>();
  const runsOf = async () => {
    const runs = await store.reader.childRuns(spec.parent);
    return runs.filter((r) => r.tags[TAG.slurmJobId] === jobId);
  };
  while (open.size > 0) {
    const queue = await squeue(jobId);
    let states: Map<number, string> | undefined;
    let runs: ReadRun[] | undefined;
    for (const task of [...open]) {
      const queued = queue.get(task);
      if (queued) {
        if (lastState.get(task) !== queued.state) hooks.onQueued?.(task, queued);
        lastState.set(task, queued.state);
        continue;
      }
      states ??= await endedStates(jobId);
      const state = states.get(task);
      const result = await readResult(dir, task);
      if (result) {
        // the trial stopped because the scheduler stopped it (not a failure of its own): say so on its run
        if (result.status !== 'FINISHED' && state && !/^(COMPLETED|FAILED)/.test(state) && result.runId) {
          await store.setTags({ experimentId: spec.parent.experimentId, runId: result.runId }, { [TAG.slurmState]: state, [TAG.slurmReason]: describeState(state) });
          result.error = `${describeState(state)} (${result.error ?? result.status})`;
        }
        open.delete(task);
        hooks.onEnded(task, result);
        continue;
      }
      // the result file may lag behind the queue on a shared file system; the scheduler's record too
      const polls = (absentPolls.get(task) ?? 0) + 1;
      absentPolls.set(task, polls);
      if (polls < GRACE_POLLS) continue;
      runs ??= await runsOf();
      const run = runs.filter((r) => taskOf(r) === task).at(-1);
      const finalState = state ?? (hooks.cancelled() ? 'CANCELLED' : 'UNKNOWN');
      const status = runStatusForState(finalState);
      const error = describeState(finalState);
      open.delete(task);
      if (run?.status === 'RUNNING') {
        await store.close(run, status, { [TAG.error]: error, [TAG.slurmState]: finalState, [TAG.slurmReason]: error });
      }
      if (!run && hooks.cancelled()) hooks.onEnded(task, undefined);
      else hooks.onEnded(task, { index: spec.trials[task]!, status: run?.status === 'FINISHED' ? 'FINISHED' : status, metrics: {}, runId: run?.runId, error, seconds: 0 });
    }
    if (open.size === 0) break;
    if (hooks.onRunning) {
      const running = (runs ?? (await runsOf())).filter((r) => r.status === 'RUNNING');
      hooks.onRunning(new Map(running.map((r) => [taskOf(r), r])));
    }
    await new Promise((done) => setTimeout(done, hooks.pollMs));
  }
}
