import type * as tf from '@tensorflow/tfjs-core';
import { hInfoNceOfHostGrades, type HInfoNceOptions } from './h-info-nce.ts';

/** Options of {@link infoNce}. */
export interface InfoNceOptions extends HInfoNceOptions {
  /** smallest grade that counts as a positive (default 1) */
  positiveGrade?: number;
}

/**
 * InfoNCE with graded inputs binarised: entries with grade >= `positiveGrade` are positives, entries
 * with 0 <= grade < `positiveGrade` negatives, grade < 0 excluded. Each positive is scored against
 * all negatives of its row, never against other positives (the "expanded" InfoNCE of the paper's
 * Table 4; with in-batch negatives, DPR's loss), which is exactly `hInfoNce` on the binarised
 * grades.
 *
 * @param scores `[Q, C]` float32 similarities
 * @param grades `[Q, C]` int32 grades
 * @returns the mean over positives that have at least one negative; inputs are not disposed
 */
export function infoNce(scores: tf.Tensor2D, grades: tf.Tensor2D, options: InfoNceOptions): tf.Scalar {
  const positiveGrade = options.positiveGrade ?? 1;
  if (!(positiveGrade >= 1)) throw new Error(`infoNce: positiveGrade must be >= 1 (got ${positiveGrade})`);
  if (grades.shape[0] !== scores.shape[0] || grades.shape[1] !== scores.shape[1]) {
    throw new Error(`infoNce: grades shape [${grades.shape}] does not match scores shape [${scores.shape}]`);
  }
  const binary = (grades.dataSync() as Int32Array).map((g) => (g < 0 ? -1 : g >= positiveGrade ? 1 : 0));
  return hInfoNceOfHostGrades(scores, binary, options);
}
