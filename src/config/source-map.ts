/** A position in an experiment file (1-based line and column). */
export interface Loc {
  file: string;
  line: number;
  col: number;
}

/** Path segments inside a config value: object keys and array indices. */
export type Path = Array<string | number>;

export const pathKey = (path: Path): string => path.join('.');

/**
 * Where each value (and each mapping key) of a merged config came from. Lookups walk up to the
 * nearest ancestor that has a position, so a defaulted leaf still points at its plugin node.
 */
export class SourceMap {
  private readonly values = new Map<string, Loc>();
  private readonly keys = new Map<string, Loc>();

  setValue(path: Path, loc: Loc): void {
    this.values.set(pathKey(path), loc);
  }

  setKey(path: Path, loc: Loc): void {
    this.keys.set(pathKey(path), loc);
  }

  /** Position of the value at `path`, or of its nearest located ancestor. */
  value(path: Path): Loc | undefined {
    for (let n = path.length; n >= 0; n--) {
      const hit = this.values.get(pathKey(path.slice(0, n)));
      if (hit) return hit;
    }
    return undefined;
  }

  /** Position of the mapping key at `path` (for unknown-key errors), else of the value. */
  key(path: Path): Loc | undefined {
    return this.keys.get(pathKey(path)) ?? this.value(path);
  }

  /** Positions of the values at or below `path` (not of ancestors), by path. */
  valuesUnder(path: Path): Array<{ path: string; loc: Loc }> {
    const prefix = pathKey(path);
    return [...this.values]
      .filter(([k]) => k === prefix || k.startsWith(`${prefix}.`) || prefix === '')
      .map(([k, loc]) => ({ path: k, loc }));
  }

  /** Drops every entry at or below `path` (the value there was replaced). */
  clear(path: Path): void {
    const prefix = pathKey(path);
    for (const map of [this.values, this.keys]) {
      for (const k of [...map.keys()]) if (k === prefix || k.startsWith(`${prefix}.`) || prefix === '') map.delete(k);
    }
  }

  /** Copies `other`'s entries under `path` re-rooted from `fromPath` (used when ablation values move into place). */
  graft(path: Path, other: SourceMap, fromPath: Path): void {
    const from = pathKey(fromPath);
    const to = pathKey(path);
    const move = (src: Map<string, Loc>, dst: Map<string, Loc>) => {
      for (const [k, loc] of src) {
        if (k === from) dst.set(to, loc);
        else if (k.startsWith(`${from}.`)) dst.set(`${to}${k.slice(from.length)}`, loc);
      }
    };
    move(other.values, this.values);
    move(other.keys, this.keys);
  }

  merge(other: SourceMap): void {
    for (const [k, v] of other.values) this.values.set(k, v);
    for (const [k, v] of other.keys) this.keys.set(k, v);
  }

  clone(): SourceMap {
    const c = new SourceMap();
    c.merge(this);
    return c;
  }
}
