import { didYouMean } from '../core/did-you-mean.ts';
import type { Diagnostic } from '../core/errors.ts';
import { ONLINE_SIMULATION_TRAIT } from '../extension-points/dataset.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { describe } from './extends.ts';
import { isPlainObject, PLUGIN_SLOTS, SLOT_DEFAULTS, normaliseSlotEntry } from './plugin-slots.ts';
import type { Path, SourceMap } from './source-map.ts';
import { DEV_SET, EvalSettings, METRIC_SPEC, TrainSettings, type PluginRef, type TrialConfig } from './trial-config.ts';
import { zodDiagnostics } from './zod-diagnostics.ts';

/** The test sets every dataset yields; `crops` reports metrics on these. */
export const TEST_SETS = ['ct', 'qr', 'judged'] as const;

/**
 * Checks one expanded cell against the plugin registry and turns it into a resolved trial config
 * (plugin params and settings defaulted). Returns every problem found, never only the first.
 */
export function resolveTrial(
  value: Record<string, unknown>,
  map: SourceMap,
  seed: number,
  name: string,
  registry: PluginRegistry,
): { config?: TrialConfig; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const refs: Record<string, PluginRef | PluginRef[] | undefined> = {};
  const used: Array<{ kind: string; name: string; path: Path }> = [];

  const resolveRef = (raw: unknown, path: Path, kind: (typeof PLUGIN_SLOTS)[string]['kind']): PluginRef | undefined => {
    const entry = normaliseSlotEntry(raw);
    const label = path.join('.');
    if (!isPlainObject(entry)) {
      diagnostics.push({ ...map.value(path), path: label, message: `expected a plugin name or { use: name, params: {...} } (got ${describe(entry)})` });
      return undefined;
    }
    for (const k of Object.keys(entry)) {
      if (k !== 'use' && k !== 'params') {
        diagnostics.push({ ...map.key([...path, k]), path: `${label}.${k}`, message: `unknown key in a plugin node (allowed: use, params)` });
      }
    }
    if (typeof entry.use !== 'string') {
      diagnostics.push({ ...map.value(path), path: `${label}.use`, message: `missing plugin name: expected use: <${kind} plugin> (available: ${registry.names(kind).join(', ')})` });
      return undefined;
    }
    if (!registry.has(kind, entry.use)) {
      diagnostics.push({ ...map.value([...path, 'use']), path: label, message: registry.unknownMessage(kind, entry.use) });
      return undefined;
    }
    const descriptor = registry.get(kind, entry.use);
    const params = entry.params ?? {};
    const parsed = descriptor.schema.safeParse(params);
    if (!parsed.success) {
      if (!isPlainObject(params)) {
        diagnostics.push({ ...map.value([...path, 'params']), path: `${label}.params`, message: `expected a mapping of params (got ${describe(params)})` });
      } else {
        diagnostics.push(...zodDiagnostics(parsed.error, params, [...path, 'params'], map, descriptor.schema));
      }
      return undefined;
    }
    used.push({ kind, name: entry.use, path });
    const filled: unknown = descriptor.fillDefaults ? descriptor.fillDefaults(parsed.data) : parsed.data;
    return { use: entry.use, params: filled as Record<string, unknown> };
  };

  for (const [key, slot] of Object.entries(PLUGIN_SLOTS)) {
    const raw = value[key] ?? SLOT_DEFAULTS[key];
    if (raw === undefined || raw === null) {
      if (!slot.optional) {
        diagnostics.push({ ...map.value([]), path: key, message: `is required: name a ${slot.kind} plugin (available: ${registry.names(slot.kind).join(', ')})` });
      }
      continue;
    }
    if (slot.list) {
      const list = Array.isArray(raw) ? raw : [raw];
      if (list.length === 0) {
        diagnostics.push({ ...map.value([key]), path: key, message: `needs at least one ${slot.kind} plugin` });
        continue;
      }
      refs[key] = list.map((r, i) => resolveRef(r, [key, i], slot.kind)).filter((r): r is PluginRef => r !== undefined);
    } else {
      refs[key] = resolveRef(raw, [key], slot.kind);
    }
  }

  const train = TrainSettings.safeParse(value.train ?? {});
  if (!train.success) diagnostics.push(...zodDiagnostics(train.error, value.train, ['train'], map, TrainSettings));
  const select = train.success ? train.data.select : undefined;
  if (select) {
    const at = { ...map.value(['train', 'select', 'metric']), path: 'train.select.metric' };
    const [, metric, k] = METRIC_SPEC.exec(select.metric)!;
    if (!registry.has('metric', metric!)) diagnostics.push({ ...at, message: registry.unknownMessage('metric', metric!) });
    if (Number(k) <= 0) diagnostics.push({ ...at, message: `the cutoff must be a positive integer (got '${select.metric}')` });
    const steps = train.data!.steps;
    if (steps > 0 && select.every > steps) {
      diagnostics.push({ ...map.value(['train', 'select', 'every']), path: 'train.select.every', message: `scores the dev split every ${select.every} steps, more than train.steps (${steps}); lower it so selection has more than one point to choose from` });
    }
  }
  const evalSettings = EvalSettings.safeParse(value.eval ?? {});
  if (!evalSettings.success) diagnostics.push(...zodDiagnostics(evalSettings.error, value.eval, ['eval'], map, EvalSettings));
  else {
    evalSettings.data.metrics.forEach((spec, i) => {
      const at = { ...map.value(['eval', 'metrics', i]), path: `eval.metrics.${i}` };
      const m = METRIC_SPEC.exec(spec);
      if (!m) {
        diagnostics.push({ ...at, message: `expected metric@k/set, e.g. recall@100/ct (got '${spec}')` });
        return;
      }
      const [, metric, , set] = m;
      if (!registry.has('metric', metric!)) diagnostics.push({ ...at, message: registry.unknownMessage('metric', metric!) });
      const available = [...new Set([...TEST_SETS, ...datasetTestSets(refs.dataset as PluginRef | undefined, registry), ...(train.success && train.data.select ? [DEV_SET] : [])])];
      if (!available.includes(set!)) {
        const guess = didYouMean(set!, available);
        diagnostics.push({ ...at, message: `unknown test set '${set}'${guess ? `; did you mean '${guess}'?` : ''} (available: ${available.join(', ')})` });
      }
    });
  }

  const online = evalSettings.success ? evalSettings.data.online : undefined;
  const datasetRef = refs.dataset as PluginRef | undefined;
  if (online && datasetRef && !(registry.get('dataset', datasetRef.use).provides ?? []).includes(ONLINE_SIMULATION_TRAIT)) {
    diagnostics.push({
      ...map.key(['eval', 'online']),
      path: 'eval.online',
      message: `dataset '${datasetRef.use}' cannot simulate an online A/B test: it does not provide '${ONLINE_SIMULATION_TRAIT}' (a simulator such as synthetic-world does); remove eval.online or use such a dataset`,
    });
  }

  // cross-plugin checks: every trait a plugin requires must be provided by another plugin of the trial
  const provided = new Set(used.flatMap((u) => registry.get(u.kind as never, u.name).provides ?? []));
  for (const u of used) {
    for (const req of registry.get(u.kind as never, u.name).requires ?? []) {
      if (!provided.has(req.trait)) {
        // a trait named after an optional slot (`discriminator`, `llm`) is met by filling that slot
        const slot = PLUGIN_SLOTS[req.trait];
        const hint = slot?.optional && (value[req.trait] ?? SLOT_DEFAULTS[req.trait]) == null ? ` (add '${req.trait}:' naming one of: ${registry.names(slot.kind).join(', ')})` : '';
        diagnostics.push({ ...map.value([...u.path, 'use']), path: u.path.join('.'), message: `${u.kind} '${u.name}' cannot run here: ${req.because}${hint}` });
      }
    }
    for (const clash of registry.get(u.kind as never, u.name).conflicts ?? []) {
      const by = used.find((o) => o !== u && (registry.get(o.kind as never, o.name).provides ?? []).includes(clash.trait));
      if (by) diagnostics.push({ ...map.value([...u.path, 'use']), path: u.path.join('.'), message: `${u.kind} '${u.name}' cannot run with ${by.kind} '${by.name}': ${clash.because}` });
    }
  }

  if (diagnostics.length > 0) return { diagnostics };
  // required slots first, then settings, then filled optional slots: the order params are listed in
  const slots = Object.entries(PLUGIN_SLOTS);
  const sources = (refs.positiveSource as PluginRef[] | undefined) ?? [];
  const consulted = (kind: string) =>
    sources.some((ref) => {
      const asks = registry.get('positiveSource', ref.use).consults;
      return asks === undefined || (asks as readonly string[]).includes(kind);
    });
  const pick = (optional: boolean) =>
    Object.fromEntries(slots.filter(([key, slot]) => !!slot.optional === optional && refs[key] !== undefined && (!optional || consulted(slot.kind))).map(([key]) => [key, refs[key]]));
  const config = { name, seed, ...pick(false), train: train.data!, eval: evalSettings.data!, ...pick(true) } as TrialConfig;
  return { config, diagnostics };
}

/** The evaluation sets a trial's dataset names itself (e.g. BEIR's qrels splits), from its params. */
function datasetTestSets(ref: PluginRef | undefined, registry: PluginRegistry): string[] {
  if (!ref || !registry.has('dataset', ref.use)) return [];
  const d = registry.get('dataset', ref.use);
  if (!d.testSets) return [];
  const parsed = d.schema.safeParse(ref.params ?? {});
  return parsed.success ? d.testSets(parsed.data) : [];
}
