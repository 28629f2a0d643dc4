import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { Loss, LossContext } from '../../src/extension-points/loss.ts';
import { infoNceExpanded } from '../../src/losses/info-nce-expanded.ts';
import { LearnableTemperature, temperatureParams, temperatureRangeIsValid } from '../../src/losses/temperature.ts';

const schema = z
  .object({ ...temperatureParams })
  .strict()
  .refine(temperatureRangeIsValid, { message: 'temperature must lie within [minTemperature, maxTemperature]', path: ['temperature'] });
type Params = z.output<typeof schema>;

/**
 * The paper's Table 4 "InfoNCE": each candidate with lower-graded candidates in its row is expanded
 * into its own InfoNCE example against exactly those, one masked softmax row per example. Same value
 * and gradient as `h-info-nce`, at the expanded form's O(P·C) cost (the paper reports twice the
 * training time), so the two can be compared for speed. Owns a learnable temperature (log τ, clamped).
 */
@injectable()
export class InfoNceExpandedLoss implements Loss {
  private readonly temperature: LearnableTemperature;

  constructor(@inject(PluginParams) params: Params) {
    this.temperature = new LearnableTemperature(params);
  }

  compute(scores: tf.Tensor2D, grades: tf.Tensor2D, _ctx?: LossContext): tf.Scalar {
    const tau = this.temperature.value();
    try {
      return infoNceExpanded(scores, grades, { temperature: tau });
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
  name: 'info-nce-expanded',
  summary: "InfoNCE expanded per positive against its lower grades (Table 4): h-info-nce's value at the expanded O(P·C) cost",
  schema,
  implementation: InfoNceExpandedLoss,
});
