import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { fsLr } from '../../src/losses/fs-lr.ts';
import { TemperatureLoss, temperatureSchema } from '../../src/losses/temperature-loss.ts';

const schema = temperatureSchema();
type Params = z.output<typeof schema>;

/**
 * FS-LR's pairwise logistic loss (Full Stage Learning to Rank, WWW 2024): for every pair of a
 * query's candidates with different grades, `log(1 + exp(-(s_hi - s_lo) / τ))`, mean over pairs.
 * Pairs with equal grades and entries with grade < 0 are ignored. The temperature scales the score
 * differences and is learnable (log τ, clamped). Pair with the `fs-lr` label scheme for the paper's
 * FS-LR baseline.
 */
@injectable()
export class FsLrLoss extends TemperatureLoss {
  constructor(@inject(PluginParams) params: Params) {
    super(params);
  }

  protected computeWith(scores: tf.Tensor2D, grades: tf.Tensor2D, tau: tf.Scalar, _ctx: LossContext): tf.Scalar {
    return fsLr(scores, grades, { temperature: tau });
  }
}

export default definePlugin({
  kind: 'loss',
  name: 'fs-lr',
  summary: 'FS-LR pairwise logistic loss over all candidate pairs with different grades (WWW 2024)',
  schema,
  implementation: FsLrLoss,
  requires: [{ trait: 'graded-labels', because: 'it learns from the order between grades and needs a graded label scheme such as fs-lr or hla' }],
});
