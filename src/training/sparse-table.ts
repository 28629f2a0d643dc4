import type { AdamSettings } from '../extension-points/encoder.ts';
import { fmix32 } from './tokenize.ts';

/** Shape and initialisation of a {@link SparseTable}. */
export interface SparseTableOptions {
  rows: number;
  dim: number;
  /** standard deviation of the normal initial values */
  initScale: number;
  /** 32-bit seed; row `r`'s initial values depend only on (seed, r) */
  seed: number;
}

/**
 * An embedding table kept on the host (outside the autodiff graph) with a lazy Adam optimiser:
 * only rows that received a gradient are updated. Rows are initialised on first read from a
 * counter-based generator, so the values do not depend on the order rows are touched in.
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
  private readonly data: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  /** step of each row's last Adam update; 0 = never */
  private readonly lastStep: Int32Array;
  private readonly initialised: Uint8Array;
  private readonly initScale: number;
  private readonly seed: number;
  // gradient of the pending step, in compact slots
  private readonly slotOf: Int32Array;
  private touched = new Int32Array(1024);
  private touchedCount = 0;
  private pending: Float32Array;
  private pendingAdam: AdamSettings | undefined;

  constructor(opts: SparseTableOptions) {
    if (!Number.isInteger(opts.rows) || opts.rows <= 0) throw new Error(`SparseTable rows must be a positive integer (got ${opts.rows})`);
    if (!Number.isInteger(opts.dim) || opts.dim <= 0) throw new Error(`SparseTable dim must be a positive integer (got ${opts.dim})`);
    this.rows = opts.rows;
    this.dim = opts.dim;
    this.initScale = opts.initScale;
    this.seed = opts.seed >>> 0;
    // zero-filled allocations: the OS commits pages only when rows are first written
    this.data = new Float32Array(opts.rows * opts.dim);
    this.m = new Float32Array(opts.rows * opts.dim);
    this.v = new Float32Array(opts.rows * opts.dim);
    this.lastStep = new Int32Array(opts.rows);
    this.initialised = new Uint8Array(opts.rows);
    this.slotOf = new Int32Array(opts.rows).fill(-1);
    this.pending = new Float32Array(this.touched.length * opts.dim);
  }

  /** Number of trainable scalars. */
  get size(): number {
    return this.rows * this.dim;
  }

  /** Rows with an accumulated gradient not yet applied. */
  get pendingRows(): number {
    return this.touchedCount;
  }

  /**
   * Mean of the rows of each segment: segment `i` is `ids[offsets[i]..offsets[i+1])`, written to
   * `out[i * dim ..]`. Empty segments give zeros. Applies any pending update first.
   */
  pool(offsets: Int32Array, ids: Int32Array, out = new Float32Array((offsets.length - 1) * this.dim)): Float32Array {
    this.flush();
    const dim = this.dim;
    const data = this.data;
    const segments = offsets.length - 1;
    out.fill(0, 0, segments * dim);
    for (let i = 0; i < segments; i++) {
      const start = offsets[i]!;
      const end = offsets[i + 1]!;
      if (end === start) continue;
      const ob = i * dim;
      for (let p = start; p < end; p++) {
        const r = ids[p]!;
        if (this.initialised[r] === 0) this.initRow(r);
        const rb = r * dim;
        for (let j = 0; j < dim; j++) out[ob + j] += data[rb + j]!;
      }
      const w = 1 / (end - start);
      for (let j = 0; j < dim; j++) out[ob + j] *= w;
    }
    return out;
  }

  /**
   * Adds the gradient of mean-pooled segments (`grads[i * dim ..]` = d loss / d pooled row `i`) to
   * the rows they were pooled from, each with weight 1/segment length. Gradients for the same
   * `adam.step` are summed; the update itself is deferred (see the class comment).
   */
  accumulate(offsets: Int32Array, ids: Int32Array, grads: ArrayLike<number>, adam: AdamSettings): void {
    if (this.pendingAdam !== undefined && this.pendingAdam.step !== adam.step) this.flush();
    this.pendingAdam = adam;
    const dim = this.dim;
    const segments = offsets.length - 1;
    for (let i = 0; i < segments; i++) {
      const start = offsets[i]!;
      const end = offsets[i + 1]!;
      if (end === start) continue;
      const w = 1 / (end - start);
      const gb = i * dim;
      for (let p = start; p < end; p++) {
        const r = ids[p]!;
        let slot = this.slotOf[r]!;
        if (slot < 0) slot = this.allocate(r);
        const pending = this.pending;
        const sb = slot * dim;
        for (let j = 0; j < dim; j++) pending[sb + j] += w * grads[gb + j]!;
      }
    }
  }

  /** Applies the pending step's Adam update to the rows that received a gradient. */
  flush(): void {
    const adam = this.pendingAdam;
    if (adam === undefined) return;
    const { dim, data, m, v, pending } = this;
    const { beta1: b1, beta2: b2, epsilon: eps, step: t } = adam;
    const stepSize = adam.lr / (1 - Math.pow(b1, t));
    const invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(b2, t));
    const decay = 1 - adam.lr * adam.weightDecay;
    for (let s = 0; s < this.touchedCount; s++) {
      const r = this.touched[s]!;
      if (this.initialised[r] === 0) this.initRow(r);
      const base = r * dim;
      const sb = s * dim;
      const last = this.lastStep[r]!;
      // a step count at or below the last update means a new optimisation run: start the row afresh
      const fresh = last === 0 || t <= last;
      const d1 = fresh ? 0 : Math.pow(b1, t - last - 1) * b1;
      const d2 = fresh ? 0 : Math.pow(b2, t - last - 1) * b2;
      for (let j = 0; j < dim; j++) {
        const g = pending[sb + j]!;
        const mj = d1 * m[base + j]! + (1 - b1) * g;
        const vj = d2 * v[base + j]! + (1 - b2) * g * g;
        m[base + j] = mj;
        v[base + j] = vj;
        data[base + j] = decay * data[base + j]! - (stepSize * mj) / (Math.sqrt(vj) * invSqrtBc2 + eps);
      }
      this.lastStep[r] = t;
      this.slotOf[r] = -1;
    }
    pending.fill(0, 0, this.touchedCount * dim);
    this.touchedCount = 0;
    this.pendingAdam = undefined;
  }

  /** A copy of row `r` (initialised and up to date). */
  row(r: number): Float32Array {
    this.flush();
    if (this.initialised[r] === 0) this.initRow(r);
    return this.data.slice(r * this.dim, (r + 1) * this.dim);
  }

  private allocate(r: number): number {
    if (this.touchedCount === this.touched.length) {
      const grown = new Int32Array(this.touched.length * 2);
      grown.set(this.touched);
      this.touched = grown;
      const pending = new Float32Array(grown.length * this.dim);
      pending.set(this.pending);
      this.pending = pending;
    }
    const slot = this.touchedCount++;
    this.touched[slot] = r;
    this.slotOf[r] = slot;
    return slot;
  }

  /** Normal(0, initScale) values from a SplitMix32-style stream keyed by (seed, row). */
  private initRow(r: number): void {
    const dim = this.dim;
    const base = r * dim;
    let state = fmix32((this.seed ^ Math.imul(r + 1, 0x9e3779b1)) >>> 0);
    const uniform = () => {
      state = (state + 0x9e3779b9) | 0;
      return (fmix32(state >>> 0) + 0.5) / 4294967296;
    };
    for (let j = 0; j < dim; j += 2) {
      const radius = this.initScale * Math.sqrt(-2 * Math.log(uniform()));
      const angle = 2 * Math.PI * uniform();
      this.data[base + j] = radius * Math.cos(angle);
      if (j + 1 < dim) this.data[base + j + 1] = radius * Math.sin(angle);
    }
    this.initialised[r] = 1;
  }
}
