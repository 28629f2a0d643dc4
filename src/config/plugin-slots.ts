import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { PLUGIN_KIND_SLOTS, type PluginKind } from '../core/plugin.ts';

/** Top-level experiment keys that hold plugin references, and whether they take a list; from {@link PLUGIN_KIND_SLOTS}. */
export const PLUGIN_SLOTS: Record<string, { kind: PluginKind; list: boolean; optional?: boolean }> = Object.fromEntries(
  Object.entries(PLUGIN_KIND_SLOTS)
    .filter(([, slot]) => slot !== 'none')
    .map(([kind, slot]) => [kind, { kind: kind as PluginKind, list: slot === 'list', ...(slot === 'optional' ? { optional: true } : {}) }]),
);

/**
 * The YAML base shipped with the package that names what a trial uses when the experiment leaves
 * a slot out. It is data, not code: core names no concrete plugin. (A build that copies src/ to
 * dist/ must copy this file along.)
 */
export const SLOT_DEFAULTS_FILE = fileURLToPath(new URL('./slot-defaults.yaml', import.meta.url));

/** Reads a slot-defaults file, refusing keys that are not plugin slots. */
export function readSlotDefaults(file: string): Readonly<Record<string, unknown>> {
  const doc: unknown = parse(readFileSync(file, 'utf8'));
  if (!isPlainObject(doc)) throw new Error(`${file}: expected a mapping of slot -> plugin`);
  for (const key of Object.keys(doc)) {
    if (!(key in PLUGIN_SLOTS)) throw new Error(`${file}: '${key}' is not a plugin slot (slots: ${Object.keys(PLUGIN_SLOTS).join(', ')})`);
  }
  return Object.freeze(doc);
}

/** What a trial uses when the experiment leaves a slot out. */
export const SLOT_DEFAULTS: Readonly<Record<string, unknown>> = readSlotDefaults(SLOT_DEFAULTS_FILE);

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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
