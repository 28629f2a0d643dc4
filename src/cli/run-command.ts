import { resolve } from 'node:path';
import type { Diagnostic } from '../core/errors.ts';
import { sweepConvergenceLine } from '../report/convergence.ts';
import { formatResultsTable } from '../report/results-table.ts';
import { Progress } from '../runner/progress.ts';
import { runSweep, selectTrials } from '../runner/sweep.ts';
import type { Io } from './io.ts';
import { chooseLauncher } from './launcher-choice.ts';
import { printDetached } from './status-command.ts';
import { loadValidated, nothingRun, tryLoad, type ExperimentArgs, type Loaded } from './validate-command.ts';
import { WORKER_ENTRY } from './worker-entry.ts';

export interface RunArgs extends ExperimentArgs {
  only?: string;
  force: boolean;
  keepGoing: boolean;
  verbose: boolean;
  quiet: boolean;
  /** trials run at once in worker processes; 1 runs them in this process */
  parallel: number;
  /** `--launcher`: where the trials run (default: the file's launcher section, else local) */
  launcher?: string;
  /** hand the trials to the launcher and return */
  detach?: boolean;
}


/**
 * `crops run FILE...`: every file is validated before any trial trains, so a typo in the last file
 * costs nothing; then the files run one after another, in the order given. Files of one experiment
 * share their finished trials (by config hash), so a trial they have in common trains once, under
 * the first file that has it, and the later files reuse it. A file that ends with a failed trial
 * stops the rest unless --keep-going; an interrupt always does.
 */
export async function runFiles(files: readonly string[], args: Omit<RunArgs, 'file'>, io: Io): Promise<number> {
  if (files.length === 1) return runCommand({ ...args, file: files[0]! }, io);
  const problems: Diagnostic[] = [];
  const loaded: Loaded[] = [];
  let wrong = 0;
  for (const file of files) {
    const one = await tryLoad({ ...args, file });
    if ('diagnostics' in one) {
      wrong++;
      problems.push(...one.diagnostics);
    } else loaded.push(one);
  }
  if (wrong > 0) throw nothingRun(problems, `in ${wrong} of ${files.length} files`);
  const ended: string[] = [];
  let worst = 0;
  for (const [i, file] of files.entries()) {
    io.out(`${i === 0 ? '' : '\n'}== ${file} (${i + 1} of ${files.length}) ==\n`);
    const code = await runCommand({ ...args, file }, io, loaded[i]);
    ended.push(`${file}: ${code === 0 ? 'done' : code === 130 ? 'interrupted' : 'ended with failed trials'}`);
    worst = Math.max(worst, code);
    if (code === 130 || (code !== 0 && !args.keepGoing)) break;
  }
  const notStarted = files.slice(ended.length);
  io.out(`\n${files.length} files: ${[...ended, ...notStarted.map((f) => `${f}: not started`)].join('; ')}\n`);
  return worst;
}

/** `crops run`: validate everything first (unless `loaded` is the file already validated), then run the sweep and print the results table. */
export async function runCommand(args: RunArgs, io: Io, loaded?: Loaded): Promise<number> {
  const started = Date.now();
  const { experiment, registry } = loaded ?? (await loadValidated(args));
  // what a worker or cluster task needs to load the same experiment: everything that shaped its trials
  const load = { file: args.file, sets: args.sets, sweeps: args.sweeps, plugins: args.plugins, yes: args.yes } satisfies ExperimentArgs;
  const cacheRoot = resolve('.crops-cache');
  const logLevel = args.verbose ? 'debug' : 'warn';
  const launcher = chooseLauncher(experiment, { flag: args.launcher, detach: Boolean(args.detach), load, cacheRoot, logLevel, registry });
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    const running = args.parallel > 1 || launcher ? 'running trials' : 'running trial';
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
      cacheRoot,
      logLevel,
      parallel: args.parallel,
      workers: { entry: WORKER_ENTRY, load },
      launcher,
      detach: args.detach,
    });
    const part = partOfFile(args, experiment.trials.length, selectTrials(experiment.trials, args.only).length);
    if (sweep.detached) {
      const code = printDetached(sweep, args.file, io);
      if (part) io.out(`${part}\n`);
      return code;
    }
    const columns = experiment.trials[0]!.config.eval.metrics;
    const rows = sweep.results.map((r) => ({ label: r.trial.id, status: r.status, values: r.metrics }));
    io.out(`\n${formatResultsTable(rows, columns)}\n\n`);
    io.out(`metrics in percent; * marks the best per column. backend: ${sweep.backend}; ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    const convergence = sweepConvergenceLine(sweep.results.flatMap((r) => (r.selection ? [{ id: r.trial.id, ...r.selection, reused: r.status === 'SKIPPED' }] : [])));
    if (convergence) io.out(`${convergence}\n`);
    if (sweep.resumedOnly) io.out(`every trial finished before: no new sweep run${sweep.parentRunId ? ` (existing sweep run ${sweep.parentRunId}` : ''}${sweep.location ? ` in ${sweep.location})` : sweep.parentRunId ? ')' : ''}; use --force to run again\n`);
    else io.out(sweep.location ? `runs written to ${sweep.location} (sweep run ${sweep.parentRunId})\n` : 'runs were not kept (tracker: none)\n');
    if (part) io.out(`${part}\n`);
    for (const r of sweep.results.filter((x) => x.status === 'FAILED')) io.err(`trial ${r.trial.id} FAILED: ${r.error}\n`);
    if (sweep.interrupted) return 130;
    // a trial the scheduler killed is as unfinished as a failed one
    return sweep.results.some((r) => r.status === 'FAILED' || r.status === 'KILLED') ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/**
 * The hint after an `--only` sweep that left trials of the file out: such a sweep does not stand for
 * the file in `crops report` once a sweep of every trial exists, so running a file part by part
 * (a map column by column) ends with one run of the whole file, which trains only what is missing.
 */
function partOfFile(args: RunArgs, total: number, covered: number): string | undefined {
  if (!args.only || covered >= total) return undefined;
  return `this sweep covered ${covered} of the file's ${total} trials (--only ${args.only}); once the other parts have run, \`crops run ${args.file}\` without --only trains only the unfinished trials and records a sweep of the whole file, which \`crops report\` then reads`;
}
