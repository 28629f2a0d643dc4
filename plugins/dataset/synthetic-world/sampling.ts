import type { Rng } from '../../../src/core/rng.ts';

/** Weights 1/(r+1)^s for ranks 0..n-1. */
export function zipfWeights(n: number, s: number): Float64Array {
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) w[r] = 1 / Math.pow(r + 1, s);
  return w;
}

/** Draws indices proportionally to fixed weights in O(log n) by binary search over the cumulative sums. */
export class WeightedTable {
  private readonly cum: Float64Array;

  constructor(weights: ArrayLike<number>) {
    this.cum = new Float64Array(weights.length);
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      total += Math.max(0, weights[i]!);
      this.cum[i] = total;
    }
  }

  get size(): number {
    return this.cum.length;
  }

  sample(rng: Rng): number {
    const n = this.cum.length;
    if (n === 0) throw new Error('WeightedTable.sample on an empty table');
    const r = rng.next() * this.cum[n - 1]!;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cum[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Poisson draw (Knuth); the means used here are small. */
export function poisson(rng: Rng, mean: number): number {
  const limit = Math.exp(-Math.min(mean, 50));
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/** Uniform float in [lo, hi). */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

/** Up to `k` distinct elements of `xs`, uniformly, in the order drawn (partial Fisher-Yates on a copy). */
export function sampleDistinct<T>(rng: Rng, xs: readonly T[], k: number): T[] {
  const copy = xs.slice();
  const n = Math.min(k, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(copy.length - i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}
