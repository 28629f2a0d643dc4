import { stat } from 'node:fs/promises';
import { basename, extname, relative, resolve } from 'node:path';
import type { Experiment } from '../config/experiment.ts';
import { CropsError, formatDiagnostic } from '../core/errors.ts';
import type { PluginRegistry } from '../core/registry.ts';
import type { WorldFact } from '../report/html-report.ts';
import { buildSweepReport, saveReport, type ReportSettingsInput } from '../report/sweep-report.ts';
import { FileSweepReader } from '../tracking/file-sweep-reader.ts';
import { MlflowRestClient } from '../tracking/rest-client.ts';
import { RestSweepReader } from '../tracking/rest-sweep-reader.ts';
import { latestSweepOf, type ReadRun, type SweepReader } from '../tracking/sweep-reader.ts';
import { MLFLOW_RUNS, resolveTrackingUri } from '../tracking/tracking-uri.ts';
import type { Io } from './io.ts';
import { describeDatasets } from './world-command.ts';
import { loadValidated } from './validate-command.ts';
import { SWEEP_ROLE, TAG } from '../tracking/run-tags.ts';

export interface ReportArgs {
  /** an experiment file, a sweep run id, or a sweep run's directory */
  target: string;
  /** output folder; default `reports/<experiment>`, or `reports/<experiment>/<file>` for a file not named after its experiment */
  out?: string;
  /** tracking store for a run id; an experiment file brings its own */
  trackingUri?: string;
  sets: string[];
  plugins: string[];
  charts: boolean;
  /** describe the simulated world of an experiment file in the HTML report (builds the world) */
  world: boolean;
}

interface Located {
  reader: SweepReader;
  parent: ReadRun;
  experimentName: string;
  /** the experiment file's path, where the sweep run or the target names one */
  file?: string;
  settings?: ReportSettingsInput;
  worlds?: Array<{ dataset: string; facts: WorldFact[] }>;
}

function readerFor(uri: string | undefined): SweepReader {
  const target = resolveTrackingUri(uri);
  return target.kind === 'http' ? new RestSweepReader(new MlflowRestClient(target.url)) : new FileSweepReader(target.root);
}

const pathKind = (p: string) => stat(p).then((s) => (s.isFile() ? 'file' : s.isDirectory() ? 'dir' : undefined), () => undefined);

/** Finds the sweep run `target` names, and the `report:` settings that apply to it. */
async function locate(args: ReportArgs): Promise<Located> {
  const kind = await pathKind(args.target);
  if (kind === 'file') {
    const { experiment, registry } = await loadValidated({ file: args.target, sets: args.sets, plugins: args.plugins });
    const tracker = experiment.trials[0]!.config.tracker as { use: string; params?: { trackingUri?: string } };
    if (!registry.get('tracker', tracker.use).provides?.includes(MLFLOW_RUNS)) throw new CropsError(`${args.target} uses tracker '${tracker.use}', which keeps no runs to report`);
    const reader = readerFor(args.trackingUri ?? tracker.params?.trackingUri);
    const parent = await latestSweepOf(reader, experiment);
    if (!parent) throw new CropsError(`no sweep of ${args.target} (experiment '${experiment.name}') in ${reader.location}; run it first: crops run ${args.target}`);
    const worlds = args.world ? await worldFacts(experiment, registry) : undefined;
    return { reader, parent, experimentName: experiment.name, file: args.target, settings: experiment.report, worlds };
  }
  if (args.world) throw new CropsError('--world needs an experiment file: the world is rebuilt from its dataset settings');
  const fromDir = kind === 'dir' ? await FileSweepReader.forRunDirectory(args.target) : undefined;
  if (kind === 'dir' && !fromDir) throw new CropsError(`${args.target} is not an MLflow run directory (<store>/<experiment id>/<run id> with a meta.yaml)`);
  const reader = fromDir?.reader ?? readerFor(args.trackingUri);
  const runId = fromDir?.runId ?? args.target;
  let parent = await reader.getRun(runId);
  if (!parent) throw new CropsError(`'${args.target}' is neither an experiment file nor a run in ${reader.location}`);
  // a trial's run stands for the sweep it belongs to
  const parentId = parent.tags[TAG.role] !== SWEEP_ROLE ? parent.tags[TAG.parentRunId] : undefined;
  if (parentId) parent = (await reader.getRun(parentId)) ?? parent;
  if (parent.tags[TAG.role] !== SWEEP_ROLE) throw new CropsError(`run ${runId} in ${reader.location} is not a crops sweep run (tag crops.role = sweep)`);
  return { reader, parent, experimentName: await reader.experimentName(parent), file: parent.tags[TAG.experimentFile] };
}

/** The facts simulated datasets report about their logs (those without `describe` are real data). */
async function worldFacts(experiment: Experiment, registry: PluginRegistry): Promise<Array<{ dataset: string; facts: WorldFact[] }>> {
  const reports = await describeDatasets(experiment, registry, resolve('.crops-cache'));
  return reports.filter((r) => r.described).map((r) => ({ dataset: `${r.dataset.use} ${JSON.stringify(r.dataset.params ?? {})}`, facts: r.diagnostics }));
}

/** A folder name from an experiment name: letters, digits, `. _ -`. */
function folderName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_') || 'experiment';
}

/**
 * Where a report goes by default: `reports/<experiment>`, and below it a folder per file when the
 * file is not named after its experiment. Files that share an experiment (the paper's tables and
 * maps all log to `crops-paper`) would otherwise write over each other's reports.
 */
function defaultOut(experimentName: string, file: string | undefined): string {
  const folder = folderName(experimentName);
  const stem = file ? folderName(basename(file, extname(file))) : undefined;
  return stem && stem !== folder ? `reports/${folder}/${stem}` : `reports/${folder}`;
}

/**
 * `crops report`: the paper table of a sweep (mean ± std over seeds, Δ vs the baseline, 95% CIs),
 * printed and written as Markdown, LaTeX, CSV and one offline HTML page with SVG charts, and
 * attached to the sweep run.
 */
export async function reportCommand(args: ReportArgs, io: Io): Promise<number> {
  const { reader, parent, experimentName, file, settings, worlds } = await locate(args);
  const report = await buildSweepReport(reader, parent, { title: experimentName, settings, charts: args.charts, worlds });
  for (const w of report.table.warnings) io.err(`warning ${w}\n`);
  const outDir = resolve(args.out ?? defaultOut(experimentName, file));
  await saveReport(report, outDir, reader, parent);
  io.out(`\n${report.terminal}\n`);
  const shown = relative(process.cwd(), outDir) || '.';
  io.out(`sweep run ${parent.runId} (${experimentName}) in ${reader.location}\n`);
  io.out(`wrote ${[...report.files.keys()].length} files to ${shown.startsWith('..') ? outDir : shown}/ and attached them to the sweep run under report/\n`);
  return 0;
}

/**
 * `crops report TARGET...`: each target in turn, to its own default folder. A target that cannot be
 * reported (a file never run, say) is named with its reason and the others are still written; the
 * exit code is then that failure's.
 */
export async function reportTargets(targets: readonly string[], args: Omit<ReportArgs, 'target'>, io: Io): Promise<number> {
  if (targets.length === 1) return reportCommand({ ...args, target: targets[0]! }, io);
  const failed: string[] = [];
  let worst = 0;
  for (const [i, target] of targets.entries()) {
    io.out(`${i === 0 ? '' : '\n'}== ${target} (${i + 1} of ${targets.length}) ==\n`);
    try {
      worst = Math.max(worst, await reportCommand({ ...args, target }, io));
    } catch (e) {
      if (!(e instanceof CropsError)) throw e;
      io.err(`${e.diagnostics.map(formatDiagnostic).join('\n')}\n`);
      failed.push(target);
      worst = Math.max(worst, e.exitCode);
    }
  }
  if (failed.length > 0) io.err(`\nnot reported (${failed.length} of ${targets.length}): ${failed.join(', ')}\n`);
  return worst;
}
