import * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { nce } from '../../src/losses/nce.ts';
import { TemperatureLoss, temperatureSchema } from '../../src/losses/temperature-loss.ts';

const schema = temperatureSchema({
  bias: z.number().default(0).describe('initial logit bias b in σ(s / τ + b)'),
  learnBias: z.boolean().default(true).describe('train the logit bias with the dense weights'),
  positiveGrade: z.number().int().min(1).optional().describe("smallest positive grade; defaults to the label scheme's"),
});
type Params = z.output<typeof schema>;

/**
 * Binary logistic loss, the paper's NCE baseline: each candidate is classified on its own as a
 * positive (grade >= positiveGrade) or a negative (0 <= grade < positiveGrade) from the logit
 * `s / τ + b`; mean over positives plus mean over negatives. No softmax, so candidates never
 * compete. Owns a learnable temperature (log τ, clamped) and a learnable bias.
 */
@injectable()
export class NceLoss extends TemperatureLoss {
  private readonly bias: tf.Variable;

  constructor(@inject(PluginParams) private readonly params: Params) {
    super(params);
    this.bias = tf.tidy(() => tf.variable(tf.scalar(params.bias), params.learnBias));
  }

  protected computeWith(scores: tf.Tensor2D, grades: tf.Tensor2D, tau: tf.Scalar, ctx: LossContext): tf.Scalar {
    return nce(scores, grades, { temperature: tau, bias: this.bias as tf.Scalar, positiveGrade: this.params.positiveGrade ?? ctx.positiveGrade });
  }

  override variables(): tf.Variable[] {
    return [...super.variables(), ...(this.params.learnBias ? [this.bias] : [])];
  }

  override stats(): Record<string, number> {
    return { ...super.stats(), bias: this.bias.dataSync()[0]! };
  }

  override dispose(): void {
    super.dispose();
    this.bias.dispose();
  }
}

export default definePlugin({
  kind: 'loss',
  name: 'nce',
  summary: 'binary logistic loss: positives (grade >= positiveGrade) vs negatives, logit s/τ + b (NCE baseline)',
  schema,
  implementation: NceLoss,
});
