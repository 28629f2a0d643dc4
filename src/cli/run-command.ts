import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatResultsTable } from '../report/results-table.ts';
import { Progress } from '../runner/progress.ts';
import { runSweep } from '../runner/sweep.ts';
import type { Io } from './io.ts';
import { loadValidated, type ExperimentArgs } from './validate-command.ts';

export interface RunArgs extends ExperimentArgs {
  only?: string;
  force: boolean;
  keepGoing: boolean;
  verbose: boolean;
  quiet: boolean;
  /** trials run at once in worker processes; 1 runs them in this process */
  parallel: number;
}

/** The module a `--parallel` worker process runs. */
const WORKER_ENTRY = fileURLToPath(new URL('./trial-worker-main.ts', import.meta.url));

/** `crops run`: validate everything first, then run the sweep and print the results table. */
export async function runCommand(args: RunArgs, io: Io): Promise<number> {
  const started = Date.now();
  const { experiment, registry } = await loadValidated(args);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    const running = args.parallel > 1 ? 'running trials' : 'running trial';
    io.err(`\ninterrupt: stopping after recording the ${running} as KILLED (Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const progress = new Progress(process.stderr, !args.quiet);
    progress.line(`${experiment.name}: ${experiment.trials.length} trial${experiment.trials.length === 1 ? '' : 's'} from ${args.file}`);
    const sweep = await runSweep(experiment, {
      registry,
      progress,
      signal: controller.signal,
      force: args.force,
      keepGoing: args.keepGoing,
      only: args.only,
      cacheRoot: resolve('.crops-cache'),
      logLevel: args.verbose ? 'debug' : 'warn',
      parallel: args.parallel,
      workers: { entry: WORKER_ENTRY, load: { file: args.file, sets: args.sets, plugins: args.plugins } satisfies ExperimentArgs },
    });
    const columns = experiment.trials[0]!.config.eval.metrics;
    const rows = sweep.results.map((r) => ({ label: r.trial.id, status: r.status, values: r.metrics }));
    io.out(`\n${formatResultsTable(rows, columns)}\n\n`);
    io.out(`metrics in percent; * marks the best per column. backend: ${sweep.backend}; ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    io.out(sweep.location ? `runs written to ${sweep.location} (sweep run ${sweep.parentRunId})\n` : 'runs were not kept (tracker: none)\n');
    for (const r of sweep.results.filter((x) => x.status === 'FAILED')) io.err(`trial ${r.trial.id} FAILED: ${r.error}\n`);
    if (sweep.interrupted) return 130;
    return sweep.results.some((r) => r.status === 'FAILED') ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
