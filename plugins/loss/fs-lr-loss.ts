import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { TemperatureLoss, temperatureSchema } from '../../kits/loss/temperature-loss.ts';
import { hostGrades, hostLoss, type HostPass, type ScalarInput, sigmoid, softplus } from '../../kits/loss/host-loss.ts';

/** Options of {@link fsLr}. */
export interface FsLrOptions {
  /** scale τ > 0 of the score differences; a `tf.Scalar` (e.g. a learnable one) receives a gradient */
  temperature: ScalarInput;
}

/**
 * FS-LR's pairwise logistic loss (Full Stage Learning to Rank, WWW 2024): over every pair (i, j) of a
 * query row with `grade_i > grade_j >= 0`, `log(1 + exp(-(s_i - s_j) / τ))`; mean over all pairs of
 * the batch (0 when none). Grade < 0 excludes an entry; equal grades form no pair. Float64 on the
 * host, analytic gradient, O(C log C + pairs) per row.
 *
 * @param scores `[Q, C]` float32 similarities
 * @param grades `[Q, C]` int32 grades
 * @returns a float32 scalar differentiable w.r.t. `scores` and a tensor `temperature`; inputs are not disposed
 */
export function fsLr(scores: tf.Tensor2D, grades: tf.Tensor2D, options: FsLrOptions): tf.Scalar {
  const g = hostGrades('fsLr', scores, grades);
  const [Q, C] = scores.shape;
  return hostLoss(scores, options.temperature, [], (z) => fsLrPass(z, g, Q, C));
}

function fsLrPass(z: Float64Array, g: ArrayLike<number>, Q: number, C: number): HostPass {
  // accumulated eagerly: the pair loop is the whole cost, so one pass yields value and gradient
  const dz = new Float64Array(Q * C);
  const valid: number[] = [];
  let total = 0;
  let pairs = 0;
  for (let q = 0; q < Q; q++) {
    const row = q * C;
    valid.length = 0;
    for (let c = 0; c < C; c++) if (g[row + c]! >= 0) valid.push(row + c);
    // by grade, highest first: each entry pairs with the tail of strictly lower grades, and only with it
    valid.sort((a, b) => g[b]! - g[a]!);
    let lowerStart = 0;
    for (let a = 0; a < valid.length; a++) {
      const i = valid[a]!;
      const gi = g[i]!;
      if (lowerStart <= a) lowerStart = a + 1;
      while (lowerStart < valid.length && g[valid[lowerStart]!]! >= gi) lowerStart++;
      for (let b = lowerStart; b < valid.length; b++) {
        const j = valid[b]!;
        const x = z[j]! - z[i]!;
        total += softplus(x);
        const sig = sigmoid(x);
        dz[i]! -= sig;
        dz[j]! += sig;
        pairs++;
      }
    }
  }
  return {
    loss: pairs === 0 ? 0 : total / pairs,
    gradients: () => ({ dLogits: pairs === 0 ? dz : dz.map((d) => d / pairs) }),
  };
}

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
