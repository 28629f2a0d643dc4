import { createHash } from 'node:crypto';
import { DEV_SET } from '../config/trial-config.ts';
import { TrialFailure } from '../core/errors.ts';
import { buildClickTestSet, buildJudgedTestSet, type TestSet } from '../eval/test-sets.ts';
import type { LogStore } from '../extension-points/log-store.ts';

/** The dev split of a trial with model selection, and the logs training may still see. */
export interface DevSplit {
  /** the set the selection metric scores, named `dev` */
  set: TestSet;
  /** `store` without the dev queries' train-day sessions and train judgments: what mining reads */
  trainStore: LogStore;
  /** where the dev queries came from */
  origin: 'dataset' | 'train-day';
}

/** Whether a query is held out: a hash of its text falls below `share` (the same in every run and trial). */
export function heldOutQuery(query: string, share: number): boolean {
  return createHash('sha256').update(`crops.dev:${query}`).digest().readUInt32BE(0) / 2 ** 32 < share;
}

/**
 * Carves the dev split that model selection scores, from training data only:
 *
 * - a dataset that names its own `dev` evaluation set (BEIR's dev qrels, or `devFromTrain`) keeps it;
 * - otherwise a `share` of the train-day query strings that have a click (chosen by a hash of the
 *   text, independent of the trial seed) is held out: the dev set is their train-day clicks, built
 *   like CT, and their sessions leave the logs that positive sources and discriminators mine.
 *
 * Either way no dev query keeps a train-day session or a train judgment, so none gives a training
 * positive; the test split and the judged set are never read.
 */
export function carveDevSplit(store: LogStore, share: number): DevSplit {
  const named = store.evalSets?.find((s) => s.name === DEV_SET);
  if (named) {
    const set: TestSet = { ...buildJudgedTestSet(named.judgments), name: DEV_SET };
    return { set, trainStore: withoutQueries(store, new Set(set.queries)), origin: 'dataset' };
  }
  const clicked = new Set(store.train.impressions.filter((i) => i.clicked).map((i) => i.sessionId));
  const queries = new Set(store.train.sessions.filter((s) => clicked.has(s.sessionId)).map((s) => s.query));
  const held = new Set([...queries].filter((q) => heldOutQuery(q, share)));
  if (held.size === 0) {
    const why =
      queries.size === 0
        ? 'the dataset has no train-day clicks to hold out and names no dev set; give it one (beir: devFromTrain, or evalSplits with dev)'
        : `a share of ${share} of its ${queries.size} clicked train-day queries selects none; raise train.select.devShare`;
    throw new TrialFailure(`train.select: no dev split: ${why}`);
  }
  const heldSessions = new Set(store.train.sessions.filter((s) => held.has(s.query)).map((s) => s.sessionId));
  const set: TestSet = {
    ...buildClickTestSet({
      sessions: store.train.sessions.filter((s) => heldSessions.has(s.sessionId)),
      impressions: store.train.impressions.filter((i) => heldSessions.has(i.sessionId)),
      recInteractions: [],
    }),
    name: DEV_SET,
  };
  return { set, trainStore: withoutQueries(store, held), origin: 'train-day' };
}

/** The store with every train-day session and train judgment of `queries` removed. */
function withoutQueries(store: LogStore, queries: ReadonlySet<string>): LogStore {
  const dropped = new Set(store.train.sessions.filter((s) => queries.has(s.query)).map((s) => s.sessionId));
  return {
    ...store,
    train: {
      ...store.train,
      sessions: store.train.sessions.filter((s) => !dropped.has(s.sessionId)),
      impressions: store.train.impressions.filter((i) => !dropped.has(i.sessionId)),
    },
    ...(store.trainJudgments ? { trainJudgments: store.trainJudgments.filter((j) => !queries.has(j.query)) } : {}),
  };
}
