// The `crops` command line. This module stays light: it holds the command table (options, help text,
// completion) and imports a command's module, with its heavy dependencies (TensorFlow.js, DuckDB, vega,
// the plugins), only when that command runs, so `crops --help` answers at once.
import { parseArgs } from 'node:util';
import { CropsError, formatDiagnostic } from '../core/errors.ts';
import { PLUGIN_KINDS, type PluginKind } from '../core/plugin.ts';
import { didYouMean } from '../core/did-you-mean.ts';
import { redact } from '../core/secrets.ts';
import { integerFlag } from './flags.ts';
import type { CommandSpec, OptionSpec, Values } from './command-spec.ts';
import type { Io } from './io.ts';

export type { Io, CommandSpec };

const defaultIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(redact(s)) };

const EXPERIMENT_OPTIONS: Record<string, OptionSpec> = {
  set: { type: 'string', multiple: true, value: 'key=value', help: 'override a value of the file (YAML value; repeatable), e.g. --set train.steps=100' },
  sweep: { type: 'string', multiple: true, value: 'key=a,b', help: 'add an ablation axis over comma-separated values (repeatable; axes combine as a cartesian product), e.g. --sweep loss=info-nce,h-info-nce' },
  plugin: { type: 'string', multiple: true, value: 'FILE', help: 'load extra plugins from a module file (.js; .ts needs tsx installed; repeatable)' },
};
const YES: OptionSpec = { type: 'boolean', help: 'go past the maxTrials limit (default 1000): the size of the sweep is confirmed' };
const VERBOSE: OptionSpec = { type: 'boolean', help: 'print stack traces of unexpected errors and debug logs' };

const strings = (v: unknown): string[] => (v as string[] | undefined) ?? [];
const oneFile = (command: string, positionals: string[], what = 'one experiment file') => {
  if (positionals.length !== 1) throw usageError(command, `crops ${command} takes ${what} (got ${positionals.length})`);
  return positionals[0]!;
};

/** Every command; adding one is one entry here (and its module). */
export const COMMANDS: Record<string, CommandSpec> = {
  run: {
    summary: 'run an experiment: validate it, train and evaluate every trial, print the results table',
    args: 'FILE...',
    details: 'Trials that finished before with the same config are skipped (resume); when all are, no new sweep run is made (unless the file has none yet: trials that ran under other files of the experiment). Several files are all validated first, then run in turn; a trial they share trains once.',
    complete: 'files',
    options: {
      ...EXPERIMENT_OPTIONS,
      only: { type: 'string', value: 'filter', help: 'run only trials whose id contains every comma-separated part, e.g. --only loss=h-info-nce' },
      force: { type: 'boolean', help: 'run trials again even if they finished before' },
      'keep-going': { type: 'boolean', help: 'continue with the other trials after a trial fails' },
      parallel: { type: 'string', value: 'N', help: 'run N trials at once, each in its own worker process (default 1; with a cluster launcher, N at once on the cluster)' },
      launcher: { type: 'string', value: 'local|slurm', help: "where the trials run (default: the file's launcher section, else local)" },
      detach: { type: 'boolean', help: 'hand the trials to the cluster launcher and return; follow them with crops status' },
      quiet: { type: 'boolean', help: 'no progress lines on stderr' },
      yes: YES,
      verbose: VERBOSE,
    },
    async run(v, p, io) {
      const { runFiles } = await import('./run-command.ts');
      if (p.length === 0) throw usageError('run', 'crops run takes one or more experiment files (got none)');
      return runFiles(
        p,
        {
          sets: strings(v.set),
          sweeps: strings(v.sweep),
          plugins: strings(v.plugin),
          only: v.only as string | undefined,
          force: Boolean(v.force),
          keepGoing: Boolean(v['keep-going']),
          verbose: Boolean(v.verbose),
          quiet: Boolean(v.quiet),
          parallel: integerFlag('--parallel', v.parallel as string | undefined, 1) ?? 1,
          launcher: v.launcher as string | undefined,
          detach: Boolean(v.detach),
          yes: Boolean(v.yes),
        },
        io,
      );
    },
  },
  status: {
    summary: 'the scheduler and MLflow state of every trial of a sweep',
    args: 'FILE|SWEEP_RUN_ID',
    complete: 'files',
    options: {
      'tracking-uri': { type: 'string', value: 'URI', help: "read runs from this MLflow server or mlruns folder instead of the experiment's tracker or the default store" },
      set: EXPERIMENT_OPTIONS.set!,
      plugin: EXPERIMENT_OPTIONS.plugin!,
    },
    async run(v, p, io) {
      const target = oneFile('status', p, 'one experiment file or sweep run id');
      const { statusCommand } = await import('./status-command.ts');
      return statusCommand({ target, trackingUri: v['tracking-uri'] as string | undefined, sets: strings(v.set), plugins: strings(v.plugin) }, io);
    },
  },
  validate: {
    summary: 'check an experiment file and list its trials, without running anything',
    args: 'FILE',
    complete: 'files',
    options: { ...EXPERIMENT_OPTIONS, yes: YES, verbose: VERBOSE },
    async run(v, p, io) {
      const { validateCommand } = await import('./validate-command.ts');
      return validateCommand({ file: oneFile('validate', p), sets: strings(v.set), sweeps: strings(v.sweep), plugins: strings(v.plugin), yes: Boolean(v.yes) }, io);
    },
  },
  plugins: {
    summary: 'list the plugins of every kind, or of one kind, with their params',
    args: '[KIND]',
    details: `kinds: ${PLUGIN_KINDS.join(', ')}`,
    complete: PLUGIN_KINDS,
    options: {
      markdown: { type: 'boolean', help: 'print the reference as Markdown (docs/plugins.md)' },
      plugin: EXPERIMENT_OPTIONS.plugin!,
    },
    async run(v, p, io) {
      const kind = p[0];
      if (p.length > 1) throw usageError('plugins', `crops plugins takes at most one kind (got ${p.length})`);
      if (kind !== undefined && !PLUGIN_KINDS.includes(kind as PluginKind)) {
        const guess = didYouMean(kind, PLUGIN_KINDS);
        throw new CropsError(`unknown plugin kind '${kind}'${guess ? `; did you mean '${guess}'?` : ''} (kinds: ${PLUGIN_KINDS.join(', ')})`);
      }
      const { pluginsCommand } = await import('./plugins-command.ts');
      return pluginsCommand({ kind: kind as PluginKind | undefined, markdown: Boolean(v.markdown), plugins: strings(v.plugin) }, io);
    },
  },
  eval: {
    summary: "score a TREC run file against qrels, as trec_eval does (same measures and output)",
    args: '[QRELS RUN]',
    complete: 'files',
    options: {
      qrels: { type: 'string', value: 'FILE', help: 'the relevance judgements (TREC qrels format)' },
      run: { type: 'string', value: 'FILE', help: 'the ranking to score (TREC run format)' },
      measure: { type: 'string', short: 'm', multiple: true, value: 'MEASURE', help: 'a trec_eval measure (-m ndcg_cut.10 -m recall.100 -m map) or a metric plugin as NAME@K (-m ndcg@10); repeatable' },
      'per-query': { type: 'boolean', short: 'q', help: 'print each query’s values as well as the summary' },
      complete: { type: 'boolean', short: 'c', help: 'average over every query of the qrels, counting queries missing from the run as 0' },
      'max-docs': { type: 'string', short: 'M', value: 'N', help: 'score only the top N documents of each query' },
      level: { type: 'string', short: 'l', value: 'N', help: 'smallest relevance grade that counts as relevant for the trec_eval measures (default 1)' },
      plugin: { ...EXPERIMENT_OPTIONS.plugin!, help: "load extra metric plugins from a module file, scored as NAME@K (repeatable)" },
    },
    async run(v, p, io) {
      // trec_eval's own positional form `QRELS RUN` works too
      const usePositionals = p.length > 0 && v.qrels === undefined && v.run === undefined;
      const [qrels, run] = usePositionals ? p : [v.qrels as string | undefined, v.run as string | undefined];
      if (!qrels || !run || (usePositionals ? p.length !== 2 : p.length > 0)) throw usageError('eval', 'crops eval takes --qrels FILE and --run FILE (or QRELS RUN)');
      const { evalCommand } = await import('./eval-command.ts');
      return evalCommand(
        {
          qrels,
          run,
          measures: strings(v.measure),
          perQuery: Boolean(v['per-query']),
          complete: Boolean(v.complete),
          maxDocsPerTopic: integerFlag('-M', v['max-docs'] as string | undefined, 1),
          relevanceLevel: integerFlag('-l', v.level as string | undefined, 0),
        },
        io,
        async () => (await import('./metric-plugins.ts')).loadMetricPlugins(strings(v.plugin)),
      );
    },
  },
  data: {
    summary: 'show (or export) the training data an experiment builds: logs, labels, positives, samples',
    args: 'FILE',
    complete: 'files',
    options: {
      set: EXPERIMENT_OPTIONS.set!,
      plugin: EXPERIMENT_OPTIONS.plugin!,
      export: { type: 'string', value: 'DIR', help: 'write the labelled samples as CSV and Parquet files into DIR, for auditing' },
      only: { type: 'string', value: 'filter', help: 'only trials whose id contains every comma-separated part' },
      json: { type: 'boolean', help: 'print machine-readable JSON instead of tables' },
    },
    async run(v, p, io) {
      const file = oneFile('data', p);
      const { dataCommand } = await import('./data-command.ts');
      return dataCommand({ file, sets: strings(v.set), plugins: strings(v.plugin), exportDir: v.export as string | undefined, only: v.only as string | undefined, json: Boolean(v.json) }, io);
    },
  },
  world: {
    summary: "describe the simulated world an experiment uses: sizes, behaviour rates, and whether they hit their targets",
    args: 'describe FILE',
    complete: ['describe'],
    options: { set: EXPERIMENT_OPTIONS.set!, plugin: EXPERIMENT_OPTIONS.plugin!, json: { type: 'boolean', help: 'print machine-readable JSON' } },
    async run(v, p, io) {
      if (p[0] !== 'describe' || p.length !== 2) throw usageError('world', 'usage: crops world describe FILE');
      const { worldDescribeCommand } = await import('./world-command.ts');
      return worldDescribeCommand({ file: p[1]!, sets: strings(v.set), plugins: strings(v.plugin), json: Boolean(v.json) }, io);
    },
  },
  report: {
    summary: 'write the HTML/Markdown/LaTeX report of a sweep (from its file, sweep run id or run folder)',
    args: 'FILE|SWEEP_RUN_ID|RUN_DIR...',
    details: 'Several targets are reported in turn, each to its default folder; one that cannot be reported is named and the others still are.',
    complete: 'files',
    options: {
      out: { type: 'string', value: 'DIR', help: 'where to write the report (default reports/<experiment>, or reports/<experiment>/<file> for a file not named after its experiment; one target only)' },
      'tracking-uri': { type: 'string', value: 'URI', help: "read runs from this MLflow server or mlruns folder instead of the experiment's tracker or the default store" },
      'no-charts': { type: 'boolean', help: 'leave out the charts (tables only)' },
      world: { type: 'boolean', help: 'add the simulated-world section (ground-truth metrics)' },
      set: EXPERIMENT_OPTIONS.set!,
      plugin: EXPERIMENT_OPTIONS.plugin!,
    },
    async run(v, p, io) {
      if (p.length === 0) throw usageError('report', 'crops report takes one or more experiment files, sweep run ids or run directories (got none)');
      if (p.length > 1 && v.out !== undefined) throw usageError('report', `--out names the folder of one report (got ${p.length} targets); leave it out and each goes to its own folder under reports/`);
      const { reportTargets } = await import('./report-command.ts');
      return reportTargets(p, { out: v.out as string | undefined, trackingUri: v['tracking-uri'] as string | undefined, sets: strings(v.set), plugins: strings(v.plugin), charts: !v['no-charts'], world: Boolean(v.world) }, io);
    },
  },
  push: {
    summary: 'copy runs from a local mlruns folder (or the offline spool) to an MLflow server',
    options: {
      to: { type: 'string', value: 'URL', help: 'the MLflow server (default $MLFLOW_TRACKING_URI)' },
      from: { type: 'string', value: 'DIR', help: 'also copy the runs of this file store (an mlruns folder or file: URI)' },
      spool: { type: 'string', default: '.crops-cache/spool', value: 'DIR', help: 'where writes that could not reach the server wait (default .crops-cache/spool)' },
    },
    async run(v, p, io) {
      if (p.length > 0) throw usageError('push', `crops push takes no positional arguments (got ${p.join(' ')})`);
      const { pushCommand } = await import('./push-command.ts');
      return pushCommand({ to: v.to as string | undefined, from: v.from as string | undefined, spool: v.spool as string }, io);
    },
  },
  cache: {
    summary: 'what .crops-cache holds per folder; prune removes the mined positives nothing has used for a while',
    args: '[prune]',
    complete: ['prune'],
    details:
      'Mined positives are keyed by the code that mined them, so after an upgrade or a code change the old\n' +
      'entries are never read again; a sweep over many worlds writes gigabytes of them. Every read refreshes an\n' +
      "entry's time, so --unused-for only removes what no run has read for that long; a removed entry is mined\n" +
      'again when a run needs it. Plugin caches (downloaded models), the spool (runs not yet sent to MLflow) and\n' +
      'Slurm task folders are never pruned.',
    options: {
      'unused-for': { type: 'string', value: 'AGE', help: 'with prune: remove entries not used for AGE, e.g. 30d, 12h, 90m (0: all of them)' },
      'dry-run': { type: 'boolean', help: 'with prune: say what would be removed, remove nothing' },
      dir: { type: 'string', default: '.crops-cache', value: 'DIR', help: 'the cache folder (default .crops-cache)' },
    },
    async run(v, p, io) {
      if (p.length > 1 || (p.length === 1 && p[0] !== 'prune')) throw usageError('cache', `crops cache takes nothing or 'prune' (got ${p.join(' ')})`);
      const action = p[0] === 'prune' ? 'prune' : 'list';
      if (action === 'list' && (v['unused-for'] !== undefined || v['dry-run'])) throw usageError('cache', '--unused-for and --dry-run go with crops cache prune');
      const { cacheCommand } = await import('./cache-command.ts');
      return cacheCommand({ dir: v.dir as string, action, unusedFor: v['unused-for'] as string | undefined, dryRun: Boolean(v['dry-run']) }, io);
    },
  },
  doctor: {
    summary: "which TensorFlow.js backends load here, how fast, and which 'auto' picks",
    options: {},
    async run(_v, p, io) {
      if (p.length > 0) throw usageError('doctor', `crops doctor takes no arguments (got ${p.join(' ')})`);
      const { doctorCommand } = await import('./doctor-command.ts');
      return doctorCommand(io);
    },
  },
  setup: {
    summary: 'build the native TensorFlow backend from PyPI\'s TensorFlow wheel (cached), where tfjs-node cannot download libtensorflow',
    args: 'tensorflow',
    complete: ['tensorflow'],
    details:
      'Builds @tensorflow/tfjs-node (with --gpu @tensorflow/tfjs-node-gpu) against the libtensorflow of the\n' +
      'hash-pinned TensorFlow wheel. Downloads and builds are cached in DIR (default ~/.cache/crops-lab, or\n' +
      '$CROPS_CACHE_DIR). Does nothing when a working binding is already installed, unless --force.',
    options: {
      gpu: { type: 'boolean', help: 'build @tensorflow/tfjs-node-gpu against the CUDA build of the wheel' },
      force: { type: 'boolean', help: 'rebuild even when a working binding is installed' },
      cache: { type: 'string', value: 'DIR', help: 'where downloads and builds are cached' },
    },
    async run(v, p, io) {
      if (p.length !== 1 || p[0] !== 'tensorflow') throw usageError('setup', `crops setup takes one target, 'tensorflow' (got ${p.join(' ') || 'none'})`);
      const { setupCommand } = await import('./setup-command.ts');
      return setupCommand({ gpu: Boolean(v.gpu), force: Boolean(v.force), cache: v.cache as string | undefined }, io);
    },
  },
  completion: {
    summary: 'print a shell completion script: eval "$(crops completion bash)" (or zsh)',
    args: 'bash|zsh',
    complete: ['bash', 'zsh'],
    options: {},
    async run(_v, p, io) {
      if (p.length !== 1 || (p[0] !== 'bash' && p[0] !== 'zsh')) throw usageError('completion', 'crops completion takes the shell: bash or zsh');
      const { completionScript } = await import('./completion.ts');
      io.out(completionScript(p[0], COMMANDS));
      return 0;
    },
  },
};

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };

function usageLine(name: string, spec: CommandSpec): string {
  return `crops ${name}${spec.args ? ` ${spec.args}` : ''}${Object.keys(spec.options).length > 0 ? ' [options]' : ''}`;
}

function optionLabel(name: string, o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
}

/** `crops COMMAND --help`. */
export function commandHelp(name: string): string {
  const spec = COMMANDS[name]!;
  const options = { ...spec.options, help: HELP_OPTION };
  const labels = Object.entries(options).map(([n, o]) => [optionLabel(n, o), o.help] as const);
  const width = Math.max(...labels.map(([l]) => l.length));
  const lines = [`usage: ${usageLine(name, spec)}`, '', spec.summary];
  if (spec.details) lines.push('', spec.details);
  lines.push('', 'options:', ...labels.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`));
  return `${lines.join('\n')}\n`;
}

/** `crops --help`. */
export function mainHelp(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'crops — dense-retrieval experiments from YAML',
    '',
    'usage: crops COMMAND [options]      crops COMMAND --help for its options',
    '',
    'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`),
    '',
    'exit codes: 0 ok, 1 a trial failed, 2 invalid input, 130 interrupted',
    '',
  ].join('\n');
}

function usageError(command: string, message: string): CropsError {
  return new CropsError(`${message}\n\n${commandHelp(command).trimEnd()}`);
}

/** Entry point of the `crops` binary; returns the exit code instead of exiting, for tests. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  let verbose = rest.includes('--verbose');
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      const topic = command === 'help' ? rest[0] : undefined;
      if (topic !== undefined && COMMANDS[topic]) io.out(commandHelp(topic));
      else io.out(mainHelp());
      return command === undefined ? 2 : 0;
    }
    const spec = COMMANDS[command];
    if (!spec) {
      const guess = didYouMean(command, Object.keys(COMMANDS));
      throw new CropsError(`unknown command '${command}'${guess ? `; did you mean '${guess}'?` : ''}\n\n${mainHelp().trimEnd()}`);
    }
    const options = Object.fromEntries(
      // node's parser rejects keys present with an undefined value
      Object.entries({ ...spec.options, help: HELP_OPTION }).map(([n, o]) => [n, JSON.parse(JSON.stringify({ type: o.type, short: o.short, multiple: o.multiple, default: o.default }))]),
    );
    let parsed: { values: Values; positionals: string[] };
    try {
      parsed = parseArgs({ args: rest, allowPositionals: true, options }) as typeof parsed;
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw usageError(command, (e as Error).message);
      throw e;
    }
    if (parsed.values.help) {
      io.out(commandHelp(command));
      return 0;
    }
    verbose = Boolean(parsed.values.verbose);
    return await spec.run(parsed.values, parsed.positionals, io);
  } catch (e) {
    if (e instanceof CropsError) {
      io.err(`${e.diagnostics.map(formatDiagnostic).join('\n')}\n`);
      return e.exitCode;
    }
    io.err(`error ${(e as Error).message}\n${verbose ? `${(e as Error).stack}\n` : '(run with --verbose for the stack trace)\n'}`);
    return 1;
  }
}
