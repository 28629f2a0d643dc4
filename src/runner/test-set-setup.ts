import { DEV_SET, type QrSettings } from '../config/trial-config.ts';
import { neverShownShare, shownByQuery } from '../eval/never-shown.ts';
import type { TestSet, TestSetOptions } from '../eval/test-sets.ts';
import type { Dataset } from '../extension-points/dataset.ts';
import type { LogStore } from '../extension-points/log-store.ts';

/**
 * How the QR set is built: a dataset with ground truth filters items by their true grade and
 * (q, q') pairs by the true grade of q' as a text for q, both against the paper's 0.6 unless
 * `eval.qr` says otherwise (the P1 source makes the same two checks with its discriminator).
 */
export function testSetOptions(dataset: Dataset, qr: QrSettings | undefined): TestSetOptions {
  const knowledge = dataset.knowledge?.();
  return {
    relevanceOf: dataset.trueGrade ? (q, i) => dataset.trueGrade!(q, i) : undefined,
    querySimilarityOf: knowledge ? (q, r) => knowledge.textGrade(q, r) : undefined,
    qrWindowSeconds: qr?.windowSeconds,
    threshold: qr?.threshold,
    querySimilarity: qr?.querySimilarity,
  };
}

/**
 * Per evaluated test set (the dev set aside), its positives and the share of them the train-day
 * logs never showed for their query (src/eval/never-shown.ts): how much of the set lies inside the
 * filter bubble, logged as `testset.<set>.positives`, `testset.<set>.never_shown_share` and
 * `testset.<set>.never_shown_anywhere_share` (items shown under no query at all).
 */
export function neverShownParams(store: LogStore, sets: ReadonlyMap<string, TestSet>, evaluated: ReadonlySet<string>): Record<string, string> {
  const shown = shownByQuery(store.train);
  const out: Record<string, string> = {};
  for (const [name, set] of sets) {
    if (name === DEV_SET || !evaluated.has(name)) continue;
    const n = neverShownShare(set, shown);
    out[`testset.${name}.positives`] = String(n.positives);
    out[`testset.${name}.never_shown_share`] = n.share.toFixed(4);
    out[`testset.${name}.never_shown_anywhere_share`] = n.anywhereShare.toFixed(4);
  }
  return out;
}
