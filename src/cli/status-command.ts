import { stat } from 'node:fs/promises';
import { CropsError } from '../core/errors.ts';
import { endedStates, squeue } from '../runner/slurm-commands.ts';
import { readJobSpec, jobFile, type SlurmJobSpec } from '../runner/slurm-job.ts';
import { openSweepStore } from '../runner/sweep-store.ts';
import type { SweepResult } from '../runner/sweep.ts';
import { latestSweepOf, SWEEP_MANIFEST, type ReadRun, type SweepManifest } from '../tracking/sweep-reader.ts';
import { resolveTrackingUri } from '../tracking/tracking-uri.ts';
import { SWEEP_ROLE, TAG } from '../tracking/run-tags.ts';
import type { Io } from './io.ts';
import { loadValidated } from './validate-command.ts';

/** What `crops run --detach` prints: how to follow the sweep and where its results will be. */
export function printDetached(sweep: SweepResult, file: string, io: Io): number {
  const { id, pending } = sweep.detached!;
  io.out(`\nsubmitted ${pending} trial${pending === 1 ? '' : 's'} as job array ${id}; sweep run ${sweep.parentRunId} in ${sweep.location}\n`);
  io.out(`follow it:   crops status ${sweep.parentRunId}   (or crops status ${file})\n`);
  io.out(`when done:   crops report ${file}\n`);
  return 0;
}

export interface StatusArgs {
  /** an experiment file or a sweep run id */
  target: string;
  trackingUri?: string;
  sets: string[];
  plugins: string[];
}

/**
 * `crops status`: every trial of a sweep with its scheduler state and its MLflow state side by
 * side, so a researcher sees at once a task that is pending, running, or that the scheduler ended.
 */
export async function statusCommand(args: StatusArgs, io: Io): Promise<number> {
  const isFile = await stat(args.target).then((s) => s.isFile(), () => false);
  let uri = args.trackingUri;
  let experiment: { name: string; hash: string; file: string } | undefined;
  if (isFile) {
    const loaded = (await loadValidated({ file: args.target, sets: args.sets, plugins: args.plugins })).experiment;
    const tracker = loaded.trials[0]!.config.tracker as { use: string; params?: { trackingUri?: string } };
    if (tracker.use === 'none') throw new CropsError(`${args.target} uses tracker 'none', which keeps no runs`);
    uri ??= tracker.params?.trackingUri;
    experiment = loaded;
  }
  const store = openSweepStore(resolveTrackingUri(uri));
  const reader = store.reader;
  const parent = experiment ? await latestSweepOf(reader, experiment) : await reader.getRun(args.target);
  if (!parent) throw new CropsError(isFile ? `no sweep of ${args.target} (experiment '${experiment?.name}') in ${reader.location}; run it first: crops run ${args.target}` : `'${args.target}' is neither an experiment file nor a run in ${reader.location}`);
  if (parent.tags[TAG.role] !== SWEEP_ROLE) throw new CropsError(`run ${parent.runId} in ${reader.location} is not a crops sweep run (tag crops.role = sweep)`);
  const runs = await reader.childRuns(parent);
  const jobId = parent.tags[TAG.slurmJobId];
  const dir = parent.tags[TAG.slurmDir];
  io.out(`sweep run ${parent.runId} (${parent.runName}): ${parent.status}${jobId ? `, Slurm job array ${jobId}` : ''}\n\n`);
  const spec: SlurmJobSpec | undefined = dir ? await readJobSpec(jobFile(dir)).catch(() => undefined) : undefined;
  const rows: string[][] = [];
  if (jobId && spec) {
    const [queue, ended] = await Promise.all([squeue(jobId), endedStates(jobId)]);
    for (const s of spec.skipped) rows.push(['-', s.id, '-', `${s.status} (reused)`, s.runId ?? '']);
    spec.trials.forEach((_, task) => {
      const run = latest(runs.filter((r) => r.tags[TAG.slurmTaskId] === String(task) && r.tags[TAG.slurmJobId] === jobId));
      const q = queue.get(task);
      const scheduler = q ? `${q.state}${q.state === 'PENDING' && q.reason !== 'None' ? ` (${q.reason})` : q.node ? ` on ${q.node}` : ''}` : (ended.get(task) ?? 'ended');
      rows.push([`${jobId}_${task}`, spec.trialInfo[task]!.id, scheduler, mlflowState(run), run?.runId ?? '']);
    });
    for (const t of spec.twins ?? []) rows.push(['-', t.id, '-', `same config as ${spec.trialInfo[t.task]!.id}`, '']);
  } else {
    // a finished sweep's manifest lists every trial in order, with those that reused a run (resumed,
    // or a twin of a trial of this sweep), which have no child run; a running sweep has only its runs
    const text = await reader.readArtifact(parent, SWEEP_MANIFEST);
    const trials = text === undefined ? undefined : (JSON.parse(text) as SweepManifest).trials;
    for (const t of trials ?? []) {
      const run = t.status === 'SKIPPED' ? undefined : latest(runs.filter((r) => (r.tags[TAG.trialId] ?? r.runName) === t.id));
      rows.push(['-', t.id, '-', run ? mlflowState(run) : t.status === 'SKIPPED' ? 'SKIPPED (reused)' : t.status, t.runId ?? run?.runId ?? '']);
    }
    if (!trials) for (const r of runs) rows.push(['-', r.tags[TAG.trialId] ?? r.runName, '-', mlflowState(r), r.runId]);
  }
  io.out(`${formatTable(['task', 'trial', 'scheduler', 'mlflow', 'run'], rows)}\n`);
  return 0;
}

/** Left-aligned columns, two spaces apart. */
function formatTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function latest(runs: ReadRun[]): ReadRun | undefined {
  return runs.sort((a, b) => a.startTime - b.startTime).at(-1);
}

function mlflowState(run: ReadRun | undefined): string {
  if (!run) return 'no run yet';
  const state = run.tags[TAG.slurmState];
  const reason = state && state !== run.status ? ` (${state})` : '';
  const loss = run.status === 'RUNNING' && run.metrics['train/loss'] !== undefined ? ` loss ${run.metrics['train/loss'].toPrecision(4)}` : '';
  return `${run.status}${reason}${loss}`;
}
