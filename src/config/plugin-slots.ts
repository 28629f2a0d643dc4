import type { PluginKind } from '../core/plugin.ts';

/** Top-level experiment keys that hold plugin references, and whether they take a list. */
export const PLUGIN_SLOTS: Record<string, { kind: PluginKind; list: boolean; optional?: boolean }> = {
  dataset: { kind: 'dataset', list: false },
  positiveSource: { kind: 'positiveSource', list: true },
  discriminator: { kind: 'discriminator', list: false, optional: true },
  llm: { kind: 'llm', list: false, optional: true },
  labelScheme: { kind: 'labelScheme', list: false },
  sampler: { kind: 'sampler', list: false },
  encoder: { kind: 'encoder', list: false },
  loss: { kind: 'loss', list: false },
  retriever: { kind: 'retriever', list: false },
  tracker: { kind: 'tracker', list: false },
  backend: { kind: 'backend', list: false },
};

/** What a trial uses when the experiment leaves a slot out. */
export const SLOT_DEFAULTS: Record<string, unknown> = {
  positiveSource: ['search-clicks'],
  labelScheme: 'hla',
  sampler: 'in-batch',
  encoder: 'hash-mlp',
  loss: 'info-nce',
  retriever: 'dense-exact',
  tracker: 'mlflow',
  backend: 'auto',
};

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `name` -> `{ use: name }`; objects pass through; anything else is left for validation to report. */
export function normaliseSlotEntry(v: unknown): unknown {
  return typeof v === 'string' ? { use: v } : v;
}

/** Normalises the plugin slots of a raw experiment object in place. */
export function normaliseSlots(doc: Record<string, unknown>): void {
  for (const [key, slot] of Object.entries(PLUGIN_SLOTS)) {
    if (!(key in doc)) continue;
    const v = doc[key];
    if (slot.list) {
      if (Array.isArray(v)) doc[key] = v.map(normaliseSlotEntry);
      else if (typeof v === 'string' || isPlainObject(v)) doc[key] = [normaliseSlotEntry(v)];
    } else {
      doc[key] = normaliseSlotEntry(v);
    }
  }
}
