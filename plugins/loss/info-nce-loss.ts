import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { infoNce } from '../../src/losses/info-nce.ts';
import { TemperatureLoss, temperatureSchema } from '../../src/losses/temperature-loss.ts';

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
