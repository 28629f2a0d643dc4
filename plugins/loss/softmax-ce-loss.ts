import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { TemperatureLoss, temperatureSchema } from '../../kits/loss/temperature-loss.ts';
import { hostGrades, hostLoss, type HostPass, type ScalarInput } from '../../kits/loss/host-loss.ts';

/** How a grade becomes a target weight in {@link softmaxCe}. */
export type TargetWeighting = 'linear' | 'exponential';

/** Options of {@link softmaxCe}. */
export interface SoftmaxCeOptions {
  /** softmax temperature τ > 0; a `tf.Scalar` (e.g. a learnable one) receives a gradient */
  temperature: ScalarInput;
  /** `linear`: weight = grade (default); `exponential`: weight = 2^grade - 1 */
  targetWeighting?: TargetWeighting;
}

/** Target weight of one grade (0 for grade 0, so in-batch negatives are never targets). */
export function targetWeight(grade: number, weighting: TargetWeighting): number {
  return weighting === 'exponential' ? 2 ** grade - 1 : grade;
}

/**
 * Softmax cross-entropy with graded targets (the paper's Table 4 "Softmax-CE"): per query row one
 * softmax over all candidates with grade >= 0, targets `t_k ∝ weight(grade_k)`, loss
 * `-Σ_k t_k log softmax(s / τ)_k`. Higher grades sit in every lower grade's denominator, which is
 * what separates it from `hInfoNce`. Rows whose weights are all zero contribute nothing; mean over
 * contributing rows (0 when none). Float64 on the host, analytic gradient.
 *
 * @param scores `[Q, C]` float32 similarities
 * @param grades `[Q, C]` int32 grades (< 0 excluded)
 * @returns a float32 scalar differentiable w.r.t. `scores` and a tensor `temperature`; inputs are not disposed
 */
export function softmaxCe(scores: tf.Tensor2D, grades: tf.Tensor2D, options: SoftmaxCeOptions): tf.Scalar {
  const g = hostGrades('softmaxCe', scores, grades);
  const weighting = options.targetWeighting ?? 'linear';
  if (weighting !== 'linear' && weighting !== 'exponential') throw new Error(`softmaxCe: unknown targetWeighting '${String(weighting)}'`);
  const [Q, C] = scores.shape;
  return hostLoss(scores, options.temperature, [], (z) => softmaxCePass(z, g, Q, C, weighting));
}

function softmaxCePass(z: Float64Array, g: ArrayLike<number>, Q: number, C: number, weighting: TargetWeighting): HostPass {
  // per entry: softmax probability minus target, for the rows that contribute
  const residual = new Float64Array(Q * C);
  let total = 0;
  let rows = 0;
  for (let q = 0; q < Q; q++) {
    const row = q * C;
    let weightSum = 0;
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      const gc = g[row + c]!;
      if (gc < 0) continue;
      weightSum += targetWeight(gc, weighting);
      if (!(z[row + c]! <= max)) max = z[row + c]!;
    }
    if (!(weightSum > 0)) continue;
    let sum = 0;
    for (let c = 0; c < C; c++) if (g[row + c]! >= 0) sum += Math.exp(z[row + c]! - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < C; c++) {
      const gc = g[row + c]!;
      if (gc < 0) continue;
      const t = targetWeight(gc, weighting) / weightSum;
      if (t > 0) total += t * (lse - z[row + c]!);
      residual[row + c] = Math.exp(z[row + c]! - lse) - t;
    }
    rows++;
  }
  return {
    loss: rows === 0 ? 0 : total / rows,
    gradients: () => ({ dLogits: rows === 0 ? residual : residual.map((r) => r / rows) }),
  };
}

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
