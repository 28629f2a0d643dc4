import { isMap, parse as parseYamlValue, parseDocument } from 'yaml';
import { didYouMean } from '../core/did-you-mean.ts';
import type { Diagnostic } from '../core/errors.ts';
import { describe } from './extends.ts';
import { ENVELOPE_KEYS } from './envelope.ts';
import { isPlainObject, normaliseSlotEntry, PLUGIN_SLOTS } from './plugin-slots.ts';
import { SourceMap, type Path } from './source-map.ts';

/** One cell of the ablation grid: the overrides that define it and where each came from. */
export interface Cell {
  /** `path=label` pairs in axis order, e.g. `{ labelScheme: 'hla', 'loss.params.temperature': '0.1' }` */
  labels: Record<string, string>;
  value: Record<string, unknown>;
  map: SourceMap;
}

interface Axis {
  path: string;
  values: unknown[];
  /** location of axis value i, in the ablate block */
  at: Path;
}

/**
 * A `zip:` block may name its rows with `label: [...]`; a named row's trial id shows the name
 * (`dpr`) instead of every override of the block.
 */
export const ROW_LABEL = 'label';

const splitPath = (p: string): Path => p.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** Applies `--set key=value` overrides (values parsed as YAML) before expansion. */
export function applySets(value: Record<string, unknown>, map: SourceMap, sets: string[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  sets.forEach((s, i) => {
    const eq = s.indexOf('=');
    const where = { file: '--set', line: i + 1, col: 1 };
    if (eq <= 0) {
      diagnostics.push({ ...where, message: `expected key=value (got '${s}'), e.g. --set train.steps=100` });
      return;
    }
    const key = s.slice(0, eq).trim();
    let v: unknown;
    try {
      v = parseSetValue(s.slice(eq + 1));
    } catch (e) {
      // the parser's own position is within the value, which the user typed on the command line
      const reason = (e as Error).message.split('\n')[0]!.replace(/ at line 1, column (\d+):?$/, ' at column $1');
      diagnostics.push({ ...where, path: key, message: `value is not valid YAML: ${reason} of '${s.slice(eq + 1)}'` });
      return;
    }
    const err = checkPath(key);
    if (err) {
      diagnostics.push({ ...where, path: key, message: err });
      return;
    }
    const path = splitPath(key);
    setAt(value, path, normaliseAt(path, v));
    map.clear(path);
    map.setValue(path, where);
  });
  return diagnostics;
}

/**
 * A `--set` value is YAML, except that one line YAML would read as a block mapping (`a: b`) is
 * kept as the text typed: on a command line that is a title or a note with ': ' in it
 * (`--set 'report.title=Table 3: sources'`), never a mapping, which is written `{ a: b }`.
 */
function parseSetValue(text: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw doc.errors[0];
  if (isMap(doc.contents) && !doc.contents.flow && !text.includes('\n')) return text.trim();
  return doc.toJS();
}

function checkPath(path: string): string | undefined {
  const head = path.split('.')[0]!;
  if (head === 'ablate' || head === 'extends') return `'${head}' cannot be overridden or ablated`;
  if (!ENVELOPE_KEYS.includes(head)) {
    const guess = didYouMean(head, ENVELOPE_KEYS);
    return `unknown top-level key '${head}'${guess ? `; did you mean '${guess}'?` : ''}`;
  }
  return undefined;
}

/** A whole plugin node given as a bare name becomes `{ use }`, as it would in the file. */
export function normaliseAt(path: Path, v: unknown): unknown {
  if (path.length !== 1) return v;
  const slot = PLUGIN_SLOTS[String(path[0])];
  if (!slot) return v;
  if (slot.list) return (Array.isArray(v) ? v : [v]).map(normaliseSlotEntry);
  return normaliseSlotEntry(v);
}

function setAt(root: Record<string, unknown>, path: Path, v: unknown): void {
  let cur: Record<string | number, unknown> = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    let next = cur[seg];
    if (typeof next === 'string' && i === 0 && PLUGIN_SLOTS[String(seg)]) next = normaliseSlotEntry(next);
    if (next === null || typeof next !== 'object') next = typeof path[i + 1] === 'number' ? [] : {};
    else next = Array.isArray(next) ? [...next] : { ...next };
    cur[seg] = next;
    cur = next as Record<string | number, unknown>;
  }
  cur[path[path.length - 1]!] = v;
}

/** A short, readable label of an axis value for trial ids: `hla`, `0.1`, `search-clicks+feed`. */
export function valueLabel(v: unknown): string {
  if (Array.isArray(v)) return v.map(valueLabel).join('+');
  if (isPlainObject(v)) {
    if (typeof v.use === 'string') {
      const params = isPlainObject(v.params) ? Object.entries(v.params) : [];
      return params.length === 0 ? v.use : `${v.use}(${params.map(([k, x]) => `${k}=${valueLabel(x)}`).join(',')})`;
    }
    return `{${Object.entries(v).map(([k, x]) => `${k}=${valueLabel(x)}`).join(',')}}`;
  }
  return String(v);
}

/** Expands `ablate:` (cartesian product of axes, `zip:` groups paired) into cells. */
export function expandAblation(
  value: Record<string, unknown>,
  map: SourceMap,
  /** counted before anything is expanded: a 100x100x100 grid must be refused, not built */
  limit?: { maxTrials: number; seeds: number },
): { cells: Cell[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const ablate = value.ablate;
  const base = { ...value };
  delete base.ablate;
  if (ablate === undefined || ablate === null) return { cells: [{ labels: {}, value: base, map }], diagnostics };
  if (!isPlainObject(ablate)) {
    diagnostics.push({ ...map.value(['ablate']), path: 'ablate', message: `expected a mapping of path: [values] (got ${describe(ablate)})` });
    return { cells: [], diagnostics };
  }
  const readAxis = (path: string, values: unknown, at: Path): Axis | undefined => {
    const loc = map.value(at);
    const err = checkPath(path);
    if (err) {
      diagnostics.push({ ...map.key(at), path: `ablate.${path}`, message: err });
      return undefined;
    }
    if (!Array.isArray(values)) {
      diagnostics.push({ ...loc, path: `ablate.${path}`, message: `an ablation axis must be a list of values (got ${describe(values)})` });
      return undefined;
    }
    if (values.length === 0) {
      diagnostics.push({ ...loc, path: `ablate.${path}`, message: 'empty ablation axis: give at least one value or remove the axis' });
      return undefined;
    }
    return { path, values, at };
  };
  // groups: each plain axis is its own group; each zip block is one group of paired axes
  const groups: Array<{ axes: Axis[]; names?: string[] }> = [];
  for (const [key, v] of Object.entries(ablate)) {
    if (key === 'zip') {
      const blocks = Array.isArray(v) ? v : [v];
      blocks.forEach((block, bi) => {
        const blockPath: Path = Array.isArray(v) ? ['ablate', 'zip', bi] : ['ablate', 'zip'];
        if (!isPlainObject(block)) {
          diagnostics.push({ ...map.value(blockPath), path: 'ablate.zip', message: `expected a mapping of path: [values] (got ${describe(block)})` });
          return;
        }
        const { [ROW_LABEL]: names, ...paths } = block;
        const axes = Object.entries(paths)
          .map(([p, vals]) => readAxis(p, vals, [...blockPath, p]))
          .filter((a): a is Axis => a !== undefined);
        if (axes.length !== Object.keys(paths).length) return;
        if (names !== undefined) {
          const bad = !Array.isArray(names) || names.some((n) => typeof n !== 'string' || !/^[A-Za-z0-9_.+-]+$/.test(n)) || new Set(names).size !== names.length;
          const wrongLength = Array.isArray(names) && axes.length > 0 && names.length !== axes[0]!.values.length;
          if (bad || wrongLength || axes.length === 0) {
            diagnostics.push({
              ...map.value([...blockPath, ROW_LABEL]),
              path: `ablate.zip.${ROW_LABEL}`,
              message: `expected distinct names (letters, digits, _ . + -), one per row of the zipped axes${axes.length > 0 ? ` (${axes[0]!.values.length})` : ''}, got ${describe(names)}`,
            });
            return;
          }
        }
        const lengths = axes.map((a) => a.values.length);
        if (new Set(lengths).size > 1) {
          diagnostics.push({
            ...map.key(blockPath),
            path: 'ablate.zip',
            message: `zipped axes must have equal lengths (got ${axes.map((a) => `${a.path}: ${a.values.length}`).join(', ')})`,
          });
          return;
        }
        groups.push({ axes, names: names as string[] | undefined });
      });
    } else {
      const axis = readAxis(key, v, ['ablate', key]);
      if (axis) groups.push({ axes: [axis] });
    }
  }
  if (diagnostics.length > 0) return { cells: [], diagnostics };
  if (limit) {
    const total = groups.reduce((n, g) => n * g.axes[0]!.values.length, 1) * limit.seeds;
    if (total > limit.maxTrials) {
      const sizes = groups.map((g) => String(g.axes[0]!.values.length)).join(' x ');
      diagnostics.push({
        ...map.key(['ablate']),
        path: 'ablate',
        message: `expands to ${total} trials (${sizes}${limit.seeds > 1 ? ` x ${limit.seeds} seeds` : ''}), more than maxTrials (${limit.maxTrials}); set \`maxTrials: ${total}\` in the experiment or pass --yes to run them all, or shrink the axes`,
      });
      return { cells: [], diagnostics };
    }
  }
  let cells: Cell[] = [{ labels: {}, value: base, map }];
  for (const { axes: group, names } of groups) {
    const next: Cell[] = [];
    for (const cell of cells) {
      for (let i = 0; i < group[0]!.values.length; i++) {
        const v = structuredClone(cell.value);
        const m = cell.map.clone();
        const labels = { ...cell.labels };
        for (const axis of group) {
          const path = splitPath(axis.path);
          setAt(v, path, normaliseAt(path, structuredClone(axis.values[i])));
          m.clear(path);
          m.graft(path, map, [...axis.at, i]);
          if (!names) labels[axis.path] = valueLabel(axis.values[i]);
        }
        if (names) labels[ROW_LABEL] = names[i]!;
        next.push({ labels, value: v, map: m });
      }
    }
    cells = next;
  }
  return { cells, diagnostics };
}

/**
 * Applies `--sweep key=a,b,...`: each becomes an ablation axis after the file's, validated and named
 * like one. Values are split at top-level commas (not inside `[...]`, `{...}` or quotes) and parsed as YAML.
 */
export function applySweeps(value: Record<string, unknown>, map: SourceMap, sweeps: string[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  if (sweeps.length === 0) return diagnostics;
  if (value.ablate !== undefined && value.ablate !== null && !isPlainObject(value.ablate)) return diagnostics; // expandAblation reports it
  const ablate: Record<string, unknown> = { ...((value.ablate as Record<string, unknown> | undefined) ?? {}) };
  const fileAxes = axisPaths(ablate, map);
  sweeps.forEach((s, i) => {
    const eq = s.indexOf('=');
    const where = { file: '--sweep', line: i + 1, col: 1 };
    if (eq <= 0 || eq === s.length - 1) {
      diagnostics.push({ ...where, message: `expected key=value1,value2,... (got '${s}'), e.g. --sweep loss=info-nce,h-info-nce` });
      return;
    }
    const key = s.slice(0, eq).trim();
    const err = checkPath(key);
    if (err) {
      diagnostics.push({ ...where, path: key, message: err });
      return;
    }
    const clash = fileAxes.find((a) => a.path === key) ?? (key in ablate ? { path: key, at: map.key(['ablate', key]) } : undefined);
    if (clash) {
      const at = clash.at ? ` (${clash.at.file}:${clash.at.line}:${clash.at.col})` : '';
      diagnostics.push({ ...where, path: key, message: `'${key}' is already an ablation axis${at}; give its values in one place` });
      return;
    }
    const values: unknown[] = [];
    for (const part of splitTopLevel(s.slice(eq + 1))) {
      try {
        values.push(parseYamlValue(part.text));
        map.setValue(['ablate', key, values.length - 1], { ...where, col: eq + 2 + part.start });
      } catch (e) {
        diagnostics.push({ ...where, col: eq + 2 + part.start, path: key, message: `value '${part.text}' is not valid YAML: ${(e as Error).message.split('\n')[0]}` });
        return;
      }
    }
    ablate[key] = values;
    map.setKey(['ablate', key], where);
    map.setValue(['ablate', key], { ...where, col: eq + 2 });
  });
  value.ablate = ablate;
  return diagnostics;
}

/**
 * `a,[b,c],{d: 1}` -> `a`, `[b,c]`, `{d: 1}`, with each part's offset: splits at commas outside
 * quotes and the given brackets (YAML's `[]` and `{}` by default; trial ids also nest `()`).
 */
export function splitTopLevel(text: string, brackets = { open: '[{', close: ']}' }): Array<{ text: string; start: number }> {
  const parts: Array<{ text: string; start: number }> = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c !== undefined && brackets.open.includes(c)) depth++;
    else if (c !== undefined && brackets.close.includes(c)) depth--;
    else if ((c === ',' && depth === 0) || c === undefined) {
      parts.push({ text: text.slice(start, i), start });
      start = i + 1;
    }
  }
  return parts;
}

/** The axis paths of an `ablate:` mapping (plain axes and those of `zip:` blocks) with where each is written. */
export function axisPaths(ablate: unknown, map: SourceMap): Array<{ path: string; at: ReturnType<SourceMap['key']> }> {
  if (!isPlainObject(ablate)) return [];
  const out: Array<{ path: string; at: ReturnType<SourceMap['key']> }> = [];
  for (const [key, v] of Object.entries(ablate)) {
    if (key !== 'zip') {
      out.push({ path: key, at: map.key(['ablate', key]) });
      continue;
    }
    const blocks = Array.isArray(v) ? v : [v];
    blocks.forEach((block, bi) => {
      if (!isPlainObject(block)) return;
      const blockPath: Path = Array.isArray(v) ? ['ablate', 'zip', bi] : ['ablate', 'zip'];
      for (const p of Object.keys(block)) if (p !== ROW_LABEL) out.push({ path: p, at: map.key([...blockPath, p]) });
    });
  }
  return out;
}

/**
 * An axis replaces the whole value at its path in every trial. A value at or under that path written in
 * the experiment file itself or given with `--set` would never be used: that is an error at the value,
 * not a silent drop. Values inherited through `extends` are defaults and may be replaced.
 */
export function checkOverriddenByAxes(value: Record<string, unknown>, map: SourceMap, ownFiles: readonly string[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const axis of axisPaths(value.ablate, map)) {
    const path = splitPath(axis.path);
    const written = map
      .valuesUnder(path)
      .filter((e) => ownFiles.includes(e.loc.file))
      .sort((a, b) => a.loc.file.localeCompare(b.loc.file) || a.loc.line - b.loc.line || a.loc.col - b.loc.col);
    const first = written[0];
    if (!first) continue;
    const at = axis.at ? ` (${axis.at.file}:${axis.at.line}:${axis.at.col})` : '';
    diagnostics.push({
      ...first.loc,
      path: first.path,
      message: `never used: the ablation axis '${axis.path}'${at} replaces ${first.path === axis.path ? 'this value' : `'${axis.path}'`} in every trial; put the value into each of the axis's values (e.g. { use: NAME, params: {...} }) or remove it`,
    });
  }
  return diagnostics;
}
