import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { CropsError, formatDiagnostic } from '../core/errors.ts';
import { PLUGIN_KINDS, type PluginKind } from '../core/plugin.ts';
import { didYouMean } from '../core/did-you-mean.ts';
import { redact } from '../core/secrets.ts';
import { runCommand } from './run-command.ts';
import { validateCommand } from './validate-command.ts';
import { pluginsCommand } from './plugins-command.ts';
import { evalCommand, integerFlag } from './eval-command.ts';
import { pushCommand } from './push-command.ts';
import { reportCommand } from './report-command.ts';
import { worldDescribeCommand } from './world-command.ts';
import { dataCommand } from './data-command.ts';
import type { Io } from './io.ts';

const USAGE = `crops — dense-retrieval experiments from YAML

usage:
  crops run FILE [--set key=value ...] [--only filter] [--force] [--keep-going] [--parallel N] [--plugin ./p.js] [--verbose]
  crops validate FILE [--set key=value ...] [--plugin ./p.js]
  crops plugins [KIND] [--markdown] [--plugin ./p.js]
  crops eval --qrels FILE --run FILE -m MEASURE [-m ...] [-q] [-c] [-M n] [-l n]
  crops push [--to URL] [--from ./mlruns] [--spool DIR]
  crops report FILE|SWEEP_RUN_ID|RUN_DIR [--out DIR] [--tracking-uri URI] [--no-charts] [--world] [--set key=value ...]
  crops data FILE [--export DIR] [--only filter] [--set key=value ...] [--json] [--plugin ./p.js]
  crops world describe FILE [--set key=value ...] [--json] [--plugin ./p.js]
  crops doctor                 which TensorFlow.js backends load here, how fast, and which 'auto' picks

kinds: ${PLUGIN_KINDS.join(', ')}
exit codes: 0 ok, 1 a trial failed, 2 invalid input, 130 interrupted`;

export type { Io };

const defaultIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(redact(s)) };

/** Entry point of the `crops` binary; returns the exit code instead of exiting, for tests. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  let verbose = rest.includes('--verbose');
  try {
    switch (command) {
      case 'run':
      case 'validate': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            set: { type: 'string', multiple: true },
            plugin: { type: 'string', multiple: true },
            only: { type: 'string' },
            force: { type: 'boolean' },
            'keep-going': { type: 'boolean' },
            verbose: { type: 'boolean' },
            quiet: { type: 'boolean' },
            parallel: { type: 'string' },
          },
        });
        verbose = Boolean(values.verbose);
        if (positionals.length !== 1) throw new CropsError(`crops ${command} takes one experiment file (got ${positionals.length})\n\n${USAGE}`);
        const common = { file: positionals[0]!, sets: values.set ?? [], plugins: values.plugin ?? [] };
        if (command === 'validate') return await validateCommand(common, io);
        return await runCommand(
          { ...common, only: values.only, force: Boolean(values.force), keepGoing: Boolean(values['keep-going']), verbose, quiet: Boolean(values.quiet), parallel: integerFlag('--parallel', values.parallel, 1) ?? 1 },
          io,
        );
      }
      case 'plugins': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { markdown: { type: 'boolean' }, plugin: { type: 'string', multiple: true } } });
        const kind = positionals[0];
        if (kind !== undefined && !PLUGIN_KINDS.includes(kind as PluginKind)) {
          const guess = didYouMean(kind, PLUGIN_KINDS);
          throw new CropsError(`unknown plugin kind '${kind}'${guess ? `; did you mean '${guess}'?` : ''} (kinds: ${PLUGIN_KINDS.join(', ')})`);
        }
        return await pluginsCommand({ kind: kind as PluginKind | undefined, markdown: Boolean(values.markdown), plugins: values.plugin ?? [] }, io);
      }
      case 'eval': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            qrels: { type: 'string' },
            run: { type: 'string' },
            measure: { type: 'string', short: 'm', multiple: true },
            'per-query': { type: 'boolean', short: 'q' },
            complete: { type: 'boolean', short: 'c' },
            'max-docs': { type: 'string', short: 'M' },
            level: { type: 'string', short: 'l' },
          },
        });
        // trec_eval's own positional form `QRELS RUN` works too
        const usePositionals = positionals.length > 0 && values.qrels === undefined && values.run === undefined;
        const [qrels, run] = usePositionals ? positionals : [values.qrels, values.run];
        if (!qrels || !run || (usePositionals ? positionals.length !== 2 : positionals.length > 0)) throw new CropsError(`crops eval takes --qrels FILE and --run FILE (or QRELS RUN)\n\n${USAGE}`);
        return await evalCommand(
          {
            qrels,
            run,
            measures: values.measure ?? [],
            perQuery: Boolean(values['per-query']),
            complete: Boolean(values.complete),
            maxDocsPerTopic: integerFlag('-M', values['max-docs'], 1),
            relevanceLevel: integerFlag('-l', values.level, 0),
          },
          io,
        );
      }
      case 'data': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            set: { type: 'string', multiple: true },
            plugin: { type: 'string', multiple: true },
            export: { type: 'string' },
            only: { type: 'string' },
            json: { type: 'boolean' },
          },
        });
        if (positionals.length !== 1) throw new CropsError(`crops data takes one experiment file (got ${positionals.length})\n\n${USAGE}`);
        return await dataCommand({ file: positionals[0]!, sets: values.set ?? [], plugins: values.plugin ?? [], exportDir: values.export, only: values.only, json: Boolean(values.json) }, io);
      }
      case 'world': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { set: { type: 'string', multiple: true }, plugin: { type: 'string', multiple: true }, json: { type: 'boolean' } },
        });
        if (positionals[0] !== 'describe' || positionals.length !== 2) throw new CropsError(`usage: crops world describe FILE\n\n${USAGE}`);
        return await worldDescribeCommand({ file: positionals[1]!, sets: values.set ?? [], plugins: values.plugin ?? [], json: Boolean(values.json) }, io);
      }
      case 'report': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            out: { type: 'string' },
            'tracking-uri': { type: 'string' },
            'no-charts': { type: 'boolean' },
            world: { type: 'boolean' },
            set: { type: 'string', multiple: true },
            plugin: { type: 'string', multiple: true },
          },
        });
        if (positionals.length !== 1) throw new CropsError(`crops report takes one experiment file, sweep run id or run directory (got ${positionals.length})\n\n${USAGE}`);
        return await reportCommand(
          { target: positionals[0]!, out: values.out, trackingUri: values['tracking-uri'], sets: values.set ?? [], plugins: values.plugin ?? [], charts: !values['no-charts'], world: Boolean(values.world) },
          io,
        );
      }
      case 'push': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { to: { type: 'string' }, from: { type: 'string' }, spool: { type: 'string', default: '.crops-cache/spool' } },
        });
        if (positionals.length > 0) throw new CropsError(`crops push takes no positional arguments (got ${positionals.join(' ')})\n\n${USAGE}`);
        return await pushCommand({ to: values.to, from: values.from, spool: values.spool! }, io);
      }
      case 'doctor': {
        parseArgs({ args: rest, allowPositionals: false, options: {} });
        // loaded on demand: it pulls in every backend package
        const { doctorCommand } = await import('./doctor-command.ts');
        return await doctorCommand(io);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default: {
        const guess = didYouMean(command, ['run', 'validate', 'plugins', 'eval', 'data', 'world', 'report', 'push', 'doctor', 'help']);
        throw new CropsError(`unknown command '${command}'${guess ? `; did you mean '${guess}'?` : ''}\n\n${USAGE}`);
      }
    }
  } catch (e) {
    if (e instanceof CropsError) {
      io.err(`${e.diagnostics.map(formatDiagnostic).join('\n')}\n`);
      return e.exitCode;
    }
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`error ${(e as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    io.err(`error ${(e as Error).message}\n${verbose ? `${(e as Error).stack}\n` : '(run with --verbose for the stack trace)\n'}`);
    return 1;
  }
}
