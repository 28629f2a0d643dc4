/**
 * The numbers of a simulated online A/B test: per-arm rates from per-user outcomes, and the
 * treatment-vs-control difference with a percentile bootstrap over users. Arms are simulated on
 * the same users (same seed), so the bootstrap resamples users once and recomputes both arms on
 * that resample: a paired design, narrower than a real user-split test of the same size.
 */
import { Rng } from '../core/rng.ts';
import type { OnlineUserOutcome } from '../extension-points/dataset.ts';

export const ONLINE_METRICS = ['ratio_rank', 'ratio_show', 'ctr', 'long_play_rate', 'reformulation_rate'] as const;
export type OnlineMetric = (typeof ONLINE_METRICS)[number];

type Count = Exclude<keyof OnlineUserOutcome, 'userId'>;
/** Each rate is a ratio of sums over users: numerator and denominator. */
const RATE: Record<OnlineMetric, [Count, Count]> = {
  ratio_rank: ['rankFromChannel', 'rankItems'],
  ratio_show: ['shownFromChannel', 'shown'],
  ctr: ['clicks', 'shown'],
  long_play_rate: ['longPlays', 'shown'],
  reformulation_rate: ['reformulations', 'sessions'],
};
const COUNTS: Count[] = ['sessions', 'reformulations', 'rankItems', 'rankFromChannel', 'shown', 'shownFromChannel', 'clicks', 'longPlays'];

/** Names shown in tables, in the paper's words. */
export const ONLINE_LABELS: Record<OnlineMetric, string> = {
  ratio_rank: 'Ratio_rank',
  ratio_show: 'Ratio_show',
  ctr: 'CTR',
  long_play_rate: 'Long-play rate',
  reformulation_rate: 'Reformulation rate',
};

/** The shares of the funnel a channel fills: compared in points, not relative (the legacy-only arm has 0). */
export const SHARE_METRICS: readonly OnlineMetric[] = ['ratio_rank', 'ratio_show'];

/** Per-arm rates over all users. */
export function armRates(users: readonly OnlineUserOutcome[]): Record<OnlineMetric, number> {
  const sums = Object.fromEntries(COUNTS.map((c) => [c, 0])) as Record<Count, number>;
  for (const u of users) for (const c of COUNTS) sums[c] += u[c];
  return Object.fromEntries(ONLINE_METRICS.map((m) => [m, ratio(sums[RATE[m][0]], sums[RATE[m][1]])])) as Record<OnlineMetric, number>;
}

const ratio = (num: number, den: number) => (den > 0 ? num / den : Number.NaN);

/** A value with its 95% (or 1 − alpha) percentile interval. */
export interface WithCi {
  value: number;
  ci: [number, number];
}

export interface MetricComparison {
  treatment: WithCi;
  control: WithCi;
  /** treatment − control */
  absolute: WithCi;
  /** treatment / control − 1 (NaN where the control rate is 0) */
  relative: WithCi;
}

export interface ArmComparison {
  users: number;
  resamples: number;
  metrics: Record<OnlineMetric, MetricComparison>;
}

export interface CompareOptions {
  /** bootstrap resamples (default 2000) */
  resamples?: number;
  /** seeds the resampling (default 1) */
  seed?: number;
  /** 1 − coverage of the intervals (default 0.05) */
  alpha?: number;
}

/**
 * Paired comparison of two arms simulated on the same traffic: users are matched by id (a user
 * absent from one arm counts zero there), resampled with replacement, and every rate of both arms
 * recomputed on each resample. Deterministic in `seed`.
 */
export function compareArms(treatment: readonly OnlineUserOutcome[], control: readonly OnlineUserOutcome[], opts: CompareOptions = {}): ArmComparison {
  const resamples = opts.resamples ?? 2000;
  const alpha = opts.alpha ?? 0.05;
  const ids = [...new Set([...treatment, ...control].map((u) => u.userId))].sort((a, b) => a - b);
  const index = new Map(ids.map((id, i) => [id, i]));
  const n = ids.length;
  // counts[arm][count][user]
  const table = (arm: readonly OnlineUserOutcome[]) => {
    const t = Object.fromEntries(COUNTS.map((c) => [c, new Float64Array(n)])) as Record<Count, Float64Array>;
    for (const u of arm) for (const c of COUNTS) t[c][index.get(u.userId)!]! += u[c];
    return t;
  };
  const arms = [table(treatment), table(control)] as const;
  const rates = (weights: Float64Array | undefined) =>
    arms.map((t) => {
      const out = {} as Record<OnlineMetric, number>;
      for (const m of ONLINE_METRICS) {
        const [num, den] = RATE[m];
        let a = 0;
        let b = 0;
        for (let i = 0; i < n; i++) {
          const w = weights ? weights[i]! : 1;
          if (w === 0) continue;
          a += w * t[num][i]!;
          b += w * t[den][i]!;
        }
        out[m] = ratio(a, b);
      }
      return out;
    });
  const [pointT, pointC] = rates(undefined);
  const rng = new Rng(opts.seed ?? 1).fork('online-bootstrap');
  const draws = Object.fromEntries(ONLINE_METRICS.map((m) => [m, { t: [] as number[], c: [] as number[], abs: [] as number[], rel: [] as number[] }]));
  const weights = new Float64Array(n);
  for (let r = 0; r < resamples && n > 0; r++) {
    weights.fill(0);
    for (let i = 0; i < n; i++) weights[rng.int(n)]! += 1;
    const [t, c] = rates(weights);
    for (const m of ONLINE_METRICS) {
      const d = draws[m]!;
      d.t.push(t![m]);
      d.c.push(c![m]);
      d.abs.push(t![m] - c![m]);
      d.rel.push(c![m] > 0 ? t![m] / c![m] - 1 : Number.NaN);
    }
  }
  const metrics = {} as Record<OnlineMetric, MetricComparison>;
  for (const m of ONLINE_METRICS) {
    const d = draws[m]!;
    const t = pointT![m];
    const c = pointC![m];
    metrics[m] = {
      treatment: { value: t, ci: percentiles(d.t, alpha) },
      control: { value: c, ci: percentiles(d.c, alpha) },
      absolute: { value: t - c, ci: percentiles(d.abs, alpha) },
      relative: { value: c > 0 ? t / c - 1 : Number.NaN, ci: percentiles(d.rel, alpha) },
    };
  }
  return { users: n, resamples, metrics };
}

/** Lower and upper percentile of the finite draws (NaN when there are none). */
function percentiles(values: number[], alpha: number): [number, number] {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return [Number.NaN, Number.NaN];
  const at = (q: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.floor(q * xs.length)))]!;
  return [at(alpha / 2), at(1 - alpha / 2)];
}

const HEADER = ['userId', ...COUNTS];

/** Per-user outcomes as a tab-separated table, the artifact the report pairs arms from. */
export function formatOnlineUsers(users: readonly OnlineUserOutcome[]): string {
  return [HEADER.join('\t'), ...users.map((u) => HEADER.map((h) => String(u[h as keyof OnlineUserOutcome])).join('\t'))].join('\n') + '\n';
}

/** Reads {@link formatOnlineUsers}' table back; throws on a malformed one, naming the line. */
export function parseOnlineUsers(text: string): OnlineUserOutcome[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== HEADER.join('\t')) throw new Error(`expected the header '${HEADER.join(' ')}'`);
  return lines.slice(1).map((line, i) => {
    const cells = line.split('\t').map(Number);
    if (cells.length !== HEADER.length || !cells.every((v) => Number.isInteger(v) && v >= 0)) throw new Error(`line ${i + 2}: expected ${HEADER.length} non-negative integers`);
    return Object.fromEntries(HEADER.map((h, j) => [h, cells[j]])) as unknown as OnlineUserOutcome;
  });
}

/** Artifact paths of a trial's online arms. */
export const ONLINE_USERS_ARTIFACT = 'online/users.tsv';
export const ONLINE_LEGACY_ARTIFACT = 'online/legacy-users.tsv';
