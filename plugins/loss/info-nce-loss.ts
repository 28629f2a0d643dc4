import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { TemperatureLoss, temperatureSchema } from '../../kits/loss/temperature-loss.ts';
import { hInfoNceOfHostGrades, type HInfoNceOptions } from './h-info-nce-loss.ts';

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
  const graded = grades.dataSync() as Int32Array;
  // a plain loop: a per-entry callback costs more than the loss itself at in-batch sizes
  const binary = new Int32Array(graded.length);
  for (let i = 0; i < graded.length; i++) {
    const g = graded[i]!;
    binary[i] = g < 0 ? -1 : g >= positiveGrade ? 1 : 0;
  }
  return hInfoNceOfHostGrades(scores, binary, options);
}

const schema = temperatureSchema({
  positiveGrade: z.number().int().min(1).optional().describe("smallest positive grade; defaults to the label scheme's"),
});
type Params = z.output<typeof schema>;

/**
 * InfoNCE over binarised grades: grade >= positiveGrade is a positive, 0 <= grade < positiveGrade a
 * negative, grade < 0 ignored. Each positive is its own softmax term against all negatives of its
 * row, other positives excluded (the paper's Table 4 "InfoNCE" baseline; with in-batch negatives it
 * is DPR's loss). Owns a learnable temperature (log τ, clamped). Compare `h-info-nce`, which keeps
 * the order among positive and negative grades.
 */
@injectable()
export class InfoNceLoss extends TemperatureLoss {
  constructor(@inject(PluginParams) private readonly params: Params) {
    super(params);
  }

  protected computeWith(scores: tf.Tensor2D, grades: tf.Tensor2D, tau: tf.Scalar, ctx: LossContext): tf.Scalar {
    return infoNce(scores, grades, { temperature: tau, positiveGrade: this.params.positiveGrade ?? ctx.positiveGrade });
  }
}

export default definePlugin({
  kind: 'loss',
  name: 'info-nce',
  summary: 'InfoNCE: each positive (grade >= positiveGrade) against all lower-graded candidates of its query',
  schema,
  implementation: InfoNceLoss,
});
