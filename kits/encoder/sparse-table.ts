import type { AdamSettings } from '../../src/extension-points/encoder.ts';
import { fmix32 } from '../text/tokenize.ts';

/** Shape and initialisation of a {@link SparseTable}. */
export interface SparseTableOptions {
  rows: number;
  dim: number;
  /** standard deviation of the (uniform) initial values */
  initScale: number;
  /** 32-bit seed; row `r`'s initial values depend only on (seed, r) */
  seed: number;
}

/** Grouping arrays of {@link SparseTable.flush}, sized for a step's entries. */
interface FlushScratch {
  rowOfSlot: Int32Array;
  start: Int32Array;
  fill: Int32Array;
  source: Int32Array;
  weight: Float32Array;
}

/** A table's inference state: {@link SparseTableOptions} plus the values of its materialised rows. */
export interface TableSnapshot extends SparseTableOptions {
  /** ascending row ids */
  ids: Int32Array;
  /** `ids.length * dim` values, row after row */
  values: Float32Array;
}

/**
 * An embedding table kept on the host (outside the autodiff graph) with a lazy Adam optimiser:
 * only rows that received a gradient are updated. Rows are initialised on first read from a
 * counter-based generator, so the values do not depend on the order rows are touched in. Values
 * and Adam moments live in separate arrays: pooling, the hot read of every step, then walks a
 * table a third the size (256 bytes a row at dim 64), and an update touches two regions per row.
 *
 * Lazy Adam: a row untouched for k steps has missed k zero-gradient moment updates; when it is next
 * touched its moments are first decayed by beta^k, so that m and v (and the bias correction with the
 * global step) equal those of dense Adam. Only the parameter moves of the missed steps are skipped,
 * which is the usual lazy approximation. Decoupled weight decay likewise applies to touched rows only.
 *
 * Gradients of one step are accumulated (a row hit from several texts, or from both towers when the
 * table is shared, gets the summed gradient) and the Adam update runs once, at the next read
 * ({@link pool}, {@link row}), on a gradient for a later step, or on {@link flush}.
 */
export class SparseTable {
  readonly rows: number;
  readonly dim: number;
  /** row after row, dim values each */
  private readonly values: Float32Array;
  /** per row: dim first moments, then dim second moments */
  private readonly moments: Float32Array;
  /** step of each row's last Adam update; 0 = never */
  private readonly lastStep: Int32Array;
  private readonly initialised: Uint8Array;
  private readonly initScale: number;
  private readonly seed: number;
  /** scratch for grouping a step's entries by row; -1 outside `flush` */
  private readonly slotOf: Int32Array;
  /** segment gradients of the pending step, applied by `flush` */
  private pending: Array<{ offsets: Int32Array; ids: Int32Array; grads: ArrayLike<number> }> = [];
  private pendingAdam: AdamSettings | undefined;
  /** grouping arrays of `flush`, kept between steps */
  private scratch: FlushScratch = { rowOfSlot: new Int32Array(0), start: new Int32Array(1), fill: new Int32Array(0), source: new Int32Array(0), weight: new Float32Array(0) };

  constructor(opts: SparseTableOptions) {
    if (!Number.isInteger(opts.rows) || opts.rows <= 0) throw new Error(`SparseTable rows must be a positive integer (got ${opts.rows})`);
    if (!Number.isInteger(opts.dim) || opts.dim <= 0) throw new Error(`SparseTable dim must be a positive integer (got ${opts.dim})`);
    this.rows = opts.rows;
    this.dim = opts.dim;
    this.initScale = opts.initScale;
    this.seed = opts.seed >>> 0;
    // zero-filled allocations: the OS commits pages only when rows are first written
    this.values = new Float32Array(opts.rows * opts.dim);
    this.moments = new Float32Array(opts.rows * 2 * opts.dim);
    this.lastStep = new Int32Array(opts.rows);
    this.initialised = new Uint8Array(opts.rows);
    this.slotOf = new Int32Array(opts.rows).fill(-1);
  }

  /** Number of trainable scalars. */
  get size(): number {
    return this.rows * this.dim;
  }

  /** Whether gradients are waiting for the next update. */
  get hasPending(): boolean {
    return this.pendingAdam !== undefined;
  }

  /**
   * Mean of the rows of each segment: segment `i` is `ids[offsets[i]..offsets[i+1])`, written to
   * `out[i * dim ..]`. Empty segments give zeros. Applies any pending update first.
   */
  pool(offsets: Int32Array, ids: Int32Array, out = new Float32Array((offsets.length - 1) * this.dim)): Float32Array {
    this.flush();
    const initialised = this.initialised;
    for (let p = 0; p < ids.length; p++) if (initialised[ids[p]!] === 0) this.initRow(ids[p]!);
    poolRows(this.values, this.dim, offsets, ids, out);
    return out;
  }

  /**
   * Adds the gradient of mean-pooled segments (`grads[i * dim ..]` = d loss / d pooled row `i`) to
   * the rows they were pooled from, each with weight 1/segment length. Gradients for the same
   * `adam.step` are summed; the update itself is deferred (see the class comment). The arrays are
   * kept by reference until then and must not be modified.
   */
  accumulate(offsets: Int32Array, ids: Int32Array, grads: ArrayLike<number>, adam: AdamSettings): void {
    if (this.pendingAdam !== undefined && this.pendingAdam.step !== adam.step) this.flush();
    this.pendingAdam = adam;
    this.pending.push({ offsets, ids, grads });
  }

  /**
   * Applies the pending step's Adam update. Entries are grouped by row (a counting sort through
   * `slotOf`) and rows visited in ascending order, so each row's gradient is summed from the small,
   * cache-resident segment gradients and the table is walked in address order, once. The grouping
   * arrays are kept between steps.
   */
  flush(): void {
    const adam = this.pendingAdam;
    if (adam === undefined) return;
    const { dim, values, moments, slotOf } = this;
    // 1. slots per distinct row, entry counts per slot
    let rowsTouched = 0;
    let entries = 0;
    for (const { ids } of this.pending) entries += ids.length;
    const scratch = this.scratchFor(entries);
    const { rowOfSlot, start, source, weight } = scratch;
    start.fill(0, 0, entries + 1);
    for (const { ids } of this.pending) {
      for (let p = 0; p < ids.length; p++) {
        const r = ids[p]!;
        let slot = slotOf[r]!;
        if (slot < 0) {
          slot = slotOf[r] = rowsTouched++;
          rowOfSlot[slot] = r;
        }
        start[slot + 1]!++;
      }
    }
    for (let k = 0; k < rowsTouched; k++) start[k + 1]! += start[k]!;
    // 2. per slot: (source of the segment gradient, weight) of every entry, in order of appearance
    const fill = scratch.fill;
    fill.set(start.subarray(0, rowsTouched));
    let segmentBase = 0;
    const sources: ArrayLike<number>[] = [];
    for (const { offsets, ids, grads } of this.pending) {
      sources.push(grads);
      for (let i = 0; i + 1 < offsets.length; i++) {
        const a = offsets[i]!;
        const b = offsets[i + 1]!;
        const w = 1 / (b - a);
        const src = (segmentBase + i) * dim;
        for (let p = a; p < b; p++) {
          const e = fill[slotOf[ids[p]!]!]!++;
          source[e] = src;
          weight[e] = w;
        }
      }
      segmentBase += offsets.length - 1;
    }
    const allGrads = concatGrads(sources, segmentBase * dim);
    // 3. rows in address order: sum the gradient, then one lazy Adam step
    const rows = rowOfSlot.subarray(0, rowsTouched).sort();
    const { beta1: b1, beta2: b2, epsilon: eps, step: t } = adam;
    const stepSize = adam.lr / (1 - Math.pow(b1, t));
    const invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(b2, t));
    const decay = 1 - adam.lr * adam.weightDecay;
    const g = new Float64Array(dim);
    const sum = dim % 8 === 0 ? sumWeighted8 : sumWeighted;
    for (let k = 0; k < rowsTouched; k++) {
      const r = rows[k]!;
      const slot = slotOf[r]!;
      slotOf[r] = -1;
      sum(g, allGrads, source, weight, start[slot]!, start[slot + 1]!);
      if (this.initialised[r] === 0) this.initRow(r);
      const last = this.lastStep[r]!;
      // a step count at or below the last update means a new optimisation run: start the row afresh
      const fresh = last === 0 || t <= last;
      const d1 = fresh ? 0 : Math.pow(b1, t - last - 1) * b1;
      const d2 = fresh ? 0 : Math.pow(b2, t - last - 1) * b2;
      adamRow(values, r * dim, moments, 2 * r * dim, dim, g, d1, d2, b1, b2, stepSize, invSqrtBc2, eps, decay);
      this.lastStep[r] = t;
    }
    this.pending = [];
    this.pendingAdam = undefined;
  }

  /** The grouping arrays of `flush` for `entries` entries, grown (by a quarter more) when too small. */
  private scratchFor(entries: number): FlushScratch {
    if (this.scratch.source.length < entries) {
      const n = Math.ceil(entries * 1.25);
      this.scratch = { rowOfSlot: new Int32Array(n), start: new Int32Array(n + 1), fill: new Int32Array(n), source: new Int32Array(n), weight: new Float32Array(n) };
    }
    return this.scratch;
  }

  /** An independent table with the same values, optimiser state and initialisation stream. */
  clone(): SparseTable {
    this.flush();
    const copy = new SparseTable({ rows: this.rows, dim: this.dim, initScale: this.initScale, seed: this.seed });
    copy.values.set(this.values);
    copy.moments.set(this.moments);
    copy.lastStep.set(this.lastStep);
    copy.initialised.set(this.initialised);
    return copy;
  }

  /**
   * What inference needs to rebuild the table: its shape and seed (rows never read regenerate from
   * it) and the values of every row read or trained so far. Optimiser moments are left out.
   */
  snapshot(): TableSnapshot {
    this.flush();
    const ids: number[] = [];
    for (let r = 0; r < this.rows; r++) if (this.initialised[r] === 1) ids.push(r);
    const values = new Float32Array(ids.length * this.dim);
    ids.forEach((r, k) => values.set(this.values.subarray(r * this.dim, (r + 1) * this.dim), k * this.dim));
    return { rows: this.rows, dim: this.dim, initScale: this.initScale, seed: this.seed, ids: Int32Array.from(ids), values };
  }

  /** A table equal to the snapshot's for reading; training it starts fresh Adam moments. */
  static fromSnapshot(s: TableSnapshot): SparseTable {
    if (s.values.length !== s.ids.length * s.dim) throw new Error(`table snapshot: ${s.ids.length} rows of ${s.dim} need ${s.ids.length * s.dim} values (got ${s.values.length})`);
    const table = new SparseTable(s);
    s.ids.forEach((r, k) => {
      if (!(r >= 0 && r < s.rows)) throw new Error(`table snapshot: row ${r} is outside 0..${s.rows - 1}`);
      table.values.set(s.values.subarray(k * s.dim, (k + 1) * s.dim), r * table.dim);
      table.initialised[r] = 1;
    });
    return table;
  }

  /** A copy of row `r` (initialised and up to date). */
  row(r: number): Float32Array {
    this.flush();
    if (this.initialised[r] === 0) this.initRow(r);
    return this.values.slice(r * this.dim, (r + 1) * this.dim);
  }

  /**
   * Uniform values with standard deviation `initScale` from a SplitMix32-style stream keyed by
   * (seed, row); uniform rather than normal because first reads of new rows sit on the step's hot path.
   */
  private initRow(r: number): void {
    const base = r * this.dim;
    const scale = (2 * Math.sqrt(3) * this.initScale) / 4294967296;
    const half = Math.sqrt(3) * this.initScale;
    let state = fmix32((this.seed ^ Math.imul(r + 1, 0x9e3779b1)) >>> 0);
    for (let j = 0; j < this.dim; j++) {
      state = (state + 0x9e3779b9) | 0;
      this.values[base + j] = fmix32(state >>> 0) * scale - half;
    }
    this.initialised[r] = 1;
  }
}

// The hot loops live in small functions of their own so the JIT optimises them early. Their
// arithmetic is fixed (float32 sums in row order for pooling, float64 sums in entry order for
// gradients): the unrolled forms add the same terms in the same order as the plain loops.

/** Mean of the `values` rows of each segment into `out` (rows already initialised). */
function poolRows(values: Float32Array, dim: number, offsets: Int32Array, ids: Int32Array, out: Float32Array): void {
  const segments = offsets.length - 1;
  for (let i = 0; i < segments; i++) {
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    const ob = i * dim;
    out.fill(0, ob, ob + dim);
    if (end === start) continue;
    if (dim % 8 === 0) {
      for (let p = start; p < end; p++) addRow8(out, ob, values, ids[p]! * dim, dim);
    } else {
      for (let p = start; p < end; p++) {
        const rb = ids[p]! * dim;
        for (let j = 0; j < dim; j++) out[ob + j] += values[rb + j]!;
      }
    }
    const w = 1 / (end - start);
    for (let j = 0; j < dim; j++) out[ob + j] *= w;
  }
}

/** `out[ob ..] += values[rb ..]` over `dim` (a multiple of 8) float32 cells, eight at a time. */
function addRow8(out: Float32Array, ob: number, values: Float32Array, rb: number, dim: number): void {
  for (let j = 0; j < dim; j += 8) {
    out[ob + j] += values[rb + j]!;
    out[ob + j + 1] += values[rb + j + 1]!;
    out[ob + j + 2] += values[rb + j + 2]!;
    out[ob + j + 3] += values[rb + j + 3]!;
    out[ob + j + 4] += values[rb + j + 4]!;
    out[ob + j + 5] += values[rb + j + 5]!;
    out[ob + j + 6] += values[rb + j + 6]!;
    out[ob + j + 7] += values[rb + j + 7]!;
  }
}

/** The pending segment gradients as one array (a view when there is only one). */
function concatGrads(sources: ArrayLike<number>[], length: number): ArrayLike<number> {
  if (sources.length === 1) return sources[0]!;
  const out = new Float32Array(length);
  let at = 0;
  for (const src of sources) {
    if (src instanceof Float32Array) out.set(src, at);
    else for (let i = 0; i < src.length; i++) out[at + i] = src[i]!;
    at += src.length;
  }
  return out;
}

/** `g = Σ_e weight[e] · grads[source[e] ..]` over entries `from..to`. */
function sumWeighted(g: Float64Array, grads: ArrayLike<number>, source: Int32Array, weight: Float32Array, from: number, to: number): void {
  const dim = g.length;
  g.fill(0);
  for (let e = from; e < to; e++) {
    const src = source[e]!;
    const w = weight[e]!;
    for (let j = 0; j < dim; j++) g[j]! += w * grads[src + j]!;
  }
}

/** {@link sumWeighted} for a width that is a multiple of 8: eight columns at a time, each summed over the entries in the same order. */
function sumWeighted8(g: Float64Array, grads: ArrayLike<number>, source: Int32Array, weight: Float32Array, from: number, to: number): void {
  const dim = g.length;
  for (let j = 0; j < dim; j += 8) {
    let g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0;
    for (let e = from; e < to; e++) {
      const src = source[e]! + j;
      const w = weight[e]!;
      g0 += w * grads[src]!;
      g1 += w * grads[src + 1]!;
      g2 += w * grads[src + 2]!;
      g3 += w * grads[src + 3]!;
      g4 += w * grads[src + 4]!;
      g5 += w * grads[src + 5]!;
      g6 += w * grads[src + 6]!;
      g7 += w * grads[src + 7]!;
    }
    g[j] = g0;
    g[j + 1] = g1;
    g[j + 2] = g2;
    g[j + 3] = g3;
    g[j + 4] = g4;
    g[j + 5] = g5;
    g[j + 6] = g6;
    g[j + 7] = g7;
  }
}

/** One Adam step of the row at `values[base..]` with moments `moments[mb..]` (m, then v), pre-decayed by d1, d2; gradient `g`. */
function adamRow(
  values: Float32Array,
  base: number,
  moments: Float32Array,
  mb: number,
  dim: number,
  g: Float64Array,
  d1: number,
  d2: number,
  b1: number,
  b2: number,
  stepSize: number,
  invSqrtBc2: number,
  eps: number,
  decay: number,
): void {
  const vb = mb + dim;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let j = 0; j < dim; j++) {
    const gj = g[j]!;
    const mj = d1 * moments[mb + j]! + c1 * gj;
    const vj = d2 * moments[vb + j]! + c2 * gj * gj;
    moments[mb + j] = mj;
    moments[vb + j] = vj;
    values[base + j] = decay * values[base + j]! - (stepSize * mj) / (Math.sqrt(vj) * invSqrtBc2 + eps);
  }
}
