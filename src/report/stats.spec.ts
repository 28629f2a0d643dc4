import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.ts';
import { RUN_SCIPY, scipy } from '../../test/support/scipy.ts';
import { linearTrend, logGamma, mean, sampleStd, summarise, tCdf, tQuantile } from './stats.ts';

describe('tQuantile', () => {
  // two-sided 95%, 90% and 99% critical values from standard t tables (NIST/SEMATECH, 4+ digits)
  const table: Array<[p: number, df: number, t: number]> = [
    [0.975, 1, 12.7062047],
    [0.975, 2, 4.30265273],
    [0.975, 3, 3.18244631],
    [0.975, 4, 2.77644511],
    [0.975, 5, 2.57058184],
    [0.975, 9, 2.26215716],
    [0.975, 10, 2.22813885],
    [0.975, 30, 2.04227246],
    [0.975, 100, 1.98397152],
    [0.95, 1, 6.31375151],
    [0.95, 10, 1.81246112],
    [0.995, 1, 63.6567412],
    [0.995, 5, 4.03214298],
    [0.9995, 3, 12.9239786],
  ];
  it.each(table)('t(%f, df=%i) = %f', (p, df, t) => {
    expect(tQuantile(p, df)).toBeCloseTo(t, 6);
  });

  it('matches the closed forms for 1 (Cauchy) and 2 degrees of freedom', () => {
    for (const p of [0.6, 0.8, 0.9, 0.99, 0.999]) {
      expect(tQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 8);
      expect(tQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 8);
    }
  });

  it('approaches the normal quantile for many degrees of freedom and is symmetric', () => {
    expect(tQuantile(0.975, 1e6)).toBeCloseTo(1.959964, 5);
    expect(tQuantile(0.025, 7)).toBeCloseTo(-tQuantile(0.975, 7), 12);
    expect(tQuantile(0.5, 3)).toBe(0);
    expect(tCdf(tQuantile(0.9, 6), 6)).toBeCloseTo(0.9, 12);
  });

  it('rejects probabilities and degrees of freedom out of range', () => {
    expect(() => tQuantile(1, 3)).toThrow(/0 < p < 1/);
    expect(() => tQuantile(0.9, 0)).toThrow(/df > 0/);
  });
});

describe('summaries', () => {
  it('ln Γ matches factorials', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });

  it('uses the sample (n − 1) standard deviation and a t interval', () => {
    const xs = [0.2, 0.4, 0.6];
    expect(mean(xs)).toBeCloseTo(0.4, 15);
    expect(sampleStd(xs)).toBeCloseTo(0.2, 15);
    const s = summarise(xs);
    const half = 4.30265273 * (0.2 / Math.sqrt(3));
    expect(s.n).toBe(3);
    expect(s.ci![0]).toBeCloseTo(0.4 - half, 7);
    expect(s.ci![1]).toBeCloseTo(0.4 + half, 7);
  });

  it('gives no spread or interval for a single value', () => {
    expect(summarise([0.3])).toEqual({ n: 1, mean: 0.3 });
    expect(sampleStd([0.3])).toBeUndefined();
    expect(() => mean([])).toThrow();
  });
});

describe('linearTrend', () => {
  it('is exact on a line and has no interval below three points', () => {
    const line = [0, 1, 2, 3, 4].map((x) => ({ x: 100 * x, y: 0.5 + 0.002 * x }));
    const t = linearTrend(line);
    expect(t.slope).toBeCloseTo(0.00002, 15);
    expect(t.slopeStdErr).toBeCloseTo(0, 12);
    expect(linearTrend([{ x: 1, y: 1 }, { x: 2, y: 3 }])).toEqual({ n: 2, slope: 2 });
    expect(() => linearTrend([{ x: 1, y: 1 }, { x: 1, y: 2 }])).toThrow(/two distinct x/);
  });

  it('by hand: y = 1, 3, 2, 4 at x = 1..4', () => {
    // mean x 2.5, mean y 2.5; Sxx = 5, Sxy = 4, Syy = 5; slope = Sxy / Sxx = 0.8
    const t = linearTrend([1, 3, 2, 4].map((y, i) => ({ x: i + 1, y })));
    expect(t.slope).toBeCloseTo(0.8, 14);
    // SSE = Syy - slope * Sxy = 5 - 0.8 * 4 = 1.8; SE = sqrt(1.8 / 2 / 5)
    expect(t.slopeStdErr).toBeCloseTo(Math.sqrt(0.18), 14);
    expect(t.slopeCi![1] - t.slope).toBeCloseTo(tQuantile(0.975, 2) * Math.sqrt(0.18), 12);
  });

  it.runIf(RUN_SCIPY)('equals scipy.stats.linregress (slope and its standard error)', () => {
    const rng = new Rng(5);
    const cases = [10, 7, 25].map((n) => Array.from({ length: n }, (_, i) => ({ x: 100 * (i + 3), y: 0.7 + 0.0001 * i + 0.01 * rng.normal() })));
    const ref = scipy('print(json.dumps([[r.slope, r.stderr] for r in (stats.linregress([p["x"] for p in c],[p["y"] for p in c]) for c in d)]))', cases) as Array<[number, number]>;
    cases.forEach((c, i) => {
      const t = linearTrend(c);
      expect(t.slope).toBeCloseTo(ref[i]![0], 14);
      expect(t.slopeStdErr! / ref[i]![1]).toBeCloseTo(1, 12);
    });
  });
});
