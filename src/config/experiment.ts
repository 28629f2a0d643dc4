import { basename, extname } from 'node:path';
import type { Diagnostic } from '../core/errors.ts';
import { configHash, stableStringify } from '../core/hash.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { CODE_VERSION } from '../core/version.ts';
import { DEFAULT_MAX_TRIALS, Envelope, type ReportSettings } from './envelope.ts';
import { applySets, expandAblation, normaliseAt, ROW_LABEL } from './expand.ts';
import { SLOT_DEFAULTS } from './plugin-slots.ts';
import { loadWithExtends } from './extends.ts';
import { checkReportSection } from './report-check.ts';
import { resolveTrial } from './resolve-trial.ts';
import type { TrialConfig } from './trial-config.ts';
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
  /** identity of the whole sweep (all trial hashes) */
  hash: string;
}

export interface LoadOptions {
  registry: PluginRegistry;
  /** `--set key=value` overrides */
  sets?: string[];
}

/**
 * Reads, merges, expands and validates an experiment file. Validation runs in passes over every
 * expanded trial; all problems are returned together, and no experiment is returned if any exist.
 */
export function loadExperiment(file: string, opts: LoadOptions): { experiment?: Experiment; diagnostics: Diagnostic[] } {
  const merged = loadWithExtends(file);
  if (merged.diagnostics.length > 0) return { diagnostics: sortDiagnostics(merged.diagnostics) };
  const diagnostics: Diagnostic[] = [];
  diagnostics.push(...applySets(merged.value, merged.map, opts.sets ?? []));
  // defaults go in before expansion so an axis like `loss.params.temperature` lands on a full node
  for (const [key, def] of Object.entries(SLOT_DEFAULTS)) {
    if (merged.value[key] === undefined) merged.value[key] = normaliseAt([key], structuredClone(def));
  }

  const envelope = Envelope.safeParse(merged.value);
  if (!envelope.success) diagnostics.push(...zodDiagnostics(envelope.error, merged.value, [], merged.map, Envelope));
  const name = typeof merged.value.name === 'string' ? merged.value.name : basename(file, extname(file));
  const seeds = Array.isArray(merged.value.seeds) ? (merged.value.seeds as number[]) : typeof merged.value.seed === 'number' ? [merged.value.seed] : [1];
  // a repeated seed would train the same trial twice under one id and hash
  seeds.forEach((seed, i) => {
    const first = seeds.indexOf(seed);
    if (first !== i) diagnostics.push({ ...merged.map.value(['seeds', i]), path: `seeds.${i}`, message: `seed ${seed} is already listed (seeds.${first}); each seed must appear once` });
  });

  const maxTrials = typeof merged.value.maxTrials === 'number' && merged.value.maxTrials > 0 ? merged.value.maxTrials : DEFAULT_MAX_TRIALS;
  const { cells, diagnostics: expandDiagnostics } = expandAblation(merged.value, merged.map, { maxTrials, seeds: seeds.length });
  diagnostics.push(...expandDiagnostics);

  const trials: Trial[] = [];
  const perTrial = new Map<string, Diagnostic & { trials: string[] }>();
  for (const cell of cells) {
    const body = { ...cell.value };
    for (const k of ['name', 'description', 'seeds', 'seed', 'report', 'maxTrials']) delete body[k];
    for (const seed of envelope.success ? seeds : [seeds[0] ?? 1]) {
      const parts = Object.entries(cell.labels).map(([k, v]) => (k === ROW_LABEL ? v : `${k}=${v}`));
      if (seeds.length > 1) parts.push(`seed=${seed}`);
      const id = uniqueId(parts.join(',') || 'base', trials);
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

  if (diagnostics.length > 0) return { diagnostics: sortDiagnostics(diagnostics) };
  return {
    experiment: {
      name,
      file,
      files: merged.files,
      trials,
      report: envelope.success ? envelope.data.report : undefined,
      hash: configHash(trials.map((t) => t.hash)),
    },
    diagnostics: [],
  };
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
