/** Summary statistics over seeds: mean, sample standard deviation and a Student's t interval. */

export interface Summary {
  n: number;
  mean: number;
  /** sample standard deviation (n − 1); undefined for n = 1 */
  std?: number;
  /** two-sided 95% confidence interval of the mean; undefined for n = 1 */
  ci?: [number, number];
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('mean of no values');
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Sample standard deviation with Bessel's correction; undefined below two values. */
export function sampleStd(xs: readonly number[]): number | undefined {
  if (xs.length < 2) return undefined;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Mean, std and the `level` (default 95%) t interval of the mean. */
export function summarise(xs: readonly number[], level = 0.95): Summary {
  const m = mean(xs);
  const std = sampleStd(xs);
  if (std === undefined) return { n: xs.length, mean: m };
  const half = tQuantile(1 - (1 - level) / 2, xs.length - 1) * (std / Math.sqrt(xs.length));
  return { n: xs.length, mean: m, std, ci: [m - half, m + half] };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0]!;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised incomplete beta I_x(a, b), by its continued fraction (modified Lentz). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // the fraction converges fast only below the mean; use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a)
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x)) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    let num: number;
    if (i === 0) num = 1;
    else if (i % 2 === 0) num = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    else num = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-15) break;
  }
  return front * (f - 1);
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The `p` quantile of Student's t with `df` > 0 degrees of freedom, e.g. `tQuantile(0.975, 4)` =
 * 2.7764. Bisection on the CDF: slower than a closed-form approximation but exact to the last
 * digits for every df, which is what a table of a few rows needs.
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`t quantile needs 0 < p < 1 (got ${p})`);
  if (!(df > 0)) throw new RangeError(`t quantile needs df > 0 (got ${df})`);
  if (p < 0.5) return -tQuantile(1 - p, df);
  if (p === 0.5) return 0;
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Least-squares line through points, with the `level` (default 95%) t interval of its slope. */
export interface LinearTrend {
  n: number;
  slope: number;
  /** standard error of the slope; undefined below three points (no residual degrees of freedom) */
  slopeStdErr?: number;
  slopeCi?: [number, number];
}

/**
 * Ordinary least squares of y on x (as scipy.stats.linregress): the slope, its standard error
 * from the residuals (n − 2 degrees of freedom) and Student's t interval. Needs two distinct x.
 */
export function linearTrend(points: ReadonlyArray<{ x: number; y: number }>, level = 0.95): LinearTrend {
  const n = points.length;
  const mx = mean(points.map((p) => p.x));
  const my = mean(points.map((p) => p.y));
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  if (!(sxx > 0)) throw new RangeError('a trend needs at least two distinct x values');
  const slope = sxy / sxx;
  if (n < 3) return { n, slope };
  const sse = points.reduce((s, p) => s + (p.y - my - slope * (p.x - mx)) ** 2, 0);
  const slopeStdErr = Math.sqrt(sse / (n - 2) / sxx);
  const half = tQuantile(1 - (1 - level) / 2, n - 2) * slopeStdErr;
  return { n, slope, slopeStdErr, slopeCi: [slope - half, slope + half] };
}
