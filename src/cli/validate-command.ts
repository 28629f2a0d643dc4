import { loadExperiment, type Experiment } from '../config/experiment.ts';
import { CropsError } from '../core/errors.ts';
import type { PluginRegistry } from '../core/registry.ts';
import type { Io } from './io.ts';
import { buildRegistry } from './registry.ts';

export interface ExperimentArgs {
  file: string;
  sets: string[];
  /** `--sweep key=a,b` extra ablation axes */
  sweeps?: string[];
  plugins: string[];
  /** `--yes`: go past `maxTrials` (the sweep's size is confirmed) */
  yes?: boolean;
}

/** Loads plugins and the experiment; throws a CropsError (exit 2) listing every problem. */
export async function loadValidated(args: ExperimentArgs): Promise<{ experiment: Experiment; registry: PluginRegistry }> {
  const registry = await buildRegistry(args.plugins);
  const { experiment, diagnostics } = loadExperiment(args.file, { registry, sets: args.sets, sweeps: args.sweeps, yes: args.yes });
  if (!experiment) {
    const n = diagnostics.length;
    throw new CropsError([...diagnostics, { message: `${n} problem${n === 1 ? '' : 's'} found; nothing was run`, severity: 'error' }], 2);
  }
  return { experiment, registry };
}

export async function validateCommand(args: ExperimentArgs, io: Io): Promise<number> {
  const { experiment } = await loadValidated(args);
  io.out(`${args.file}: ok, ${experiment.trials.length} trial${experiment.trials.length === 1 ? '' : 's'}\n`);
  for (const t of experiment.trials) io.out(`  ${t.id}  (${t.hash})\n`);
  return 0;
}
