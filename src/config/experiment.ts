import { basename, extname } from 'node:path';
import type { Diagnostic } from '../core/errors.ts';
import { configHash, stableStringify } from '../core/hash.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { CODE_VERSION } from '../core/version.ts';
import { DEFAULT_MAX_TRIALS, Envelope, type ReportSettings } from './envelope.ts';
import type { LauncherSettings } from './launcher-settings.ts';
import { applySets, applySweeps, axisPaths, checkOverriddenByAxes, expandAblation, normaliseAt, ROW_LABEL } from './expand.ts';
import type { SourceMap } from './source-map.ts';
import { isPlainObject, PLUGIN_SLOTS, SLOT_DEFAULTS } from './plugin-slots.ts';
import { loadWithExtends, type InlineSource } from './extends.ts';
import { checkOnlineControl, checkReportSection } from './report-check.ts';
import { resolveTrial } from './resolve-trial.ts';
import { LEGACY_CONTROL, type TrialConfig } from './trial-config.ts';
import { zodDiagnostics } from './zod-diagnostics.ts';
import type { z } from 'zod';

export interface Trial {
  /** readable and unique within the sweep: `labelScheme=hla,loss=h-info-nce,seed=2` */
  id: string;
  index: number;
  /** the ablation overrides that define this trial (axis path -> value label) */
  labels: Record<string, string>;
  config: TrialConfig;
  /** identity for resume: resolved config + code version */
  hash: string;
}

export interface Experiment {
  name: string;
  file: string;
  files: string[];
  trials: Trial[];
  report?: z.output<typeof ReportSettings>;
  /** where the trials run; not part of any trial's hash */
  launcher?: LauncherSettings;
  /** identity of the whole sweep (all trial hashes) */
  hash: string;
}

export interface LoadOptions {
  registry: PluginRegistry;
  /** `--set key=value` overrides */
  sets?: string[];
  /** `--sweep key=a,b,...` extra ablation axes, added after the file's */
  sweeps?: string[];
  /** the experiment's YAML when it is not read from `file` (which then only anchors relative `extends` paths) */
  inline?: InlineSource;
  /** `--yes`: the user confirmed the size of the sweep, so `maxTrials` does not apply */
  yes?: boolean;
}

/**
 * Reads, merges, expands and validates an experiment file. Validation runs in passes over every
 * expanded trial; all problems are returned together, and no experiment is returned if any exist.
 */
export function loadExperiment(file: string, opts: LoadOptions): { experiment?: Experiment; diagnostics: Diagnostic[] } {
  const merged = loadWithExtends(file, opts.inline);
  if (merged.diagnostics.length > 0) return { diagnostics: sortDiagnostics(merged.diagnostics) };
  const diagnostics: Diagnostic[] = [];
  diagnostics.push(...applySets(merged.value, merged.map, opts.sets ?? []));
  diagnostics.push(...applySweeps(merged.value, merged.map, opts.sweeps ?? []));
  // nothing written in the file or on the command line may be dropped in silence
  const topFile = merged.files[0];
  diagnostics.push(...checkOverriddenByAxes(merged.value, merged.map, topFile ? [topFile, '--set'] : ['--set']));
  diagnostics.push(...checkReplacedPluginNames(merged.value, merged.map, opts.registry));
  // defaults go in before expansion so an axis like `loss.params.temperature` lands on a full node
  for (const [key, def] of Object.entries(SLOT_DEFAULTS)) {
    if (merged.value[key] === undefined) merged.value[key] = normaliseAt([key], structuredClone(def));
  }

  // `launcher: slurm` is short for `launcher: { use: slurm }`
  if (typeof merged.value.launcher === 'string') merged.value.launcher = { use: merged.value.launcher };
  const envelope = Envelope.safeParse(merged.value);
  if (!envelope.success) diagnostics.push(...zodDiagnostics(envelope.error, merged.value, [], merged.map, Envelope));
  const name = typeof merged.value.name === 'string' ? merged.value.name : basename(file, extname(file));
  const seeds = Array.isArray(merged.value.seeds) ? (merged.value.seeds as number[]) : typeof merged.value.seed === 'number' ? [merged.value.seed] : [1];
  // a repeated seed would train the same trial twice under one id and hash
  seeds.forEach((seed, i) => {
    const first = seeds.indexOf(seed);
    if (first !== i) diagnostics.push({ ...merged.map.value(['seeds', i]), path: `seeds.${i}`, message: `seed ${seed} is already listed (seeds.${first}); each seed must appear once` });
  });

  const maxTrials = opts.yes ? Number.POSITIVE_INFINITY : typeof merged.value.maxTrials === 'number' && merged.value.maxTrials > 0 ? merged.value.maxTrials : DEFAULT_MAX_TRIALS;
  const { cells, diagnostics: expandDiagnostics } = expandAblation(merged.value, merged.map, { maxTrials, seeds: seeds.length * (Array.isArray(merged.value.worlds) ? Math.max(1, merged.value.worlds.length) : 1) });
  diagnostics.push(...expandDiagnostics);

  const worlds = envelope.success ? envelope.data.worlds : undefined;
  const trials: Trial[] = [];
  const perTrial = new Map<string, Diagnostic & { trials: string[] }>();
  for (const cell of cells) {
    const cellBody = { ...cell.value };
    for (const k of ['name', 'description', 'seeds', 'seed', 'worlds', 'report', 'launcher', 'maxTrials']) delete cellBody[k];
    const worldProblem = worlds ? worldSeedProblem(cellBody.dataset, opts.registry) : undefined;
    if (worldProblem) diagnostics.push({ ...merged.map.key(['worlds']), path: 'worlds', message: worldProblem });
    for (const [world, seed] of (worlds && !worldProblem ? worlds : [undefined]).flatMap((w) => (envelope.success ? seeds : [seeds[0] ?? 1]).map((s) => [w, s] as const))) {
      const parts = Object.entries(cell.labels).map(([k, v]) => (k === ROW_LABEL ? v : `${k}=${v}`));
      if (worlds && worlds.length > 1) parts.push(`world=${world}`);
      if (seeds.length > 1) parts.push(`seed=${seed}`);
      const id = uniqueId(parts.join(',') || 'base', trials);
      const body = world === undefined ? cellBody : { ...cellBody, dataset: withDatasetSeed(cellBody.dataset, world) };
      const { config, diagnostics: trialDiagnostics } = resolveTrial(body, cell.map, seed, name, opts.registry);
      for (const d of trialDiagnostics) {
        const key = stableStringify({ ...d, trials: undefined });
        const seen = perTrial.get(key);
        if (seen) seen.trials.push(id);
        else perTrial.set(key, { ...d, trials: [id] });
      }
      if (config) {
        trials.push({ id, index: trials.length, labels: cell.labels, config, hash: configHash({ config: { ...config, name: undefined }, codeVersion: CODE_VERSION }) });
      } else {
        trials.push({ id, index: trials.length, labels: cell.labels, config: undefined as never, hash: '' });
      }
    }
  }
  const total = trials.length;
  for (const d of perTrial.values()) {
    // a problem shared by every trial is a problem of the file, not of particular trials
    diagnostics.push(d.trials.length === total ? { ...d, trials: undefined } : d);
  }

  // the tracker and the backend serve the whole sweep, so trials must agree on them
  const valid = trials.filter((t) => t.config);
  for (const slot of ['tracker', 'backend'] as const) {
    const variants = new Set(valid.map((t) => stableStringify(t.config[slot])));
    if (variants.size > 1) {
      diagnostics.push({ ...merged.map.value(['ablate']), path: slot, message: `the ${slot} is shared by the whole sweep and cannot vary between trials` });
    }
  }

  if (envelope.success && envelope.data.report) diagnostics.push(...checkReportSection(envelope.data.report, valid, merged.map));
  diagnostics.push(...checkOnlineControl(valid, merged.map, LEGACY_CONTROL));

  if (diagnostics.length > 0) return { diagnostics: sortDiagnostics(diagnostics) };
  return {
    experiment: {
      name,
      file: opts.inline?.displayName ?? file,
      files: merged.files,
      trials,
      report: envelope.success ? envelope.data.report : undefined,
      launcher: envelope.success ? envelope.data.launcher : undefined,
      hash: configHash(trials.map((t) => t.hash)),
    },
    diagnostics: [],
  };
}

/** The dataset node of a trial with its `seed` param set to one of `worlds`. */
function withDatasetSeed(node: unknown, world: number): unknown {
  if (typeof node === 'string') return { use: node, params: { seed: world } };
  const ref = node as { use?: unknown; params?: Record<string, unknown> };
  return { ...ref, params: { ...(ref.params ?? {}), seed: world } };
}

/**
 * Why `worlds` cannot apply to this dataset node, if it cannot: the dataset plugin must take a
 * `seed` param, and the file must not also fix that seed (which of the two would win is a guess).
 */
function worldSeedProblem(node: unknown, registry: PluginRegistry): string | undefined {
  const ref = typeof node === 'string' ? { use: node } : (node as { use?: unknown; params?: Record<string, unknown> } | undefined);
  if (!ref || typeof ref.use !== 'string' || !registry.has('dataset', ref.use)) return undefined; // reported with the dataset itself
  const schema = registry.get('dataset', ref.use).schema as { shape?: Record<string, unknown> };
  if (!schema.shape || !('seed' in schema.shape)) {
    return `dataset '${ref.use}' has no seed param, so worlds cannot vary its world; remove worlds, or use a dataset that takes a seed (e.g. synthetic-world)`;
  }
  if (ref.params && 'seed' in ref.params) return `worlds sets the dataset's seed, and dataset.params.seed sets it too; keep one of them`;
  return undefined;
}

function uniqueId(id: string, trials: Trial[]): string {
  if (!trials.some((t) => t.id === id)) return id;
  let n = 2;
  while (trials.some((t) => t.id === `${id}#${n}`)) n++;
  return `${id}#${n}`;
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds
    .filter((d) => {
      const k = stableStringify(d);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

/**
 * Plugin names in slots that ablation axes replace in every trial are never resolved by a trial, so
 * they are checked here: a misspelled name is reported even where no trial would use it.
 */
function checkReplacedPluginNames(value: Record<string, unknown>, map: SourceMap, registry: PluginRegistry): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const axes = axisPaths(value.ablate, map).map((a) => a.path);
  for (const [key, slot] of Object.entries(PLUGIN_SLOTS)) {
    if (value[key] === undefined || !axes.some((p) => p === key || p.startsWith(`${key}.`))) continue;
    const entries = slot.list && Array.isArray(value[key]) ? (value[key] as unknown[]).map((e, i) => [e, [key, i]] as const) : [[value[key], [key]] as const];
    for (const [entry, path] of entries) {
      const use = isPlainObject(entry) ? entry.use : undefined;
      if (typeof use === 'string' && !registry.has(slot.kind, use)) {
        diagnostics.push({ ...map.value([...path, 'use']), path: path.join('.'), message: registry.unknownMessage(slot.kind, use) });
      }
    }
  }
  return diagnostics;
}
