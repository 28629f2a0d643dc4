import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.ts';
import { RUN_SCIPY, scipy } from '../../test/support/scipy.ts';
import { bootstrapMeanCi, holmAdjust, pairedRandomizationTest, quantileSorted } from './significance.ts';

const draw = (rng: Rng, n: number, f: (r: Rng) => number) => Array.from({ length: n }, () => f(rng));

describe('pairedRandomizationTest', () => {
  it('enumerates every sign assignment for small n: p by hand', () => {
    // differences 1, 2, 3: sums over the 8 sign patterns are ±6, ±4, ±2, ±0 -> |sum| >= 6 in 2 of 8
    expect(pairedRandomizationTest([1, 2, 3], [0, 0, 0])).toEqual({ meanDiff: 2, p: 0.25, exact: true });
    // no difference at all: every assignment is as extreme
    expect(pairedRandomizationTest([0.5, 0.2], [0.5, 0.2]).p).toBe(1);
    expect(() => pairedRandomizationTest([1], [1, 2])).toThrow(/equal lengths/);
  });

  it('is reproducible for a seed and gives a valid Monte-Carlo p', () => {
    const rng = new Rng(3);
    const a = draw(rng, 200, (r) => r.next());
    const b = a.map((x) => x + 0.05 * (rng.next() - 0.3));
    const one = pairedRandomizationTest(a, b, { seed: 'x' });
    expect(one.exact).toBe(false);
    expect(pairedRandomizationTest(a, b, { seed: 'x' })).toEqual(one);
    expect(one.p).toBeGreaterThan(0);
    expect(one.p).toBeLessThanOrEqual(1);
  });

  it.runIf(RUN_SCIPY)('equals SciPy permutation_test (paired, two-sided) exactly on small samples', () => {
    const rng = new Rng(11);
    const cases = Array.from({ length: 12 }, (_, c) => {
      const n = 4 + (c % 9);
      const a = draw(rng, n, (r) => Math.round(r.next() * 20) / 20);
      // some ties and zero differences, as 0/1 recall values produce
      const b = a.map((x, i) => (i % 3 === 0 ? x : Math.round(rng.next() * 20) / 20));
      return { a, b };
    });
    const ref = scipy(
      `out=[stats.permutation_test((np.array(c['a']),np.array(c['b'])),lambda x,y,axis: np.mean(x-y,axis=axis),permutation_type='samples',vectorized=True,n_resamples=10**6,alternative='two-sided').pvalue for c in d]\nprint(json.dumps(out))`,
      cases,
    ) as number[];
    cases.forEach((c, i) => expect(pairedRandomizationTest(c.a, c.b).p, `case ${i}`).toBeCloseTo(ref[i]!, 12));
  });

  it.runIf(RUN_SCIPY)('agrees with SciPy permutation_test within Monte-Carlo error on 300 queries', () => {
    const rng = new Rng(5);
    const cases = [0, 0.01, 0.02, 0.04].map((shift) => {
      const a = draw(rng, 300, (r) => r.next());
      return { a, b: a.map((x) => Math.min(1, Math.max(0, x - shift + 0.3 * (rng.next() - 0.5)))) };
    });
    const ref = scipy(
      `out=[stats.permutation_test((np.array(c['a']),np.array(c['b'])),lambda x,y,axis: np.mean(x-y,axis=axis),permutation_type='samples',vectorized=True,n_resamples=30000,alternative='two-sided',rng=np.random.default_rng(1)).pvalue for c in d]\nprint(json.dumps(out))`,
      cases,
    ) as number[];
    cases.forEach((c, i) => {
      const p = pairedRandomizationTest(c.a, c.b, { permutations: 20_000, seed: i }).p;
      // binomial standard error of the 20k-draw estimate, plus the reference's own (30k draws)
      const se = Math.sqrt((ref[i]! * (1 - ref[i]!)) / 20_000) + Math.sqrt((ref[i]! * (1 - ref[i]!)) / 30_000) + 1e-4;
      expect(Math.abs(p - ref[i]!), `case ${i}: ${p} vs ${ref[i]}`).toBeLessThan(4 * se);
    });
  });
});

describe('bootstrapMeanCi', () => {
  it('interpolates quantiles like NumPy', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.025)).toBeCloseTo(1.075, 12);
    expect(quantileSorted([7], 0.9)).toBe(7);
  });

  it('is a single point when every value is equal, and reproducible for a seed', () => {
    expect(bootstrapMeanCi([0.3, 0.3, 0.3])).toEqual([0.3, 0.3]);
    const xs = draw(new Rng(1), 50, (r) => r.next());
    expect(bootstrapMeanCi(xs, { seed: 4 })).toEqual(bootstrapMeanCi(xs, { seed: 4 }));
  });

  it.runIf(RUN_SCIPY)('agrees with SciPy bootstrap (percentile) within resampling error', () => {
    const rng = new Rng(9);
    const samples = [draw(rng, 212, (r) => (r.bernoulli(0.4) ? 1 : 0)), draw(rng, 300, (r) => r.next() ** 3), draw(rng, 40, (r) => r.normal())];
    const ref = scipy(
      `out=[list(stats.bootstrap((np.array(x),),np.mean,method='percentile',n_resamples=100000,rng=np.random.default_rng(2)).confidence_interval) for x in d]\nprint(json.dumps(out))`,
      samples,
    ) as Array<[number, number]>;
    samples.forEach((x, i) => {
      const [lo, hi] = bootstrapMeanCi(x, { resamples: 20_000, seed: i });
      const width = ref[i]![1] - ref[i]![0];
      expect(Math.abs(lo - ref[i]![0]), `sample ${i} low`).toBeLessThan(0.04 * width);
      expect(Math.abs(hi - ref[i]![1]), `sample ${i} high`).toBeLessThan(0.04 * width);
    });
  });
});

describe('holmAdjust', () => {
  it('matches the step-down rule (reference values of R p.adjust and stdlib padjust)', () => {
    const adj = holmAdjust([0.008, 0.03, 0.123, 0.6, 0.2]);
    [0.04, 0.12, 0.369, 0.6, 0.4].forEach((v, i) => expect(adj[i]).toBeCloseTo(v, 12));
    // the running maximum keeps adjusted values in the order of the raw ones
    expect(holmAdjust([0.01, 0.011, 0.012])).toEqual([0.03, 0.03, 0.03]);
    expect(holmAdjust([0.9, 0.5])).toEqual([1, 1]);
    expect(holmAdjust([])).toEqual([]);
  });
});
