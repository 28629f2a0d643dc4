import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { infoNceExpanded } from '../../src/losses/info-nce-expanded.ts';
import { TemperatureLoss, temperatureSchema } from '../../src/losses/temperature-loss.ts';

const schema = temperatureSchema();
type Params = z.output<typeof schema>;

/**
 * The paper's Table 4 "InfoNCE": each candidate with lower-graded candidates in its row is expanded
 * into its own InfoNCE example against exactly those, one masked softmax row per example. Same value
 * and gradient as `h-info-nce`, at the expanded form's O(P·C) cost (the paper reports twice the
 * training time), so the two can be compared for speed. Owns a learnable temperature (log τ, clamped).
 */
@injectable()
export class InfoNceExpandedLoss extends TemperatureLoss {
  constructor(@inject(PluginParams) params: Params) {
    super(params);
  }

  protected computeWith(scores: tf.Tensor2D, grades: tf.Tensor2D, tau: tf.Scalar, _ctx: LossContext): tf.Scalar {
    return infoNceExpanded(scores, grades, { temperature: tau });
  }
}

export default definePlugin({
  kind: 'loss',
  name: 'info-nce-expanded',
  summary: "InfoNCE expanded per positive against its lower grades (Table 4): h-info-nce's value at the expanded O(P·C) cost",
  schema,
  implementation: InfoNceExpandedLoss,
});
