/**
 * How far a test set reaches past what the training logs showed: the share of its positive
 * (query, item) pairs that the train split never showed for that query string. A filter bubble
 * hides exactly these items, so a test set that only holds shown items cannot reward a method for
 * reaching into the bubble (the paper's P1-P3 sources).
 *
 * Positives: grade >= 2 on the graded `judged` set (grades 0..3, where 1 is marginal, as the world's
 * `relevantNeverShownShare` counts), grade >= 1 (any positive) on every other set. A query never
 * asked on the train day has all its positives never shown.
 */
import type { LogSplit } from '../extension-points/log-store.ts';
import type { TestSet } from './test-sets.ts';

/** One test set's share of positives never shown for their query in the train split. */
export interface NeverShown {
  /** positive (query, item) pairs of the set */
  positives: number;
  /** of those, pairs never shown under that query string in the train split */
  neverShown: number;
  /** neverShown / positives, pooled over pairs (0 for a set without positives) */
  share: number;
  /** of the positives, pairs whose item the train split never showed under any query */
  neverShownAnywhere: number;
  /** neverShownAnywhere / positives: the stricter reading, items the bubble hid from everyone */
  anywhereShare: number;
}

/** The lowest grade that counts as a positive of the named set. */
export function positiveGrade(setName: string): number {
  return setName === 'judged' ? 2 : 1;
}

/** Per query string, the items the split showed under it. */
export function shownByQuery(split: LogSplit): Map<string, Set<number>> {
  const queryOf = new Map(split.sessions.map((s) => [s.sessionId, s.query]));
  const shown = new Map<string, Set<number>>();
  for (const imp of split.impressions) {
    if (imp.stage !== 'shown') continue;
    const q = queryOf.get(imp.sessionId);
    if (q === undefined) continue;
    let items = shown.get(q);
    if (!items) shown.set(q, (items = new Set()));
    items.add(imp.itemId);
  }
  return shown;
}

/** The never-shown share of `set`'s positives against the items `shown` per query (see `shownByQuery`). */
export function neverShownShare(set: TestSet, shown: ReadonlyMap<string, ReadonlySet<number>>, minGrade = positiveGrade(set.name)): NeverShown {
  const anywhere = new Set<number>();
  for (const items of shown.values()) for (const id of items) anywhere.add(id);
  let positives = 0;
  let neverShown = 0;
  let neverShownAnywhere = 0;
  for (const q of set.queries) {
    const seen = shown.get(q);
    for (const [itemId, grade] of set.byQuery.get(q) ?? []) {
      if (grade < minGrade) continue;
      positives++;
      if (!seen?.has(itemId)) neverShown++;
      if (!anywhere.has(itemId)) neverShownAnywhere++;
    }
  }
  const of = (n: number) => (positives > 0 ? n / positives : 0);
  return { positives, neverShown, share: of(neverShown), neverShownAnywhere, anywhereShare: of(neverShownAnywhere) };
}
