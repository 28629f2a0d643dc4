import type * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { TemperatureLoss, temperatureSchema } from '../../kits/loss/temperature-loss.ts';
import type { HInfoNceOptions } from './h-info-nce-loss.ts';
import { hostGrades, hostLoss, type HostPass } from '../../kits/loss/host-loss.ts';

/** How the lower-graded candidates of one positive are split into InfoNCE examples. */
export type LowerGrades = 'each' | 'pooled';

/** Options of {@link infoNceExpanded}. */
export interface InfoNceExpandedOptions extends HInfoNceOptions {
  /** 'each' (default): one example per lower grade; 'pooled': one example against all lower grades */
  lowerGrades?: LowerGrades;
}

/**
 * The paper's Table 4 "InfoNCE", in our reading: each positive is expanded into plain InfoNCE
 * examples against the grades below it. With `lowerGrades: 'each'` a candidate i gets one example
 * per lower grade t present in its row, `-log( e_i / (e_i + Σ_{k: l_k = t} e_k) )`, so every tier is
 * a separate softmax and a positive never competes with two tiers at once: this is what differs from
 * H-InfoNCE, and what the paper's doubled training time suggests (more examples). With `'pooled'`
 * the one example holds every lower grade, `-log( e_i / (e_i + Σ_{k: 0 <= l_k < l_i} e_k) )`, which
 * is H-InfoNCE's value computed the expanded O(P·C) way. `e = exp(s / τ)`; grade < 0 excludes an
 * entry; mean over the examples (0 when none). Float64 on the host, analytic gradient.
 *
 * @param scores `[Q, C]` float32 similarities
 * @param grades `[Q, C]` int32 grades
 * @returns a float32 scalar differentiable w.r.t. `scores` and a tensor `temperature`; inputs are not disposed
 */
export function infoNceExpanded(scores: tf.Tensor2D, grades: tf.Tensor2D, options: InfoNceExpandedOptions): tf.Scalar {
  const g = hostGrades('infoNceExpanded', scores, grades);
  const [Q, C] = scores.shape;
  const pass = (options.lowerGrades ?? 'each') === 'each' ? perGradePass : expandedPass;
  return hostLoss(scores, options.temperature, [], (z) => pass(z, g, Q, C));
}

/**
 * One example per (positive, lower grade). Per row, the log-sum-exp T_t of each grade's logits is
 * computed once, so an example's normaliser is logaddexp(z_i, T_t): O(C + P·G) instead of a pass
 * over the row per example, and the gradient of a tier member is exp(z_k - T_t) times the summed
 * weight exp(T_t - L) of the examples that used its tier.
 */
function perGradePass(z: Float64Array, g: ArrayLike<number>, Q: number, C: number): HostPass {
  const rows: Array<{ row: number; grades: number[]; tierLse: Map<number, number>; examples: Array<{ i: number; t: number; lse: number }> }> = [];
  let total = 0;
  let terms = 0;
  for (let q = 0; q < Q; q++) {
    const row = q * C;
    const max = new Map<number, number>();
    for (let k = 0; k < C; k++) {
      const gk = g[row + k]!;
      if (gk < 0) continue;
      const m = max.get(gk);
      if (m === undefined || z[row + k]! > m) max.set(gk, z[row + k]!);
    }
    const sums = new Map<number, number>();
    for (let k = 0; k < C; k++) {
      const gk = g[row + k]!;
      if (gk >= 0) sums.set(gk, (sums.get(gk) ?? 0) + Math.exp(z[row + k]! - max.get(gk)!));
    }
    const tierLse = new Map<number, number>();
    for (const [t, sum] of sums) tierLse.set(t, max.get(t)! + Math.log(sum));
    const grades = [...tierLse.keys()].sort((a, b) => a - b);
    const examples: Array<{ i: number; t: number; lse: number }> = [];
    for (let i = 0; i < C; i++) {
      const gi = g[row + i]!;
      if (gi < 0) continue;
      const zi = z[row + i]!;
      for (const t of grades) {
        if (t >= gi) break;
        const T = tierLse.get(t)!;
        const hi = Math.max(zi, T);
        const lse = hi + Math.log(Math.exp(zi - hi) + Math.exp(T - hi));
        total += lse - zi;
        terms++;
        examples.push({ i, t, lse });
      }
    }
    rows.push({ row, grades, tierLse, examples });
  }
  return {
    loss: terms === 0 ? 0 : total / terms,
    gradients: () => {
      const dz = new Float64Array(Q * C);
      if (terms === 0) return { dLogits: dz };
      const w = 1 / terms;
      for (const { row, tierLse, examples } of rows) {
        // the summed weight each tier receives from the examples that used it
        const tierWeight = new Map<number, number>();
        for (const { i, t, lse } of examples) {
          dz[row + i]! += w * (Math.exp(z[row + i]! - lse) - 1);
          tierWeight.set(t, (tierWeight.get(t) ?? 0) + w * Math.exp(tierLse.get(t)! - lse));
        }
        for (let k = 0; k < C; k++) {
          const weight = tierWeight.get(g[row + k]!);
          if (weight !== undefined) dz[row + k]! += weight * Math.exp(z[row + k]! - tierLse.get(g[row + k]!)!);
        }
      }
      return { dLogits: dz };
    },
  };
}

/** One example per positive against all its lower grades: one masked softmax row each, O(P·C). */
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

const schema = temperatureSchema({
  lowerGrades: z
    .enum(['each', 'pooled'])
    .default('each')
    .describe("'each': one InfoNCE example per positive and lower grade, against that grade's candidates only (our reading of the paper's Table 4 InfoNCE); 'pooled': one example against every lower grade, which equals h-info-nce's value at the expanded cost"),
});
type Params = z.output<typeof schema>;

/**
 * The paper's Table 4 "InfoNCE": each candidate with lower-graded candidates in its row is expanded
 * into plain InfoNCE examples, by default one per lower grade (see {@link infoNceExpanded}), so the
 * loss comparison on the CroPS data has a row that differs from `h-info-nce`. Owns a learnable
 * temperature (log τ, clamped).
 */
@injectable()
export class InfoNceExpandedLoss extends TemperatureLoss {
  private readonly lowerGrades: LowerGrades;

  constructor(@inject(PluginParams) params: Params) {
    super(params);
    this.lowerGrades = params.lowerGrades;
  }

  protected computeWith(scores: tf.Tensor2D, grades: tf.Tensor2D, tau: tf.Scalar, _ctx: LossContext): tf.Scalar {
    return infoNceExpanded(scores, grades, { temperature: tau, lowerGrades: this.lowerGrades });
  }
}

export default definePlugin({
  kind: 'loss',
  name: 'info-nce-expanded',
  summary: "Table 4's InfoNCE: each positive expanded into one example per lower grade (or, pooled, h-info-nce's value at the expanded cost)",
  schema,
  implementation: InfoNceExpandedLoss,
});
