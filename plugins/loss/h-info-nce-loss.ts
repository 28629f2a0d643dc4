import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { hInfoNce } from '../../src/losses/h-info-nce.ts';
import { TemperatureLoss, temperatureSchema } from '../../src/losses/temperature-loss.ts';

const schema = temperatureSchema();
type Params = z.output<typeof schema>;

/**
 * Hierarchical InfoNCE (CroPS Eq. 3): every candidate is a positive against exactly the candidates
 * of strictly lower grade in its query's row, so a grade-5 reformulation positive is pushed above
 * grade-4 clicks, which are pushed above grade-3 impressions, and so on down to in-batch negatives.
 * With one grade-1 positive per query and grade 0 elsewhere it is plain InfoNCE. Owns a learnable
 * temperature (log τ, clamped). Mean over contributing terms; grade < 0 entries are ignored.
 * Compare `info-nce`, which collapses the grades to positive/negative at `positiveGrade`.
 */
@injectable()
export class HInfoNceLoss extends TemperatureLoss {
  constructor(@inject(PluginParams) params: Params) {
    super(params);
  }

  protected computeWith(scores: tf.Tensor2D, grades: tf.Tensor2D, tau: tf.Scalar, _ctx: LossContext): tf.Scalar {
    return hInfoNce(scores, grades, { temperature: tau });
  }
}

export default definePlugin({
  kind: 'loss',
  name: 'h-info-nce',
  summary: 'hierarchical InfoNCE: each candidate is a positive against strictly lower grades (CroPS Eq. 3)',
  schema,
  implementation: HInfoNceLoss,
  requires: [{ trait: 'graded-labels', because: 'it orders candidates by grade and needs a graded label scheme such as hla; with binary labels use info-nce' }],
});
