import { loadExperiment, type Experiment } from '../config/experiment.ts';
import { CropsError, type Diagnostic } from '../core/errors.ts';
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

export interface Loaded {
  experiment: Experiment;
  registry: PluginRegistry;
}

/** Loads plugins and the experiment: the loaded experiment, or every problem found. */
export async function tryLoad(args: ExperimentArgs): Promise<Loaded | { diagnostics: Diagnostic[] }> {
  const registry = await buildRegistry(args.plugins);
  const { experiment, diagnostics } = loadExperiment(args.file, { registry, sets: args.sets, sweeps: args.sweeps, yes: args.yes });
  return experiment ? { experiment, registry } : { diagnostics };
}

/** Loads plugins and the experiment; throws a CropsError (exit 2) listing every problem. */
export async function loadValidated(args: ExperimentArgs): Promise<Loaded> {
  const loaded = await tryLoad(args);
  if ('diagnostics' in loaded) throw nothingRun(loaded.diagnostics, 'found');
  return loaded;
}

/** The error that lists the problems of one or more files and says nothing ran. */
export function nothingRun(diagnostics: Diagnostic[], where: string): CropsError {
  const n = diagnostics.length;
  return new CropsError([...diagnostics, { message: `${n} problem${n === 1 ? '' : 's'} ${where}; nothing was run`, severity: 'error' }], 2);
}

export async function validateCommand(args: ExperimentArgs, io: Io): Promise<number> {
  const { experiment } = await loadValidated(args);
  io.out(`${args.file}: ok, ${experiment.trials.length} trial${experiment.trials.length === 1 ? '' : 's'}\n`);
  for (const t of experiment.trials) io.out(`  ${t.id}  (${t.hash})\n`);
  return 0;
}
