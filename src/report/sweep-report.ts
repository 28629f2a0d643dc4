import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CropsError } from '../core/errors.ts';
import { SWEEP_MANIFEST, type ReadRun, type SweepManifest, type SweepReader } from '../tracking/sweep-reader.ts';
import { curveChart, cutoffCharts, metricCharts, renderSvg, sensitivityCharts, type Chart, type CurveSeries } from './charts.ts';
import { buildSensitivityMap, formatSensitivityCsv, formatSensitivityMarkdown, type SensitivityMap, type SensitivitySettings } from './sensitivity.ts';
import { formatHtml, type WorldFact } from './html-report.ts';
import { formatLatex, formatOnlineLatex } from './latex-table.ts';
import { buildReportTable, type ReportTable, type SignificanceOptions, type TrialRun } from './report-table.ts';
import { escapeMarkdown, formatCsv, formatMarkdown, formatTerminal } from './table-formats.ts';
import { collectOnlineReports, onlineCsv, onlineMarkdown, onlineTerminal, type OnlineReport } from './online-report.ts';
import { DEV_CURVE_KEY, TAG } from '../tracking/run-tags.ts';
import { parsePerQuery, PER_QUERY_ARTIFACT } from '../eval/per-query-file.ts';
import { METRIC_CURVES_ARTIFACT, parseMetricCurves } from '../eval/metric-curves.ts';

/** The `report:` keys a report uses (from the experiment file, or as recorded with the sweep). */
export interface ReportSettingsInput {
  baseline?: string;
  metrics?: string[];
  labels?: Record<string, string>;
  title?: string;
  significance?: SignificanceOptions;
  sensitivity?: SensitivitySettings;
}

/** The training curves drawn per trial, when the runs logged them (the dev score: with `train.select`). */
export const CURVE_KEYS = ['train/loss', 'train/temperature', DEV_CURVE_KEY];

export interface SweepTrials {
  finished: ReadRun[];
  /** trials of the sweep that did not finish, with their status */
  leftOut: Array<{ id: string; status: string }>;
  manifest?: SweepManifest;
}

const trialIdOf = (r: ReadRun) => r.tags[TAG.trialId] ?? r.runName;

/**
 * The trial runs a sweep covers: those its manifest lists (trials reused from earlier sweeps
 * included), or, for sweeps recorded without one, its child runs. One run per trial id, the latest.
 */
export async function collectSweepTrials(reader: SweepReader, parent: ReadRun): Promise<SweepTrials> {
  const text = await reader.readArtifact(parent, SWEEP_MANIFEST);
  let manifest: SweepManifest | undefined;
  let runs: ReadRun[];
  const leftOut: SweepTrials['leftOut'] = [];
  if (text !== undefined) {
    manifest = JSON.parse(text) as SweepManifest;
    runs = [];
    for (const t of manifest.trials) {
      const run = t.runId ? await reader.getRun(t.runId) : undefined;
      // a run reused from another file of the experiment carries that file's trial id; the report
      // speaks of this file's trial (a sensitivity map's default column reuses a table's runs)
      if (run) runs.push(trialIdOf(run) === t.id ? run : { ...run, tags: { ...run.tags, [TAG.trialId]: t.id } });
      else leftOut.push({ id: t.id, status: t.runId ? 'MISSING' : t.status });
    }
  } else {
    runs = await reader.childRuns(parent);
  }
  const latest = new Map<string, ReadRun>();
  for (const r of runs) {
    const seen = latest.get(trialIdOf(r));
    if (!seen || r.startTime >= seen.startTime) latest.set(trialIdOf(r), r);
  }
  const finished = [...latest.values()].filter((r) => r.status === 'FINISHED');
  for (const r of latest.values()) if (r.status !== 'FINISHED') leftOut.push({ id: trialIdOf(r), status: r.status });
  return { finished, leftOut, manifest };
}

/** The run's `train.steps` param, when recorded. */
function stepCapOf(r: ReadRun): number | undefined {
  const cap = Number(r.params['train.steps']);
  return Number.isInteger(cap) && cap > 0 ? cap : undefined;
}

/** Columns when the settings name none: the `eval.metrics` the trials ran with. */
function defaultMetrics(runs: ReadRun[]): string[] {
  for (const r of runs) {
    try {
      const list: unknown = JSON.parse(r.params['eval.metrics'] ?? '');
      if (Array.isArray(list) && list.every((m) => typeof m === 'string')) return list as string[];
    } catch {
      // older runs may not carry the param; fall back to the metric keys themselves
    }
  }
  return [...new Set(runs.flatMap((r) => Object.keys(r.metrics)).filter((k) => !k.startsWith('train/')))].sort();
}

export interface BuiltReport {
  table: ReportTable;
  /** notes printed under the tables (trials left out) */
  notes: string[];
  /** the simulated online A/B tests of the sweep (trials run with `eval.online`) */
  online: OnlineReport[];
  terminal: string;
  /** relative path -> content: report.md, report.tex, report.csv, online-ab.csv (with an online A/B test), charts/*.svg, report.html (and sensitivity.md, .csv) */
  files: Map<string, string>;
  sensitivity?: SensitivityMap;
}

/** Reads a sweep and renders its tables, its HTML page and, unless `charts` is false, its SVG charts. */
export async function buildSweepReport(
  reader: SweepReader,
  parent: ReadRun,
  opts: { title: string; settings?: ReportSettingsInput; charts: boolean; worlds?: Array<{ dataset: string; facts: WorldFact[] }> },
): Promise<BuiltReport> {
  const { finished, leftOut, manifest } = await collectSweepTrials(reader, parent);
  if (finished.length === 0) {
    throw new CropsError(`sweep run ${parent.runId} in ${reader.location} has no finished trial to report${leftOut.length ? ` (${leftOut.map((t) => `${t.id}: ${t.status}`).join(', ')})` : ''}`);
  }
  const settings = opts.settings ?? (manifest?.report as ReportSettingsInput | undefined) ?? {};
  const trials: TrialRun[] = [];
  const devCurves = new Map<string, Array<{ step: number; value: number }>>();
  for (const r of finished) {
    const text = await reader.readArtifact(r, PER_QUERY_ARTIFACT);
    let perQuery: TrialRun['perQuery'];
    try {
      perQuery = text === undefined ? undefined : parsePerQuery(text);
    } catch (e) {
      throw new CropsError(`trial ${trialIdOf(r)} (run ${r.runId} in ${reader.location}): artifact ${PER_QUERY_ARTIFACT} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
    }
    const curvesText = await reader.readArtifact(r, METRIC_CURVES_ARTIFACT);
    let cutoffCurves: TrialRun['cutoffCurves'];
    try {
      cutoffCurves = curvesText === undefined ? undefined : parseMetricCurves(curvesText);
    } catch (e) {
      throw new CropsError(`trial ${trialIdOf(r)} (run ${r.runId} in ${reader.location}): artifact ${METRIC_CURVES_ARTIFACT} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
    }
    const devCurve = DEV_CURVE_KEY in r.metrics ? await reader.metricHistory(r, DEV_CURVE_KEY) : undefined;
    if (devCurve) devCurves.set(r.runId, devCurve);
    trials.push({ trialId: trialIdOf(r), runId: r.runId, seed: r.tags[TAG.seed] !== undefined ? Number(r.tags[TAG.seed]) : undefined, metrics: r.metrics, perQuery, cutoffCurves, stepCap: stepCapOf(r), devCurve });
  }
  const table = buildReportTable(trials, {
    title: settings.title ?? opts.title,
    metrics: settings.metrics ?? defaultMetrics(finished),
    baseline: settings.baseline,
    labels: settings.labels,
    significance: settings.significance,
    // a map over a world knob tests every value against its own baseline, on that value's worlds
    unpairedHint: settings.sensitivity ? `the sensitivity map compares the methods at each value of ${settings.sensitivity.axis} with ${settings.sensitivity.baseline} at that value` : undefined,
  });
  const notes = leftOut.length > 0 ? [`Left out (not finished): ${leftOut.map((t) => `${t.id} (${t.status.toLowerCase()})`).join(', ')}.`] : [];
  const sensitivity = settings.sensitivity ? buildSensitivityMap(trials, settings.sensitivity, { title: table.title, metrics: table.metrics, significance: settings.significance }) : undefined;
  const online = await collectOnlineReports(reader, finished, settings.labels);
  const files = new Map<string, string>([
    ['report.md', online.length > 0 ? `${formatMarkdown(table, notes)}\n${onlineMarkdown(online)}\n` : formatMarkdown(table, notes)],
    ['report.tex', online.length > 0 ? `${formatLatex(table, notes)}\n${formatOnlineLatex(online)}` : formatLatex(table, notes)],
    ['report.csv', formatCsv(table)],
  ]);
  if (sensitivity) {
    files.set('sensitivity.md', formatSensitivityMarkdown(sensitivity, escapeMarkdown));
    files.set('sensitivity.csv', formatSensitivityCsv(sensitivity));
  }
  if (online.length > 0) files.set('online-ab.csv', onlineCsv(online));
  const svgs: Array<[string, string]> = [];
  if (opts.charts) {
    const charts: Chart[] = [...metricCharts(table), ...(sensitivity ? sensitivityCharts(sensitivity) : []), ...cutoffCharts(table)];
    for (const key of CURVE_KEYS) {
      const series: CurveSeries[] = [];
      for (const r of finished) {
        if (!(key in r.metrics)) continue;
        // the dev curves were read for the convergence check already
        const points = key === DEV_CURVE_KEY ? devCurves.get(r.runId) : undefined;
        series.push({ trial: trialIdOf(r), points: points ?? (await reader.metricHistory(r, key)) });
      }
      const chart = curveChart(table.title, key, series);
      if (chart) charts.push(chart);
    }
    for (const c of charts) svgs.push([c.file, await renderSvg(c.spec)]);
    for (const [file, svg] of svgs) files.set(`charts/${file}`, svg);
  }
  const configs: Array<[string, string]> = [];
  for (const r of finished) {
    const yaml = await reader.readArtifact(r, 'config.yaml');
    if (yaml !== undefined) configs.push([trialIdOf(r), yaml]);
  }
  const source = `Sweep run ${parent.runId} in ${reader.location}; ${finished.length} finished trial run${finished.length === 1 ? '' : 's'}.`;
  files.set('report.html', formatHtml({ table, notes, source, charts: svgs, configs, worlds: opts.worlds, sensitivity, online }));
  const terminal = formatTerminal(table, notes) + (sensitivity ? `\n${formatSensitivityMarkdown(sensitivity)}` : '');
  return { table, notes, online, terminal: online.length > 0 ? `${terminal}\n${onlineTerminal(online)}\n` : terminal, files, sensitivity };
}

/** Writes the report files under `outDir` and attaches them to the sweep run under `report/`. */
export async function saveReport(report: BuiltReport, outDir: string, reader: SweepReader, parent: ReadRun): Promise<void> {
  for (const [path, content] of report.files) {
    const target = join(outDir, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  for (const [path, content] of report.files) await reader.writeArtifact(parent, `report/${path}`, content);
}
