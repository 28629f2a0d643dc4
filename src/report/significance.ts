/**
 * Tests over queries: the paired randomization (sign-flip) test, the percentile bootstrap of a
 * mean, and Holm's step-down correction.
 *
 * Written here rather than taken from npm: simple-statistics' `permutationTest` is a two-sample
 * (unpaired) test drawing from `Math.random`, so neither paired nor reproducible; stdlib's
 * `@stdlib/stats-padjust` does Holm but brings about 140 packages for a ten-line rule. These
 * functions draw from the seeded {@link Rng}, so a report is the same every time it is built, and
 * are checked against SciPy's `permutation_test` and `bootstrap` in significance.spec.ts.
 */
import { Rng } from '../core/rng.ts';

export interface PairedTest {
  /** mean of a − b */
  meanDiff: number;
  /** two-sided p-value */
  p: number;
  /** true when every sign assignment was enumerated (the p-value is exact) */
  exact: boolean;
}

/**
 * Two-sided paired randomization test of H0: a and b are exchangeable within each pair, with the
 * mean difference as statistic. Under H0 each difference keeps or flips its sign with probability
 * ½. With 2^n ≤ `permutations` every assignment is enumerated and p is exact; otherwise
 * `permutations` random assignments are drawn and p = (hits + 1) / (permutations + 1), the
 * estimate that never reports 0 (Phipson & Smyth 2010; what SciPy's `permutation_test` returns).
 */
export function pairedRandomizationTest(a: readonly number[], b: readonly number[], opts: { permutations?: number; seed?: number | string } = {}): PairedTest {
  if (a.length !== b.length) throw new RangeError(`paired test needs equal lengths (got ${a.length} and ${b.length})`);
  const n = a.length;
  if (n === 0) throw new RangeError('paired test of no pairs');
  const permutations = opts.permutations ?? 10_000;
  const d = Float64Array.from(a, (x, i) => x - b[i]!);
  let sum = 0;
  for (const x of d) sum += x;
  const observed = Math.abs(sum);
  // sums that equal the observed one up to rounding count as "as extreme" (SciPy does the same)
  const threshold = observed - Math.max(1e-12, observed * 1e-12);
  if (n <= 30 && 2 ** n <= permutations) {
    const total = 2 ** n;
    let hits = 0;
    for (let mask = 0; mask < total; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += ((mask >>> i) & 1) === 1 ? -d[i]! : d[i]!;
      if (Math.abs(s) >= threshold) hits++;
    }
    return { meanDiff: sum / n, p: hits / total, exact: true };
  }
  const rng = new Rng(opts.seed ?? 0);
  let hits = 0;
  for (let r = 0; r < permutations; r++) {
    // 32 signs per random word; the loops are written out because this is the report's hot path
    let s = 0;
    for (let start = 0; start < n; start += 32) {
      const word = rng.nextU32();
      const end = Math.min(n, start + 32);
      for (let i = start; i < end; i++) s += (word >>> (i - start)) & 1 ? -d[i]! : d[i]!;
    }
    if (Math.abs(s) >= threshold) hits++;
  }
  return { meanDiff: sum / n, p: (hits + 1) / (permutations + 1), exact: false };
}

/** The `q` quantile of sorted values with linear interpolation (NumPy's default, R's type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Percentile bootstrap interval of the mean: `resamples` means of n values drawn with replacement,
 * and their (1 − level)/2 and (1 + level)/2 quantiles. Applied to per-query values it is the
 * query bootstrap; applied to paired per-query differences, the paired one.
 */
export function bootstrapMeanCi(values: readonly number[], opts: { resamples?: number; level?: number; seed?: number | string } = {}): [number, number] {
  const n = values.length;
  if (n === 0) throw new RangeError('bootstrap of no values');
  const resamples = opts.resamples ?? 10_000;
  const level = opts.level ?? 0.95;
  const rng = new Rng(opts.seed ?? 0);
  const means = new Float64Array(resamples);
  const xs = Float64Array.from(values);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    // an index from a 32-bit word: floor(u · n / 2^32), the same draw as Rng.int
    for (let i = 0; i < n; i++) s += xs[Math.floor((rng.nextU32() * n) / 4294967296)]!;
    means[r] = s / n;
  }
  means.sort();
  return [quantileSorted(means, (1 - level) / 2), quantileSorted(means, (1 + level) / 2)];
}

/**
 * Holm's step-down adjusted p-values, in the input's order: sort ascending, multiply the i-th
 * smallest (from 0) by m − i, carry the running maximum, cap at 1. Rejecting where the adjusted
 * value is below α controls the family-wise error rate at α.
 */
export function holmAdjust(pvalues: readonly number[]): number[] {
  const m = pvalues.length;
  const order = pvalues.map((_, i) => i).sort((x, y) => pvalues[x]! - pvalues[y]!);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pvalues[idx]!));
    out[idx] = running;
  });
  return out;
}
