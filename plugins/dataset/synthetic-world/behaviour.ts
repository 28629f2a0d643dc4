import type { Rng } from '../../../src/core/rng.ts';
import type { Impression, LogSplit, RecInteraction, SearchSession } from '../../../src/extension-points/log-store.ts';
import type { LegacyFunnel } from './legacy-funnel.ts';
import { DAY_MS, EPOCH_MS } from './presets.ts';
import { WeightedTable, poisson, uniform } from './sampling.ts';
import type { World } from './world.ts';

/** Click attractiveness by true relevance (0..3) of the item to the user's intent. */
const ATTRACTION = [0.02, 0.08, 0.3, 0.55];
/** Examination probability falls as 1/(1+position)^decay. */
const EXAMINATION_DECAY = 0.8;
/** Longest chain of reformulations after one unserved query. */
export const MAX_REFORMULATIONS = 2;
/** Feed interactions placed near one of the user's searches, and their spread around it. */
const FEED_NEAR_SEARCH = 0.7;
const FEED_SPREAD_MS = 20 * 60_000;

/** Hidden facts about one simulated search session, for diagnostics and tests. */
export interface SessionTruth {
  sessionId: number;
  intent: number;
  /** the query was issued because the previous session's intent went unserved */
  reformulationOf?: number;
  /** a shown item relevant (>= 2) to the intent was clicked */
  served: boolean;
}

/** One simulated day: its logs in the canonical shape and the hidden facts per session. */
export interface DayLog {
  split: LogSplit;
  truth: SessionTruth[];
}

interface PendingSession {
  userId: number;
  tsMs: number;
  words: number[];
  intent: number;
  impressions: Impression[];
  served: boolean;
  parent?: PendingSession;
  id: number;
}

/**
 * Simulates one day of users: search sessions served by the funnel, position-biased clicks that rise
 * with relevance to the user's intent, reformulations after unserved intents, and feed consumption
 * drawn from interests independently of search exposure.
 */
export function simulateDay(world: World, funnel: LegacyFunnel, day: number, exploration: number, rng: Rng, firstSessionId: number): DayLog {
  const c = world.config;
  const dayStart = EPOCH_MS + day * DAY_MS;
  const userTable = new WeightedTable(world.users.map((u) => u.searchActivity));
  const base: Array<{ userId: number; tsMs: number }> = [];
  for (let i = 0; i < c.sessionsPerDay; i++) {
    base.push({ userId: userTable.sample(rng), tsMs: dayStart + rng.int(DAY_MS - 10 * 60_000) });
  }
  base.sort((a, b) => a.tsMs - b.tsMs || a.userId - b.userId);
  // a reformulation must be the user's next session, so it has to happen before their next typed one
  const nextBase = new Array<number>(base.length);
  const later = new Map<number, number>();
  for (let i = base.length - 1; i >= 0; i--) {
    nextBase[i] = later.get(base[i]!.userId) ?? Infinity;
    later.set(base[i]!.userId, base[i]!.tsMs);
  }

  const all: PendingSession[] = [];
  const run = (userId: number, tsMs: number, words: number[], intent: number, parent?: PendingSession) => {
    const s = serveSession(world, funnel, userId, tsMs, words, intent, exploration, rng);
    s.parent = parent;
    all.push(s);
    return s;
  };
  base.forEach((b, i) => {
    const user = world.users[b.userId]!;
    const intent = user.interests[user.interestTable.sample(rng)]!;
    let cur = run(b.userId, b.tsMs, makeQuery(world, intent, rng), intent);
    for (let depth = 0; depth < MAX_REFORMULATIONS && !cur.served && rng.bernoulli(c.reformulationProb); depth++) {
      const ts = cur.tsMs + Math.round(1000 * uniform(rng, c.reformulationDelayS[0], c.reformulationDelayS[1]));
      const words = reformulate(world, cur.words, intent, rng);
      if (ts >= nextBase[i]! || ts >= dayStart + DAY_MS || !words) break;
      cur = run(b.userId, ts, words, intent, cur);
    }
  });

  all.sort((a, b) => a.tsMs - b.tsMs || a.userId - b.userId);
  all.forEach((s, i) => (s.id = firstSessionId + i));
  const sessions: SearchSession[] = [];
  const impressions: Impression[] = [];
  const truth: SessionTruth[] = [];
  for (const s of all) {
    const query = s.words.map((w) => world.vocab.words[w]).join(' ');
    sessions.push({ sessionId: s.id, userId: s.userId, tsMs: s.tsMs, query, source: 'typed' });
    for (const imp of s.impressions) {
      imp.sessionId = s.id;
      impressions.push(imp);
    }
    truth.push({ sessionId: s.id, intent: s.intent, reformulationOf: s.parent?.id, served: s.served });
  }
  return { split: { sessions, impressions, recInteractions: simulateFeed(world, all, dayStart, rng) }, truth };
}

function serveSession(world: World, funnel: LegacyFunnel, userId: number, tsMs: number, words: number[], intent: number, exploration: number, rng: Rng): PendingSession {
  const res = funnel.serve(words, tsMs, exploration, rng);
  const { impressions, served } = respond(world, intent, res.shown, rng);
  let position = res.shown.length;
  for (const itemId of res.rankedNotShown) impressions.push({ sessionId: -1, itemId, stage: 'ranked_not_shown', position: position++, clicked: false, liked: false, playMs: 0 });
  for (const itemId of res.prerankFiltered) impressions.push({ sessionId: -1, itemId, stage: 'prerank_filtered', position: position++, clicked: false, liked: false, playMs: 0 });
  return { userId, tsMs, words, intent, impressions, served, id: -1 };
}

/**
 * How a user with `intent` reacts to the shown items: position-biased clicks that rise with
 * relevance, likes, play time; `served` when a relevant (>= 2) item was clicked.
 */
export function respond(world: World, intent: number, shown: readonly number[], rng: Rng): { impressions: Impression[]; served: boolean } {
  const impressions: Impression[] = [];
  let served = false;
  shown.forEach((itemId, position) => {
    const rel = world.relevance(intent, itemId);
    const clicked = rng.bernoulli(ATTRACTION[rel]! / Math.pow(1 + position, EXAMINATION_DECAY));
    const liked = clicked && rng.bernoulli(0.02 + 0.08 * rel);
    const duration = world.items[itemId]!.durationMs;
    const playMs = clicked ? Math.round(duration * Math.min(1, 0.1 + 0.25 * rel + 0.2 * rng.next())) : 0;
    if (clicked && rel >= 2) served = true;
    impressions.push({ sessionId: -1, itemId, stage: 'shown', position, clicked, liked, playMs });
  });
  return { impressions, served };
}

/** Word ids of a query for an intent: head words only (ambiguous) or with specific words; some words as synonyms. */
export function makeQuery(world: World, intent: number, rng: Rng): number[] {
  const c = world.config;
  const sub = world.subtopics[intent]!;
  const head = world.topics[sub.topic]!.head;
  const words = new Set<number>();
  if (rng.bernoulli(c.ambiguousQueryRate)) {
    words.add(rng.pick(head));
    if (head.length > 1 && rng.bernoulli(0.2)) words.add(rng.pick(head));
  } else {
    if (rng.bernoulli(0.7)) words.add(rng.pick(head));
    const n = rng.bernoulli(0.25) ? 2 : 1;
    for (let i = 0; i < n; i++) words.add(sub.words[sub.wordTable.sample(rng)]!);
  }
  return [...words].map((w) => maybeSynonym(world, w, rng));
}

/** The previous query plus a specific word of the intent it did not contain yet, or undefined when none is left. */
export function reformulate(world: World, previous: readonly number[], intent: number, rng: Rng): number[] | undefined {
  const sub = world.subtopics[intent]!;
  const have = new Set(previous.map((w) => world.vocab.canonical[w]!));
  for (let tries = 0; tries < 20; tries++) {
    const w = sub.words[sub.wordTable.sample(rng)]!;
    if (!have.has(w)) return [...previous, maybeSynonym(world, w, rng)];
  }
  return undefined;
}

function maybeSynonym(world: World, word: number, rng: Rng): number {
  const syn = world.vocab.synonym[word]!;
  return syn >= 0 && rng.bernoulli(world.config.querySynonymRate) ? syn : word;
}

function simulateFeed(world: World, searches: readonly PendingSession[], dayStart: number, rng: Rng): RecInteraction[] {
  const byUser = new Map<number, PendingSession[]>();
  for (const s of searches) {
    let list = byUser.get(s.userId);
    if (!list) byUser.set(s.userId, (list = []));
    list.push(s);
  }
  const out: RecInteraction[] = [];
  for (const user of world.users) {
    const own = byUser.get(user.id) ?? [];
    const n = poisson(rng, world.config.feedPerUserPerDay * user.feedActivity);
    for (let k = 0; k < n; k++) {
      let tsMs = dayStart + rng.int(DAY_MS);
      let intent = user.interests[user.interestTable.sample(rng)]!;
      if (own.length > 0 && rng.bernoulli(FEED_NEAR_SEARCH)) {
        const s = rng.pick(own);
        tsMs = Math.min(dayStart + DAY_MS - 1, Math.max(dayStart, s.tsMs + Math.round(FEED_SPREAD_MS * rng.normal())));
        if (rng.bernoulli(world.config.feedSearchAffinity)) intent = s.intent;
      }
      // the feed also explores outside the user's interests; those views are short
      const subtopic = rng.bernoulli(0.15) ? rng.int(world.subtopics.length) : intent;
      const pool = world.itemsBySubtopic[subtopic]!;
      if (pool.length === 0) continue;
      const itemId = pool[world.popularityTables[subtopic]!.sample(rng)]!;
      const item = world.items[itemId]!;
      if (item.uploadTs > tsMs) continue;
      let rel = 0;
      for (const s of user.interests) rel = Math.max(rel, world.relevance(s, itemId));
      const durationMs = item.durationMs;
      const playMs = Math.round(durationMs * (rel >= 2 ? uniform(rng, 0.4, 1) : uniform(rng, 0.03, 0.35)));
      const clicked = rng.bernoulli(rel >= 2 ? 0.5 : 0.08);
      const liked = rng.bernoulli(rel >= 2 ? 0.08 + 0.1 * item.quality : 0.01);
      out.push({ userId: user.id, itemId, tsMs, playMs, durationMs, clicked, liked });
    }
  }
  out.sort((a, b) => a.tsMs - b.tsMs || a.userId - b.userId || a.itemId - b.itemId);
  return out;
}
