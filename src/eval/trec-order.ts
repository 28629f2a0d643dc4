/**
 * The order trec_eval puts a run in before measuring it: score descending, ties broken by docno
 * descending in byte (strcmp) order. The rank column of a run file is ignored by trec_eval, so an
 * in-memory evaluation that wants to match it must re-sort the same way.
 */
import type { Ranking } from '../extension-points/retriever.ts';

/** One retrieved document of a run, as trec_eval reads it. */
export interface ScoredDoc {
  docno: string;
  score: number;
}

/**
 * Compares two strings the way C's `strcmp` compares their UTF-8 bytes (code point order).
 * UTF-16 code units already give that order except that surrogates (code points above U+FFFF)
 * must sort after U+E000..U+FFFF, hence the shift.
 */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** trec_eval's `comp_sim_docno`: higher score first, equal scores by docno descending. */
export function compareLikeTrecEval(a: ScoredDoc, b: ScoredDoc): number {
  if (a.score > b.score) return -1;
  if (a.score < b.score) return 1;
  return compareBytes(b.docno, a.docno);
}

/** A copy of `entries` in the order trec_eval ranks them (the input is left untouched). */
export function orderLikeTrecEval<T extends ScoredDoc>(entries: readonly T[]): T[] {
  return [...entries].sort(compareLikeTrecEval);
}

/**
 * A ranking re-ordered as trec_eval would rank its run-file lines (docno = decimal item id, or the
 * dataset's own document id through `docno`), so metrics computed in memory equal trec_eval's on
 * the written run. Only ties can move.
 */
export function rankingInTrecOrder(ranking: Ranking, docno: (itemId: number) => string = String): Ranking {
  const n = ranking.itemIds.length;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) {
    const a = ranking.scores[i - 1]!;
    const b = ranking.scores[i]!;
    // docnos only matter between equal scores, so most rankings skip the string work
    sorted = a > b || (a === b && compareBytes(docno(ranking.itemIds[i]!), docno(ranking.itemIds[i - 1]!)) <= 0);
  }
  if (sorted) return ranking;
  const order = orderLikeTrecEval(Array.from(ranking.itemIds, (id, i) => ({ docno: docno(id), score: ranking.scores[i]!, id })));
  return { itemIds: Int32Array.from(order, (e) => e.id), scores: Float32Array.from(order, (e) => e.score) };
}
