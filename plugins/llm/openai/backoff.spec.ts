import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.ts';
import { backoffMs, retryAfterMs } from './backoff.ts';
import { ConcurrencyLimiter } from './limiter.ts';

describe('retry timing', () => {
  it('doubles the back-off per attempt up to the cap, with half of it jittered', () => {
    const rng = new Rng(3);
    const policy = { baseMs: 100, maxMs: 1000 };
    for (let attempt = 0; attempt < 8; attempt++) {
      const step = Math.min(1000, 100 * 2 ** attempt);
      for (let i = 0; i < 20; i++) {
        const ms = backoffMs(attempt, policy, rng);
        expect(ms).toBeGreaterThanOrEqual(step / 2);
        expect(ms).toBeLessThanOrEqual(step);
      }
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs('0.5')).toBe(500);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});

describe('ConcurrencyLimiter', () => {
  it('runs at most `limit` tasks at once, in arrival order, and survives failing tasks', async () => {
    const limiter = new ConcurrencyLimiter(3);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5 + (i % 3)));
      active--;
      if (i === 4) throw new Error('task 4 fails');
      return i;
    };
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => limiter.run(task(i))));
    expect(peak).toBe(3);
    expect(started).toEqual([...Array(12).keys()]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(() => new ConcurrencyLimiter(0)).toThrow(/positive integer/);
  });
});
