import { Rng } from '../../../src/core/rng.ts';
import type { OnlineDayRequest, OnlineUserOutcome } from '../../../src/extension-points/dataset.ts';
import { MAX_REFORMULATIONS, makeQuery, reformulate, respond } from './behaviour.ts';
import type { LegacyFunnel } from './legacy-funnel.ts';
import { DAY_MS, EPOCH_MS, TEST_DAY, type WorldConfig } from './presets.ts';
import { WeightedTable, uniform } from './sampling.ts';
import type { World } from './world.ts';

/** The A/B day: after the test day, so its traffic is neither the training logs nor the test logs. */
export const ONLINE_DAY = TEST_DAY + 2;
/** A click counts as a long play when it played at least this share of the video. */
export const LONG_PLAY_SHARE = 0.5;

/** Items the dense channel recalls per request when the experiment does not say: a quarter of the legacy recall budget. */
export function defaultChannelK(config: WorldConfig): number {
  return Math.max(1, Math.round(config.retrieveK / 4));
}

interface LiveRequest {
  index: number;
  userId: number;
  tsMs: number;
  /** the user's next typed session: a reformulation must come before it */
  limitTs: number;
  words: number[];
  intent: number;
  depth: number;
  /** the session's own stream for reformulation decisions, the same in every arm */
  rng: Rng;
}

/**
 * One arm of an online A/B test: a fresh day of users served by the legacy funnel (training-day
 * policy) plus the request's dense channel, users reacting as on the logged days. Traffic and each
 * session's random draws come from streams keyed by the request seed and the session, never from
 * what was served, so arms with the same seed see the same users, times, intents and first queries.
 * Requests are served in rounds (first queries, then first reformulations, ...) so the channel is
 * asked once per round for a batch of queries.
 */
export async function simulateOnlineDay(world: World, funnel: LegacyFunnel, request: OnlineDayRequest): Promise<OnlineUserOutcome[]> {
  const c = world.config;
  const sessions = request.sessions ?? c.sessionsPerDay;
  const channelK = request.channelK ?? defaultChannelK(c);
  const root = new Rng(c.seed).fork('online-day').fork(String(request.seed));
  const traffic = root.fork('traffic');
  const dayStart = EPOCH_MS + ONLINE_DAY * DAY_MS;
  const userTable = new WeightedTable(world.users.map((u) => u.searchActivity));
  const base: Array<{ userId: number; tsMs: number }> = [];
  for (let i = 0; i < sessions; i++) base.push({ userId: userTable.sample(traffic), tsMs: dayStart + traffic.int(DAY_MS - 10 * 60_000) });
  base.sort((a, b) => a.tsMs - b.tsMs || a.userId - b.userId);
  const later = new Map<number, number>();
  const limits = new Array<number>(base.length);
  for (let i = base.length - 1; i >= 0; i--) {
    limits[i] = Math.min(later.get(base[i]!.userId) ?? Infinity, dayStart + DAY_MS);
    later.set(base[i]!.userId, base[i]!.tsMs);
  }

  let live: LiveRequest[] = base.map((b, index) => {
    const rng = root.fork(`session-${index}`);
    const user = world.users[b.userId]!;
    const intent = user.interests[user.interestTable.sample(rng)]!;
    return { index, userId: b.userId, tsMs: b.tsMs, limitTs: limits[index]!, words: makeQuery(world, intent, rng), intent, depth: 0, rng };
  });
  const outcomes = new Map<number, OnlineUserOutcome>();
  while (live.length > 0) {
    const texts = live.map((r) => r.words.map((w) => world.vocab.words[w]).join(' '));
    const recalled = request.channel ? await recall(request.channel, texts, channelK) : undefined;
    const next: LiveRequest[] = [];
    live.forEach((r, j) => {
      const fromChannel = recalled?.[j];
      const served = funnel.serve(r.words, r.tsMs, 0, root.fork(`serve-${r.index}-${r.depth}`), fromChannel);
      const reaction = respond(world, r.intent, served.shown, root.fork(`react-${r.index}-${r.depth}`));
      const o = outcomeOf(outcomes, r.userId);
      const channelSet = new Set(fromChannel ? Array.from(fromChannel) : []);
      o.sessions += 1;
      for (const id of [...served.shown, ...served.rankedNotShown]) {
        o.rankItems += 1;
        if (channelSet.has(id)) o.rankFromChannel += 1;
      }
      for (const imp of reaction.impressions) {
        o.shown += 1;
        if (channelSet.has(imp.itemId)) o.shownFromChannel += 1;
        if (imp.clicked) o.clicks += 1;
        if (imp.clicked && imp.playMs >= LONG_PLAY_SHARE * world.items[imp.itemId]!.durationMs) o.longPlays += 1;
      }
      if (reaction.served || r.depth >= MAX_REFORMULATIONS || !r.rng.bernoulli(c.reformulationProb)) return;
      const tsMs = r.tsMs + Math.round(1000 * uniform(r.rng, c.reformulationDelayS[0], c.reformulationDelayS[1]));
      const words = reformulate(world, r.words, r.intent, r.rng);
      if (tsMs >= r.limitTs || !words) return;
      o.reformulations += 1;
      next.push({ ...r, tsMs, words, depth: r.depth + 1 });
    });
    live = next;
  }
  return [...outcomes.values()].sort((a, b) => a.userId - b.userId);
}

/** Asks the channel once per distinct query text of a round. */
async function recall(channel: NonNullable<OnlineDayRequest['channel']>, texts: string[], k: number): Promise<Array<ArrayLike<number>>> {
  const distinct = [...new Set(texts)];
  const lists = await channel(distinct, k);
  if (lists.length !== distinct.length) throw new Error(`the online channel returned ${lists.length} lists for ${distinct.length} queries`);
  const byText = new Map(distinct.map((t, i) => [t, lists[i]!]));
  return texts.map((t) => byText.get(t)!);
}

function outcomeOf(outcomes: Map<number, OnlineUserOutcome>, userId: number): OnlineUserOutcome {
  let o = outcomes.get(userId);
  if (!o) outcomes.set(userId, (o = { userId, sessions: 0, reformulations: 0, rankItems: 0, rankFromChannel: 0, shown: 0, shownFromChannel: 0, clicks: 0, longPlays: 0 }));
  return o;
}
