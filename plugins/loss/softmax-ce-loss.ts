import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { softmaxCe } from '../../src/losses/softmax-ce.ts';
import { TemperatureLoss, temperatureSchema } from '../../src/losses/temperature-loss.ts';

const schema = temperatureSchema({
  targetWeighting: z
    .enum(['linear', 'exponential'])
    .default('linear')
    .describe('target weight per grade: linear = grade, exponential = 2^grade - 1 (normalised per row)'),
});
type Params = z.output<typeof schema>;

/**
 * Softmax cross-entropy with grade-weighted targets (the paper's Table 4 "Softmax-CE"): one softmax
 * over all non-excluded candidates of a query, targets proportional to each candidate's grade
 * weight. Higher grades sit in lower grades' denominators, the flaw `h-info-nce` removes. Rows with
 * no positive weight contribute nothing. Owns a learnable temperature (log τ, clamped).
 */
@injectable()
export class SoftmaxCeLoss extends TemperatureLoss {
  constructor(@inject(PluginParams) private readonly params: Params) {
    super(params);
  }

  protected computeWith(scores: tf.Tensor2D, grades: tf.Tensor2D, tau: tf.Scalar, _ctx: LossContext): tf.Scalar {
    return softmaxCe(scores, grades, { temperature: tau, targetWeighting: this.params.targetWeighting });
  }
}

export default definePlugin({
  kind: 'loss',
  name: 'softmax-ce',
  summary: 'softmax cross-entropy over all candidates with grade-weighted targets (Table 4 Softmax-CE)',
  schema,
  implementation: SoftmaxCeLoss,
});
