import * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { TemperatureLoss, temperatureSchema } from '../../kits/loss/temperature-loss.ts';
import { hostGrades, hostLoss, type HostPass, type ScalarInput, sigmoid, softplus } from '../../kits/loss/host-loss.ts';

/** Options of {@link nce}. */
export interface NceOptions {
  /** logit scale τ > 0; a `tf.Scalar` (e.g. a learnable one) receives a gradient */
  temperature: ScalarInput;
  /** logit bias b; a `tf.Scalar` receives a gradient (default 0) */
  bias?: ScalarInput;
  /** smallest grade that counts as a positive (default 1) */
  positiveGrade?: number;
}

/**
 * Binary logistic (NCE-style) loss, the paper's NCE baseline: with logit `x = s / τ + b`, positives
 * (grade >= positiveGrade) pay `-log σ(x)` and negatives (0 <= grade < positiveGrade) pay
 * `-log σ(-x)`; the loss is the mean over the batch's positives plus the mean over its negatives
 * (an empty side adds 0), so many in-batch negatives do not drown the few positives. Grade < 0 is
 * excluded. Float64 on the host, analytic gradient.
 *
 * @param scores `[Q, C]` float32 similarities
 * @param grades `[Q, C]` int32 grades
 * @returns a float32 scalar differentiable w.r.t. `scores` and tensor `temperature` / `bias`; inputs are not disposed
 */
export function nce(scores: tf.Tensor2D, grades: tf.Tensor2D, options: NceOptions): tf.Scalar {
  const positiveGrade = options.positiveGrade ?? 1;
  if (!(positiveGrade >= 1)) throw new Error(`nce: positiveGrade must be >= 1 (got ${positiveGrade})`);
  const g = hostGrades('nce', scores, grades);
  return hostLoss(scores, options.temperature, [options.bias ?? 0], (z, [b]) => ncePass(z, g, b!, positiveGrade));
}

function ncePass(z: Float64Array, g: ArrayLike<number>, b: number, positiveGrade: number): HostPass {
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < z.length; i++) {
    if (g[i]! >= positiveGrade) positives++;
    else if (g[i]! >= 0) negatives++;
  }
  // d loss / d x per entry, filled with the value pass
  const dx = new Float64Array(z.length);
  let posTotal = 0;
  let negTotal = 0;
  for (let i = 0; i < z.length; i++) {
    const gi = g[i]!;
    if (gi < 0) continue;
    const x = z[i]! + b;
    if (gi >= positiveGrade) {
      posTotal += softplus(-x);
      dx[i] = -sigmoid(-x) / positives;
    } else {
      negTotal += softplus(x);
      dx[i] = sigmoid(x) / negatives;
    }
  }
  const loss = (positives > 0 ? posTotal / positives : 0) + (negatives > 0 ? negTotal / negatives : 0);
  return {
    loss,
    gradients: () => {
      let dBias = 0;
      for (let i = 0; i < dx.length; i++) dBias += dx[i]!;
      return { dLogits: dx, dExtras: [dBias] };
    },
  };
}

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
