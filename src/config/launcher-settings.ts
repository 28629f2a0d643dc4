import { z } from 'zod';

/** `#SBATCH` values are single lines; a newline would smuggle a shell line into the batch script. */
const line = (what: string) => z.string().min(1).regex(/^[^\n\r]*$/, `${what} must be one line`);

/** Settings of the `slurm` launcher: what each array task asks the scheduler for. */
export const SlurmSettings = z
  .object({
    partition: line('partition').optional().describe('partition (queue) to submit to (sbatch --partition)'),
    time: line('time')
      .regex(/^(\d+-)?\d+(:\d+){0,2}$/, 'use minutes, MM:SS, HH:MM:SS or D-HH:MM:SS, e.g. 01:30:00')
      .optional()
      .describe('time limit per trial (sbatch --time), e.g. 01:30:00'),
    mem: line('mem')
      .regex(/^\d+[KMGT]?$/i, 'use a number with an optional K, M, G or T suffix, e.g. 8G')
      .optional()
      .describe('memory per trial (sbatch --mem), e.g. 8G'),
    cpusPerTask: z.number().int().positive().optional().describe('CPUs per trial (sbatch --cpus-per-task)'),
    gres: line('gres').optional().describe('generic resources per trial, e.g. gpu:1 (sbatch --gres)'),
    account: line('account').optional().describe('account charged (sbatch --account)'),
    qos: line('qos').optional().describe('quality of service (sbatch --qos)'),
    jobName: line('jobName').regex(/^[\w.-]+$/, 'use letters, digits, _ . -').optional().describe('job name; defaults to crops-<experiment>'),
    sbatch: z
      .array(line('an sbatch line').regex(/^--?[a-zA-Z]/, 'write the option as on the sbatch command line, e.g. --constraint=a100'))
      .default([])
      .describe('extra #SBATCH lines, each an sbatch option such as --constraint=a100'),
    setup: z.array(line('a setup line')).default([]).describe('shell lines each task runs before crops, e.g. module load nodejs/20'),
    pollSeconds: z.number().positive().default(2).describe('how often an attached sweep asks the scheduler and MLflow for news'),
  })
  .strict();
export type SlurmSettings = z.output<typeof SlurmSettings>;

/**
 * Where a sweep's trials run: `local` (this machine; `--parallel N` worker processes) or `slurm`
 * (one Slurm job array per sweep, with the sbatch settings above). Not part of any trial's config
 * hash: the same trial is the same result wherever it runs. `launcher: slurm` is short for
 * `launcher: { use: slurm }`.
 */
export const LauncherSettings = z
  .object({ use: z.enum(['local', 'slurm']).default('local').describe('local: this machine; slurm: a Slurm job array'), ...SlurmSettings.shape })
  .strict();
export type LauncherSettings = z.output<typeof LauncherSettings>;
