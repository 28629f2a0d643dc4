import { describe, expect, it } from 'vitest';
import { logGamma, mean, sampleStd, summarise, tCdf, tQuantile } from './stats.ts';

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
