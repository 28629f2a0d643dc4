import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { Loss, LossContext } from '../../src/extension-points/loss.ts';
import { softmaxCe } from '../../src/losses/softmax-ce.ts';
import { LearnableTemperature, temperatureParams, temperatureRangeIsValid } from '../../src/losses/temperature.ts';

const schema = z
  .object({
    ...temperatureParams,
    targetWeighting: z
      .enum(['linear', 'exponential'])
      .default('linear')
      .describe('target weight per grade: linear = grade, exponential = 2^grade - 1 (normalised per row)'),
  })
  .strict()
  .refine(temperatureRangeIsValid, { message: 'temperature must lie within [minTemperature, maxTemperature]', path: ['temperature'] });
type Params = z.output<typeof schema>;

/**
 * Softmax cross-entropy with grade-weighted targets (the paper's Table 4 "Softmax-CE"): one softmax
 * over all non-excluded candidates of a query, targets proportional to each candidate's grade
 * weight. Higher grades sit in lower grades' denominators, the flaw `h-info-nce` removes. Rows with
 * no positive weight contribute nothing. Owns a learnable temperature (log τ, clamped).
 */
@injectable()
export class SoftmaxCeLoss implements Loss {
  private readonly temperature: LearnableTemperature;

  constructor(@inject(PluginParams) private readonly params: Params) {
    this.temperature = new LearnableTemperature(params);
  }

  compute(scores: tf.Tensor2D, grades: tf.Tensor2D, _ctx?: LossContext): tf.Scalar {
    const tau = this.temperature.value();
    try {
      return softmaxCe(scores, grades, { temperature: tau, targetWeighting: this.params.targetWeighting });
    } finally {
      tau.dispose();
    }
  }

  variables(): tf.Variable[] {
    return this.temperature.variables();
  }

  stats(): Record<string, number> {
    return { temperature: this.temperature.current() };
  }

  dispose(): void {
    this.temperature.dispose();
  }
}

export default definePlugin({
  kind: 'loss',
  name: 'softmax-ce',
  summary: 'softmax cross-entropy over all candidates with grade-weighted targets (Table 4 Softmax-CE)',
  schema,
  implementation: SoftmaxCeLoss,
});
