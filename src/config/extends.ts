import { dirname, relative, resolve } from 'node:path';
import type { Diagnostic } from '../core/errors.ts';
import { isPlainObject, normaliseSlots, PLUGIN_SLOTS } from './plugin-slots.ts';
import { SourceMap, type Path } from './source-map.ts';
import { loadYamlFile, parseYamlWithPositions } from './yaml-source.ts';

/** An experiment that is not a file on disk (given as an object through the API), as YAML text. */
export interface InlineSource {
  text: string;
  /** how diagnostics name it, e.g. `(experiment object)` */
  displayName: string;
}

/** Far more than any real experiment needs; a longer chain is a mistake or an attack, not a config. */
const MAX_EXTENDS_DEPTH = 32;

export interface MergedExperiment {
  value: Record<string, unknown>;
  map: SourceMap;
  /** every file read, base files first */
  files: string[];
  diagnostics: Diagnostic[];
}

/** Paths are shown relative to the working directory, as a user typed them. */
export const displayPath = (abs: string): string => {
  const rel = relative(process.cwd(), abs);
  return rel.startsWith('..') ? abs : rel;
};

/**
 * Loads an experiment file and the chain of files it `extends`, deep-merging each over its bases.
 * Mappings merge key by key; lists and scalars replace; a plugin slot naming a different plugin
 * replaces the base slot whole (the base's params belong to the other plugin).
 */
export function loadWithExtends(file: string, inline?: InlineSource): MergedExperiment {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const load = (abs: string, stack: string[]): { value: Record<string, unknown>; map: SourceMap } | undefined => {
    const top = inline !== undefined && stack.length === 1;
    const shown = top ? inline.displayName : displayPath(abs);
    const parsed = top ? parseYamlWithPositions(inline.text, shown) : loadYamlFile(abs, shown);
    if (parsed.diagnostics.length > 0) {
      diagnostics.push(...parsed.diagnostics);
      return undefined;
    }
    files.push(shown);
    if (parsed.value == null) return { value: {}, map: parsed.map };
    if (!isPlainObject(parsed.value)) {
      diagnostics.push({ file: shown, line: 1, col: 1, message: `an experiment file must be a mapping of keys (got ${describe(parsed.value)})` });
      return undefined;
    }
    const doc = { ...parsed.value };
    normaliseSlots(doc);
    const ext = doc.extends;
    delete doc.extends;
    const bases = ext === undefined ? [] : Array.isArray(ext) ? ext : [ext];
    let acc: { value: Record<string, unknown>; map: SourceMap } = { value: {}, map: new SourceMap() };
    bases.forEach((b, i) => {
      const path: Path = Array.isArray(ext) ? ['extends', i] : ['extends'];
      const loc = parsed.map.value(path);
      if (typeof b !== 'string') {
        diagnostics.push({ ...loc, path: 'extends', message: `expected a file path (got ${describe(b)})` });
        return;
      }
      const target = resolve(dirname(abs), b);
      if (stack.includes(target)) {
        const chain = [...stack.slice(stack.indexOf(target)), target].map(displayPath).join(' -> ');
        diagnostics.push({ ...loc, path: 'extends', message: `extends cycle: ${chain}; remove one of these extends` });
        return;
      }
      if (stack.length >= MAX_EXTENDS_DEPTH) {
        diagnostics.push({ ...loc, path: 'extends', message: `extends chain deeper than ${MAX_EXTENDS_DEPTH} files; flatten it` });
        return;
      }
      const before = diagnostics.length;
      const base = load(target, [...stack, target]);
      if (!base) {
        // point the user at the extends line too, not only inside the missing/broken/unreadable base
        const unreadable = diagnostics.slice(before).find((d) => d.file === displayPath(target) && d.line === undefined);
        if (unreadable) {
          const what = unreadable.message === 'file not found' ? 'file not found' : `${displayPath(target)} ${unreadable.message}`;
          diagnostics.splice(before, diagnostics.length - before, {
            ...loc,
            path: 'extends',
            message: `${what}: ${b} (resolved to ${displayPath(target)}); paths are relative to the file that extends them`,
          });
        }
        return;
      }
      acc = mergeInto(acc, base);
    });
    return mergeInto(acc, { value: doc, map: parsed.map });
  };
  const abs = resolve(file);
  const merged = load(abs, [abs]);
  return { value: merged?.value ?? {}, map: merged?.map ?? new SourceMap(), files, diagnostics };
}

function mergeInto(
  base: { value: Record<string, unknown>; map: SourceMap },
  over: { value: Record<string, unknown>; map: SourceMap },
): { value: Record<string, unknown>; map: SourceMap } {
  const map = base.map.clone();
  const value = mergeValue(base.value, over.value, [], map, over.map) as Record<string, unknown>;
  return { value, map };
}

function mergeValue(base: unknown, over: unknown, path: Path, map: SourceMap, overMap: SourceMap): unknown {
  const slotReplaced =
    path.length === 1 && String(path[0]) in PLUGIN_SLOTS && isPlainObject(base) && isPlainObject(over) && over.use !== undefined && over.use !== base.use;
  if (isPlainObject(base) && isPlainObject(over) && !slotReplaced) {
    const out: Record<string, unknown> = { ...base };
    const loc = overMap.value(path);
    if (loc && path.length > 0) map.setValue(path, loc);
    for (const [k, v] of Object.entries(over)) {
      const keyLoc = overMap.key([...path, k]);
      if (keyLoc) map.setKey([...path, k], keyLoc);
      out[k] = k in base ? mergeValue(base[k], v, [...path, k], map, overMap) : graftWhole(v, [...path, k], map, overMap);
    }
    return out;
  }
  return graftWhole(over, path, map, overMap);
}

function graftWhole(v: unknown, path: Path, map: SourceMap, overMap: SourceMap): unknown {
  map.clear(path);
  map.graft(path, overMap, path);
  return v;
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  return String(v);
}
