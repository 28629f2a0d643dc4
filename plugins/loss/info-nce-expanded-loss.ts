import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { TemperatureLoss, temperatureSchema } from '../../kits/loss/temperature-loss.ts';
import type { HInfoNceOptions } from './h-info-nce-loss.ts';
import { hostGrades, hostLoss, type HostPass } from '../../kits/loss/host-loss.ts';

/**
 * The paper's Table 4 "InfoNCE": every candidate i with at least one strictly lower-graded candidate
 * in its row becomes its own InfoNCE example, `-log( e_i / (e_i + Σ_{k: 0 <= l_k < l_i} e_k) )`
 * with `e = exp(s / τ)`; grade < 0 excludes an entry; mean over the examples (0 when none).
 *
 * The value equals `hInfoNce`; the cost does not. It is computed the expanded way, one masked
 * softmax row over all C candidates per example (a `[P, C]` pass, O(P·C) where `hInfoNce` is
 * O(Q·C + Q·G²)), so a benchmark sees what the expansion costs. Float64 on the host, analytic
 * gradient.
 *
 * @param scores `[Q, C]` float32 similarities
 * @param grades `[Q, C]` int32 grades
 * @returns a float32 scalar differentiable w.r.t. `scores` and a tensor `temperature`; inputs are not disposed
 */
export function infoNceExpanded(scores: tf.Tensor2D, grades: tf.Tensor2D, options: HInfoNceOptions): tf.Scalar {
  const g = hostGrades('infoNceExpanded', scores, grades);
  const [Q, C] = scores.shape;
  return hostLoss(scores, options.temperature, [], (z) => expandedPass(z, g, Q, C));
}

function expandedPass(z: Float64Array, g: ArrayLike<number>, Q: number, C: number): HostPass {
  // the examples: flat index of the positive and the log-sum-exp of its masked row
  const positive: number[] = [];
  const lse: number[] = [];
  let total = 0;
  for (let q = 0; q < Q; q++) {
    const row = q * C;
    for (let i = 0; i < C; i++) {
      const gi = g[row + i]!;
      if (gi < 0) continue;
      // one row of the [P, C] mask: the positive itself and every lower-graded candidate
      let max = z[row + i]!;
      let lower = 0;
      for (let k = 0; k < C; k++) {
        const gk = g[row + k]!;
        if (gk >= 0 && gk < gi) {
          lower++;
          if (!(z[row + k]! <= max)) max = z[row + k]!;
        }
      }
      if (lower === 0) continue;
      let sum = Math.exp(z[row + i]! - max);
      for (let k = 0; k < C; k++) {
        const gk = g[row + k]!;
        if (gk >= 0 && gk < gi) sum += Math.exp(z[row + k]! - max);
      }
      const l = max + Math.log(sum);
      total += l - z[row + i]!;
      positive.push(row + i);
      lse.push(l);
    }
  }
  const terms = positive.length;
  return {
    loss: terms === 0 ? 0 : total / terms,
    gradients: () => {
      const dz = new Float64Array(Q * C);
      if (terms === 0) return { dLogits: dz };
      const w = 1 / terms;
      // each example's softmax mass goes to its members, minus one at its own positive
      for (let t = 0; t < terms; t++) {
        const p = positive[t]!;
        const row = p - (p % C);
        const gi = g[p]!;
        dz[p]! += w * (Math.exp(z[p]! - lse[t]!) - 1);
        for (let k = 0; k < C; k++) {
          const gk = g[row + k]!;
          if (gk >= 0 && gk < gi) dz[row + k]! += w * Math.exp(z[row + k]! - lse[t]!);
        }
      }
      return { dLogits: dz };
    },
  };
}

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
