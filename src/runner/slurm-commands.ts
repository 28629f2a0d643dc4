/**
 * The Slurm client commands the launcher uses: sbatch, squeue, scancel, and for tasks that have
 * left the queue sacct, or on clusters without an accounting database the job-completion text
 * file (JobCompType=jobcomp/filetxt).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CropsError } from '../core/errors.ts';

const run = promisify(execFile);

/** A task in the queue: pending, running, completing... */
export interface QueuedTask {
  state: string;
  /** why a pending task waits, or `None` */
  reason: string;
  node: string;
}

async function slurm(command: string, args: string[], input?: string): Promise<string> {
  try {
    const child = run(command, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (input !== undefined) {
      child.child.stdin!.end(input);
    }
    return (await child).stdout;
  } catch (e) {
    const err = e as { code?: string | number; stderr?: string; message: string };
    if (err.code === 'ENOENT') throw new CropsError(`launcher slurm: '${command}' was not found; run crops on a machine where the Slurm client commands are on the PATH (a login node)`, 2);
    throw new Error(`${command} ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`, { cause: e });
  }
}

/** Submits a batch script (read by sbatch from stdin) and returns the job id. */
export async function sbatch(script: string): Promise<string> {
  const out = await slurm('sbatch', ['--parsable'], script);
  // `--parsable` prints `jobid` or `jobid;cluster`
  const id = out.trim().split(';')[0]!;
  if (!/^\d+$/.test(id)) throw new Error(`sbatch printed no job id: ${out.trim()}`);
  return id;
}

/** The array's tasks still in the queue, by array task id. */
export async function squeue(jobId: string): Promise<Map<number, QueuedTask>> {
  let out: string;
  try {
    out = await slurm('squeue', ['-h', '-r', '-j', jobId, '-o', '%K|%T|%r|%N']);
  } catch (e) {
    // a job that has left the queue entirely is no longer known to squeue
    if (/invalid job id/i.test((e as Error).message)) return new Map();
    throw e;
  }
  const tasks = new Map<number, QueuedTask>();
  for (const line of out.split('\n')) {
    const [task, state, reason, node] = line.trim().split('|');
    if (task === undefined || !/^\d+$/.test(task)) continue;
    tasks.set(Number(task), { state: state!, reason: reason ?? '', node: node ?? '' });
  }
  return tasks;
}

/** Cancels the whole array, or one task of it. */
export async function scancel(jobId: string, task?: number): Promise<void> {
  await slurm('scancel', [task === undefined ? jobId : `${jobId}_${task}`]);
}

let jobCompFile: Promise<string | undefined> | undefined;

/** The job-completion text file of this cluster, when it keeps one. */
function jobCompLocation(): Promise<string | undefined> {
  jobCompFile ??= slurm('scontrol', ['show', 'config']).then(
    (out) => {
      const type = /^JobCompType\s*=\s*(\S+)/m.exec(out)?.[1];
      const loc = /^JobCompLoc\s*=\s*(\S+)/m.exec(out)?.[1];
      return type === 'jobcomp/filetxt' && loc ? loc : undefined;
    },
    () => undefined,
  );
  return jobCompFile;
}

/**
 * The final scheduler state (COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL,
 * PREEMPTED...) of the array's tasks that have ended, by array task id. Empty where the cluster
 * keeps neither accounting nor a job-completion file.
 */
export async function endedStates(jobId: string): Promise<Map<number, string>> {
  const states = new Map<number, string>();
  try {
    const out = await slurm('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'JobID,State']);
    for (const line of out.split('\n')) {
      const m = /^(\d+)_(\d+)\|(\S+)/.exec(line.trim());
      if (m && m[1] === jobId) states.set(Number(m[2]), m[3]!);
    }
    if (states.size > 0) return states;
  } catch {
    // accounting storage disabled: fall through to the job-completion file
  }
  const file = await jobCompLocation();
  if (!file) return states;
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (!line.includes(`ArrayJobId=${jobId} `)) continue;
    const task = /\bArrayTaskId=(\d+)/.exec(line)?.[1];
    const state = /\bJobState=(\S+)/.exec(line)?.[1];
    if (task !== undefined && state) states.set(Number(task), state);
  }
  return states;
}

/** How a trial's run ends when the scheduler ended its task without the trial recording it. */
export function runStatusForState(state: string): 'KILLED' | 'FAILED' {
  return /^(CANCELLED|PREEMPTED|DEADLINE)/.test(state) ? 'KILLED' : 'FAILED';
}

/** What a scheduler state means to a researcher. */
export function describeState(state: string): string {
  const known: Record<string, string> = {
    TIMEOUT: 'the task ran past its time limit (launcher.time)',
    OUT_OF_MEMORY: 'the task ran out of memory (launcher.mem)',
    NODE_FAIL: 'the node running the task failed',
    PREEMPTED: 'the task was preempted by the scheduler',
    CANCELLED: 'the task was cancelled (scancel)',
    DEADLINE: 'the task missed its deadline',
    BOOT_FAIL: 'the node could not boot for the task',
    FAILED: 'the task exited with an error before recording its trial',
  };
  return known[state.split(/\s/)[0]!] ?? `the scheduler ended the task as ${state}`;
}
