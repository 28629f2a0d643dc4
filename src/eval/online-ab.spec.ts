import { describe, expect, it } from 'vitest';
import type { OnlineUserOutcome } from '../extension-points/dataset.ts';
import { armRates, compareArms, formatOnlineUsers, parseOnlineUsers } from './online-ab.ts';

const user = (userId: number, shown: number, clicks: number, extra: Partial<OnlineUserOutcome> = {}): OnlineUserOutcome => ({
  userId,
  sessions: 2,
  reformulations: 0,
  rankItems: 2 * shown,
  rankFromChannel: 0,
  shown,
  shownFromChannel: 0,
  clicks,
  longPlays: 0,
  ...extra,
});

describe('online A/B statistics', () => {
  it('computes each rate as a ratio of sums over users', () => {
    const r = armRates([user(0, 10, 1, { rankFromChannel: 5, shownFromChannel: 2, longPlays: 1, reformulations: 1 }), user(1, 30, 5)]);
    expect(r.ctr).toBeCloseTo(6 / 40, 12);
    expect(r.ratio_rank).toBeCloseTo(5 / 80, 12);
    expect(r.ratio_show).toBeCloseTo(2 / 40, 12);
    expect(r.long_play_rate).toBeCloseTo(1 / 40, 12);
    expect(r.reformulation_rate).toBeCloseTo(1 / 4, 12);
  });

  it('pairs users by id: a uniform lift is found with a tight interval, the same seed repeats it', () => {
    const control = Array.from({ length: 200 }, (_, i) => user(i, 10 + (i % 7), (i * 13) % 5));
    const treatment = control.map((u) => ({ ...u, clicks: u.clicks + 1 }));
    const a = compareArms(treatment, control, { resamples: 400, seed: 5 });
    const expected = armRates(treatment).ctr / armRates(control).ctr - 1;
    expect(a.metrics.ctr.relative.value).toBeCloseTo(expected, 12);
    expect(a.metrics.ctr.relative.ci[0]).toBeGreaterThan(0);
    expect(a.metrics.ctr.relative.ci[0]).toBeLessThanOrEqual(expected);
    expect(a.metrics.ctr.relative.ci[1]).toBeGreaterThanOrEqual(expected);
    expect(compareArms(treatment, control, { resamples: 400, seed: 5 })).toEqual(a);
    expect(compareArms(treatment, control, { resamples: 400, seed: 6 }).metrics.ctr.relative.ci).not.toEqual(a.metrics.ctr.relative.ci);
    // the channel's shares have no relative difference against a legacy arm without the channel
    expect(a.metrics.ratio_show.relative.value).toBeNaN();
  });

  it('round-trips the per-user artifact and names a broken line', () => {
    const users = [user(3, 9, 2, { longPlays: 1 }), user(8, 4, 0)];
    expect(parseOnlineUsers(formatOnlineUsers(users))).toEqual(users);
    const broken = formatOnlineUsers(users).replace('\t9\t', '\t-9\t');
    expect(() => parseOnlineUsers(broken)).toThrow(/line 2/);
  });
});
