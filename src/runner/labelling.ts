import type { Item } from '../extension-points/log-store.ts';
import type { Candidate, LabelledList, TrainingSet } from '../extension-points/samples.ts';
import type { MinedCandidates } from '../extension-points/positive-source.ts';
import type { LabelScheme } from '../extension-points/label-scheme.ts';

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Grades mined candidates with a label scheme and resolves them into per-query lists.
 *
 * - Corpus items keep their ids; pseudo-items that received a graded candidate get ids after the
 *   corpus, in source order and then in each source's item order.
 * - A candidate whose origin the scheme does not grade is dropped.
 * - When one (query, item) pair has several origins, the highest grade wins.
 * - Queries without any candidate at `scheme.positiveGrade` or above are dropped.
 * - Lists are ordered by query (code-unit order); items by grade descending, then id ascending.
 *
 * `originCounts` counts graded pairs per origin before overlap resolution (what each origin
 * contributed); `gradeCounts` counts the final pairs per grade in the kept lists.
 */
export function buildTrainingSet(items: readonly Item[], mined: readonly MinedCandidates[], scheme: LabelScheme): TrainingSet {
  const { texts, corpusSize, pairs, originCounts } = resolveSamples(items, mined, scheme);
  const lists: LabelledList[] = [];
  const gradeCounts: Record<string, number> = {};
  for (const query of [...pairs.keys()].sort(byCodeUnit)) {
    const entries = [...pairs.get(query)!].map(([id, s]) => [id, s.grade] as const).sort(([ia, ga], [ib, gb]) => gb - ga || ia - ib);
    if (entries.length === 0 || entries[0]![1] < scheme.positiveGrade) continue;
    lists.push({ query, itemIds: entries.map(([id]) => id), grades: entries.map(([, g]) => g) });
    for (const [, g] of entries) gradeCounts[String(g)] = (gradeCounts[String(g)] ?? 0) + 1;
  }
  return { items: { texts, corpusSize }, lists, originCounts, gradeCounts };
}

/** The candidate that set a (query, item) pair's grade: the first one mined at the highest grade. */
export interface ResolvedSample {
  grade: number;
  candidate: Candidate;
}

/**
 * The grading and overlap resolution behind {@link buildTrainingSet}, with each pair's winning
 * candidate kept (its origin and provenance), for exports and audits. Pseudo-item candidates are
 * reported with their assigned ids; queries are not yet filtered by `positiveGrade`.
 */
export function resolveSamples(
  items: readonly Item[],
  mined: readonly MinedCandidates[],
  scheme: LabelScheme,
): { texts: string[]; corpusSize: number; pairs: Map<string, Map<number, ResolvedSample>>; originCounts: Record<string, number> } {
  const corpusSize = items.length;
  const texts = items.map((it) => it.text);
  const originCounts: Record<string, number> = {};
  const pairs = new Map<string, Map<number, ResolvedSample>>();

  const add = (candidate: Candidate) => {
    const grade = scheme.grade(candidate.origin);
    if (grade === undefined) return;
    if (!Number.isInteger(grade)) throw new Error(`label scheme graded origin '${candidate.origin}' as ${grade}; grades must be integers`);
    originCounts[candidate.origin] = (originCounts[candidate.origin] ?? 0) + 1;
    let perItem = pairs.get(candidate.query);
    if (!perItem) pairs.set(candidate.query, (perItem = new Map()));
    const prev = perItem.get(candidate.itemId);
    if (prev === undefined || grade > prev.grade) perItem.set(candidate.itemId, { grade, candidate });
  };

  mined.forEach((source, s) => {
    for (const c of source.candidates) {
      if (!Number.isInteger(c.itemId) || c.itemId < 0 || c.itemId >= corpusSize) {
        throw new Error(`positive source #${s} returned item id ${c.itemId} (origin '${c.origin}', query '${c.query}') outside the corpus 0..${corpusSize - 1}`);
      }
      add(c);
    }
    if (!source.pseudo) return;
    const keyText = new Map<string, string>();
    for (const p of source.pseudo.items) if (!keyText.has(p.key)) keyText.set(p.key, p.text);
    // ids only for pseudo-items that some graded candidate points at, in the source's item order
    const used = new Set<string>();
    for (const c of source.pseudo.candidates) {
      if (!keyText.has(c.pseudoKey)) throw new Error(`positive source #${s} refers to unknown pseudo-item '${c.pseudoKey}' (query '${c.query}')`);
      if (scheme.grade(c.origin) !== undefined) used.add(c.pseudoKey);
    }
    const idOf = new Map<string, number>();
    for (const [key, text] of keyText) {
      if (!used.has(key)) continue;
      idOf.set(key, texts.length);
      texts.push(text);
    }
    for (const c of source.pseudo.candidates) {
      const id = idOf.get(c.pseudoKey);
      if (id !== undefined) add({ query: c.query, itemId: id, origin: c.origin });
    }
  });
  return { texts, corpusSize, pairs, originCounts };
}
