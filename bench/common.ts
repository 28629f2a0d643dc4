import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/core/rng.ts';

/** One reported number, with its unit and what it is compared with. */
export interface Figure {
  /** stable key in results.json, e.g. `train.h-info-nce.msPerStep` */
  id: string;
  /** what was measured, for the table */
  label: string;
  value: number;
  unit: string;
  /** the baseline a ratio or fraction refers to, when the figure is relative */
  relativeTo?: string;
  /** the goal, e.g. `<= 40`, in the figure's unit */
  target?: { op: '<=' | '>='; value: number };
  note?: string;
}

/** What every measurement gets from the orchestrator. */
export interface BenchContext {
  quick: boolean;
  backend: string;
  /** best measured square-matMul GFLOP/s on the active backend (measured first when needed) */
  peakGflops?: number;
}

/** A measurement module of the bench. */
export interface Measurement {
  name: string;
  /** whether it reports fractions of the matMul peak, so the peak must be measured first */
  needsPeak: boolean;
  /** measures no tfjs work (data engine): run once, not per backend */
  backendIndependent?: boolean;
  /** runs only when named with `--only` (too long or too large for every bench run) */
  optIn?: boolean;
  run(ctx: BenchContext): Promise<Figure[]>;
}

/** Whether a figure meets its target; undefined when it has none. */
export function meetsTarget(f: Figure): boolean | undefined {
  if (!f.target) return undefined;
  return f.target.op === '<=' ? f.value <= f.target.value : f.value >= f.target.value;
}

/** Wall times in ms of `runs` calls of `fn` after `warmup` untimed ones. */
export async function timeRuns(fn: () => void | Promise<void>, runs: number, warmup: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `n` seeded uniform floats in [-1, 1). */
export function uniform(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * rng.next() - 1;
  return out;
}

/** `rows` seeded unit-length rows of width `dim`, row-major. */
export function unitRows(rows: number, dim: number, rng: Rng): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = rng.normal();
      out[r * dim + j] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) out[r * dim + j]! *= inv;
  }
  return out;
}

/** Throws when a measurement left tensors behind, which would also distort later timings. */
export function checkNoLeak(before: number, what: string): void {
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${what} leaked ${after - before} tensors`);
}
