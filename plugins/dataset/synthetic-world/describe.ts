import { Rng } from '../../../src/core/rng.ts';
import type { LogSplit } from '../../../src/extension-points/log-store.ts';
import { neverShownShare, shownByQuery } from '../../../src/eval/never-shown.ts';
import { buildClickTestSet, buildJudgedTestSet, buildReformulationTestSet, type TestSet } from '../../../src/eval/test-sets.ts';
import type { DatasetDiagnostic } from '../../../src/extension-points/dataset.ts';
import type { GeneratedWorld } from './generate.ts';
import { LegacyFunnel } from './legacy-funnel.ts';
import { DAY_MS, EPOCH_MS, TEST_DAY } from './presets.ts';
import type { World } from './world.ts';

/**
 * The ranges a log has to fall in to look like a real short-video search bubble, from outside
 * anchors (KuaiSAR, published search-log studies) or from what the bubble means (world.md), never
 * from how the compared methods score on the world. A value outside its range is shown as such; the
 * world's defaults are not re-tuned against the methods' results. Facts without an anchor have no range.
 */
const TARGETS: Record<string, { target?: readonly [number, number]; about: string }> = {
  trainClickSessionShare: { target: [0.5, 0.75], about: 'search sessions with a click; KuaiSAR has about 60%' },
  testClickSessionShare: { target: [0.5, 0.85], about: 'same on the test day, which has its own exposure policy' },
  exposureTop10Share: { target: [0.5, 0.9], about: 'shown impressions going to the top 10% of items; popularity-biased feeds put most exposure there' },
  exposureGini: { target: [0.6, 0.95], about: 'Gini of shown impressions per item' },
  relevantNeverShownShare: { target: [0.3, 0.8], about: 'items relevant (grade >= 2) to a meaning asked for on the train day that the legacy system never showed: the bubble P1-P3 reach into' },
  trainReformulationRate: { target: [0.1, 0.3], about: 'sessions that reformulate the previous one; web and video search logs report 10-30%' },
  testReformulationRate: { target: [0.05, 0.3], about: 'same on the test day (fewer, as its policy serves more intents)' },
  ambiguousSessionShare: { target: [0.3, 0.6], about: 'sessions with a head-word-only query; ambiguous queries are a large part of short-video traffic' },
  ambiguousTailIntentShare: { target: [0.3, 0.7], about: 'ambiguous sessions whose intent is not the topic\'s dominant meaning' },
  ambiguousShownDominantShare: { target: [0.7, 0.95], about: 'shown results of ambiguous queries from the dominant meaning: the legacy bias' },
  feedRelevantToRecentQueryShare: {
    about: 'feed interactions within an hour of a search by the same user that are relevant (grade >= 2) to that query: what P2 can mine (no outside anchor)',
  },
  legacyRecallAt100Ct: {
    target: [0.3, 0.85],
    about: 'Recall@100 of the training-day legacy system on the CT test set; near 1 would mean CT only measures the legacy funnel',
  },
  legacyRecallAt100Qr: { target: [0.1, 0.6], about: 'same on the QR test set, the intents the legacy system failed' },
  ctNeverShownShare: {
    about: 'CT test positives (clicked items) that the train day never showed for their query (queries not asked that day count whole): how much of CT lies inside the bubble (no outside anchor)',
  },
  qrNeverShownShare: { about: 'same for QR test positives (items taken after a reformulation, grade >= 2 by the ground truth)' },
  judgedNeverShownShare: { about: 'same for judged positives (grade >= 2) of the judged set' },
  ctNeverShownAnywhereShare: { about: 'CT test positives whose item the train day showed under no query at all' },
  qrNeverShownAnywhereShare: { about: 'same for QR test positives' },
  judgedNeverShownAnywhereShare: { about: 'same for judged positives (grade >= 2)' },
  judgedRelevantShare: {
    target: [0.3, 0.7],
    about: 'sampled judged pairs (the pool, before every relevant item is added) with grade >= 2; pooled judgments usually hold both kinds in good measure',
  },
};

const ABOUT_COUNTS: Record<string, string> = {
  items: 'videos in the corpus',
  users: 'users',
  topics: 'topics',
  subtopics: 'meanings (subtopics) over all topics',
  trainSessions: 'train-day search sessions',
  testSessions: 'test-day search sessions',
  trainImpressions: 'train-day impressions over every funnel stage',
  trainFeedInteractions: 'train-day recommendation-feed interactions',
  judgments: 'judged (query, item) pairs in the qrels of the judged set',
  judgedQueries: 'queries of the judged set',
  judgedRelevantPerQuery: 'mean items with grade > 0 per judged query in the qrels (all of them unless judgedPairs is sampled)',
  judgedGrade0Share: 'sampled judged pairs at grade 0',
  judgedGrade1Share: 'sampled judged pairs at grade 1',
  judgedGrade2Share: 'sampled judged pairs at grade 2',
  judgedGrade3Share: 'sampled judged pairs at grade 3',
};

/** Every diagnostic of world.md for a generated world, with its target range where one exists. */
export function describeWorld(generated: GeneratedWorld): DatasetDiagnostic[] {
  const { world, store, judged } = generated;
  const base = Object.entries(store.description ?? {}).filter(([k]) => k !== 'world' && k !== 'seed');
  const extra: Record<string, number> = {
    judgedRelevantShare: round(judged.pool.filter((j) => j.grade >= 2).length / Math.max(1, judged.pool.length)),
    feedRelevantToRecentQueryShare: round(feedRelevance(world, store.train)),
  };
  // the test sets as a trial builds them by default (QR items and query pairs checked by the ground truth)
  const sets: TestSet[] = [
    buildClickTestSet(store.test),
    buildReformulationTestSet(store.test, { relevanceOf: (q, id) => world.trueGrade(q, id), querySimilarityOf: (q, r) => world.textGrade(q, r) }),
    buildJudgedTestSet(store.judgments),
  ];
  const shown = shownByQuery(store.train);
  for (const set of sets) {
    const n = neverShownShare(set, shown);
    extra[`${set.name}NeverShownShare`] = round(n.share);
    extra[`${set.name}NeverShownAnywhereShare`] = round(n.anywhereShare);
  }
  Object.assign(extra, legacyRecall(world, sets[0]!, sets[1]!));
  return [...base, ...Object.entries(extra)].map(([key, value]) => ({
    key,
    value,
    ...(TARGETS[key] ?? { about: ABOUT_COUNTS[key] ?? key }),
  }));
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
const HOUR_MS = 3_600_000;

/** Of the feed interactions within an hour of a search by the same user, the share relevant to one of those queries. */
function feedRelevance(world: World, split: LogSplit): number {
  const byUser = new Map<number, Array<{ tsMs: number; query: string }>>();
  for (const s of split.sessions) {
    let list = byUser.get(s.userId);
    if (!list) byUser.set(s.userId, (list = []));
    list.push({ tsMs: s.tsMs, query: s.query });
  }
  let near = 0;
  let relevant = 0;
  for (const r of split.recInteractions) {
    const queries = (byUser.get(r.userId) ?? []).filter((s) => Math.abs(s.tsMs - r.tsMs) <= HOUR_MS);
    if (queries.length === 0) continue;
    near++;
    if (queries.some((s) => world.trueGrade(s.query, r.itemId) >= 2)) relevant++;
  }
  return relevant / Math.max(1, near);
}

/**
 * Recall@100 of the legacy system with its training-day policy, serving each CT/QR test query once
 * (every funnel stage counts as retrieved, best stage first). QR is filtered by the ground truth as
 * the trials' QR set is.
 */
function legacyRecall(world: World, ct: TestSet, qr: TestSet): { legacyRecallAt100Ct: number; legacyRecallAt100Qr: number } {
  const funnel = new LegacyFunnel(world);
  const rng = new Rng(world.config.seed).fork('legacy-recall');
  const at = EPOCH_MS + TEST_DAY * DAY_MS + DAY_MS / 2;
  const recall = (set: TestSet) => {
    let sum = 0;
    for (const query of set.queries) {
      const words = query.split(' ').map((t) => world.vocab.lookup(t)).filter((w) => w >= 0);
      const served = funnel.serve(words, at, 0, rng.fork(query));
      const top = new Set([...served.shown, ...served.rankedNotShown, ...served.prerankFiltered].slice(0, 100));
      const relevant = [...set.byQuery.get(query)!].filter(([, g]) => g > 0).map(([id]) => id);
      sum += relevant.filter((id) => top.has(id)).length / relevant.length;
    }
    return round(sum / Math.max(1, set.queries.length));
  };
  return { legacyRecallAt100Ct: recall(ct), legacyRecallAt100Qr: recall(qr) };
}
