import type { LogSplit } from '../../../src/extension-points/log-store.ts';
import type { DayLog } from './behaviour.ts';
import type { JudgedSet } from './judged.ts';
import type { World } from './world.ts';

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Facts that show whether the simulated logs look like a filter bubble: exposure concentration,
 * click and reformulation rates, how much relevant content the legacy system never shows, and how
 * ambiguous queries are served. Values are shares in [0, 1] unless named as counts.
 */
export function worldDiagnostics(world: World, train: DayLog, test: DayLog, judged: JudgedSet): Record<string, number> {
  const shownCounts = new Float64Array(world.items.length);
  for (const imp of train.split.impressions) if (imp.stage === 'shown') shownCounts[imp.itemId]! += 1;
  const sorted = [...shownCounts].sort((a, b) => b - a);
  const totalShown = sorted.reduce((a, b) => a + b, 0);
  const top = sorted.slice(0, Math.max(1, Math.round(world.items.length / 10))).reduce((a, b) => a + b, 0);

  // items relevant (grade >= 2) to some meaning asked for on the training day, never shown that day
  const asked = new Set(train.split.sessions.flatMap((s) => [...world.meanings(s.query)]));
  let relevant = 0;
  let neverShown = 0;
  for (const it of world.items) {
    // grade >= 2 for an asked meaning, as documented (an item of an asked subtopic can still be grade 1)
    const rel = [it.subtopic, it.secondary].some((m) => asked.has(m) && world.relevance(m, it.id) >= 2);
    if (!rel) continue;
    relevant++;
    if (shownCounts[it.id] === 0) neverShown++;
  }

  // how ambiguous queries are asked and served
  const querySlice = new Map(train.split.sessions.map((s) => [s.sessionId, world.querySlice(s.query)]));
  let ambiguous = 0;
  let tailIntent = 0;
  let ambShown = 0;
  let ambDominant = 0;
  for (const t of train.truth) {
    if (querySlice.get(t.sessionId) !== 'ambiguous') continue;
    ambiguous++;
    if (world.topics[world.subtopics[t.intent]!.topic]!.dominant !== t.intent) tailIntent++;
  }
  for (const imp of train.split.impressions) {
    if (imp.stage !== 'shown' || querySlice.get(imp.sessionId) !== 'ambiguous') continue;
    const it = world.items[imp.itemId]!;
    ambShown++;
    if (world.topics[world.subtopics[it.subtopic]!.topic]!.dominant === it.subtopic) ambDominant++;
  }

  // grade shares describe the sampled pool; the qrels add every relevant item on top of it
  const { pool } = judged;
  const gradeShare = (g: number) => pool.filter((j) => j.grade === g).length / Math.max(1, pool.length);
  const relevantPairs = judged.judgments.filter((j) => j.grade > 0).length;
  return {
    items: world.items.length,
    users: world.users.length,
    topics: world.topics.length,
    subtopics: world.subtopics.length,
    trainSessions: train.split.sessions.length,
    testSessions: test.split.sessions.length,
    trainImpressions: train.split.impressions.length,
    trainFeedInteractions: train.split.recInteractions.length,
    judgments: judged.judgments.length,
    judgedQueries: judged.queries.length,
    judgedRelevantPerQuery: Math.round((10 * relevantPairs) / Math.max(1, judged.queries.length)) / 10,
    exposureTop10Share: round(top / Math.max(1, totalShown)),
    exposureGini: round(gini(sorted)),
    trainClickSessionShare: round(clickShare(train.split)),
    testClickSessionShare: round(clickShare(test.split)),
    trainReformulationRate: round(train.truth.filter((t) => t.reformulationOf !== undefined).length / Math.max(1, train.truth.length)),
    testReformulationRate: round(test.truth.filter((t) => t.reformulationOf !== undefined).length / Math.max(1, test.truth.length)),
    relevantNeverShownShare: round(neverShown / Math.max(1, relevant)),
    ambiguousSessionShare: round(ambiguous / Math.max(1, train.truth.length)),
    ambiguousTailIntentShare: round(tailIntent / Math.max(1, ambiguous)),
    ambiguousShownDominantShare: round(ambDominant / Math.max(1, ambShown)),
    judgedGrade0Share: round(gradeShare(0)),
    judgedGrade1Share: round(gradeShare(1)),
    judgedGrade2Share: round(gradeShare(2)),
    judgedGrade3Share: round(gradeShare(3)),
  };
}

/** Share of sessions with at least one clicked impression. */
export function clickShare(split: LogSplit): number {
  const clicked = new Set<number>();
  for (const imp of split.impressions) if (imp.clicked) clicked.add(imp.sessionId);
  return clicked.size / Math.max(1, split.sessions.length);
}

/** Gini coefficient of non-negative counts sorted in descending order. */
function gini(desc: readonly number[]): number {
  const n = desc.length;
  const total = desc.reduce((a, b) => a + b, 0);
  if (n === 0 || total === 0) return 0;
  let weighted = 0;
  // ascending rank i (1-based) of the value at descending index k is n - k
  desc.forEach((x, k) => (weighted += (n - k) * x));
  return (2 * weighted) / (n * total) - (n + 1) / n;
}
