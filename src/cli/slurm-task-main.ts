// What a Slurm array task of `crops run --launcher slurm` runs: `task JOB_JSON` runs the trial of
// SLURM_ARRAY_TASK_ID; `finish JOB_JSON` ends a detached sweep after its array. The experiment and
// plugins load the same way the command loaded them.
import 'reflect-metadata';
import { finishDetachedSweep, runSlurmTask } from '../runner/slurm-task.ts';
import { loadValidated, type ExperimentArgs } from './validate-command.ts';

const [mode, file] = process.argv.slice(2);
try {
  if (!file || (mode !== 'task' && mode !== 'finish')) throw new Error('usage: slurm-task-main.ts task|finish JOB_JSON');
  process.exit(mode === 'task' ? await runSlurmTask(file, (load) => loadValidated(load as ExperimentArgs)) : await finishDetachedSweep(file));
} catch (e) {
  process.stderr.write(`error ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}
