import { Container } from 'inversify';
import type { Experiment } from '../config/experiment.ts';
import type { PluginRef } from '../config/trial-config.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { configHash } from '../core/hash.ts';
import { Rng } from '../core/rng.ts';
import type { Dataset, DatasetDiagnostic } from '../extension-points/dataset.ts';
import { PluginFactory } from '../runner/plugin-factory.ts';
import type { Io } from './io.ts';
import { loadValidated, type ExperimentArgs } from './validate-command.ts';

export interface WorldDescribeArgs extends ExperimentArgs {
  json: boolean;
  cacheRoot?: string;
}

/**
 * `crops world describe FILE`: loads each distinct dataset of the experiment's trials and prints its
 * diagnostics with their target ranges, so a researcher sees whether the logs look like a filter
 * bubble before training anything. Values outside their range are marked, and never fail the command.
 */
export async function worldDescribeCommand(args: WorldDescribeArgs, io: Io): Promise<number> {
  const { experiment, registry } = await loadValidated(args);
  const reports = await describeDatasets(experiment, registry, args.cacheRoot ?? '.crops-cache');
  if (args.json) {
    io.out(`${JSON.stringify(reports.map(({ dataset, trials, diagnostics }) => ({ dataset, trials, diagnostics })), null, 2)}\n`);
    return 0;
  }
  for (const r of reports) {
    io.out(`dataset ${r.dataset.use} ${JSON.stringify(r.dataset.params)}  (${r.trials.length} of ${experiment.trials.length} trials)\n`);
    io.out(formatDiagnostics(r.diagnostics));
  }
  return 0;
}

export interface DatasetReport {
  dataset: PluginRef;
  trials: string[];
  diagnostics: DatasetDiagnostic[];
  /** false when the dataset has no `describe` and only its log description is shown */
  described: boolean;
}

/** Loads each distinct dataset of the experiment's trials once and collects its diagnostics. */
export async function describeDatasets(experiment: Experiment, registry: PluginRegistry, cacheRoot: string): Promise<DatasetReport[]> {
  const distinct = new Map<string, { ref: PluginRef; trials: string[] }>();
  for (const t of experiment.trials) {
    const key = configHash(t.config.dataset);
    const entry = distinct.get(key) ?? { ref: t.config.dataset, trials: [] };
    entry.trials.push(t.id);
    distinct.set(key, entry);
  }
  const reports: DatasetReport[] = [];
  for (const { ref, trials } of distinct.values()) {
    const factory = new PluginFactory(new Container(), { registry, rng: new Rng(0), cacheRoot, logLevel: 'warn' });
    const dataset = factory.create<Dataset>('dataset', ref);
    const diagnostics = dataset.describe ? await dataset.describe() : fromDescription((await dataset.load()).description);
    reports.push({ dataset: ref, trials, diagnostics, described: dataset.describe !== undefined });
  }
  return reports;
}

function fromDescription(description: Record<string, number | string> | undefined): DatasetDiagnostic[] {
  return Object.entries(description ?? {}).map(([key, value]) => ({ key, value, about: '' }));
}

/** Whether a value lies inside its target range; undefined when it has none. */
export function inTarget(d: DatasetDiagnostic): boolean | undefined {
  if (!d.target || typeof d.value !== 'number') return undefined;
  return d.value >= d.target[0] && d.value <= d.target[1];
}

/** One aligned line per diagnostic: key, value, range and verdict, then what it measures. */
export function formatDiagnostics(rows: DatasetDiagnostic[]): string {
  const keyWidth = Math.max(3, ...rows.map((r) => r.key.length));
  const valueWidth = Math.max(5, ...rows.map((r) => String(r.value).length));
  const lines = [`  ${'key'.padEnd(keyWidth)}  ${'value'.padStart(valueWidth)}  ${'target'.padEnd(11)}  ${'   '}  about`];
  for (const r of rows) {
    const ok = inTarget(r);
    const range = r.target ? `${r.target[0]}–${r.target[1]}` : '';
    const verdict = ok === undefined ? '   ' : ok ? 'ok ' : 'OUT';
    lines.push(`  ${r.key.padEnd(keyWidth)}  ${String(r.value).padStart(valueWidth)}  ${range.padEnd(11)}  ${verdict}  ${r.about}`);
  }
  const outside = rows.filter((r) => inTarget(r) === false).map((r) => r.key);
  lines.push(outside.length ? `  ${outside.length} outside the target range: ${outside.join(', ')}` : '  every diagnostic with a target range is inside it');
  return `${lines.join('\n')}\n`;
}
