import * as tf from '@tensorflow/tfjs-core';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginParams } from '../../src/core/services.ts';
import type { LossContext } from '../../src/extension-points/loss.ts';
import { TemperatureLoss, temperatureSchema } from '../../kits/loss/temperature-loss.ts';

/** Options shared by the contrastive losses of this folder. */
export interface HInfoNceOptions {
  /** softmax temperature τ > 0; a `tf.Scalar` (e.g. a learnable one) receives a gradient */
  temperature: number | tf.Scalar;
}

/** Grades above this are renumbered densely (order kept) so per-row grade arrays stay small. */
const MAX_DIRECT_GRADE = 63;

/**
 * Hierarchical InfoNCE (CroPS, Eq. 3). For each query row and each candidate i with grade l_i >= 0:
 * `-log( e_i / (e_i + Σ_{k: 0 <= l_k < l_i} e_k) )`, `e = exp(s / τ)`. A candidate is a positive only
 * against strictly lower grades; equal or higher grades are left out of its denominator; a candidate
 * with nothing below it contributes nothing; grade < 0 excludes the entry. The result is the mean
 * over contributing terms of the whole batch (0 when none contribute).
 *
 * Exact, in O(Q·C + Q·G²) for G grades instead of the O(Q·C²) mask: per row, the candidates' exp are
 * summed per grade, each grade's log-mass below it is an exclusive running log-sum-exp over the
 * lower grades, and every candidate reads its denominator off its own grade. Each grade group is
 * shifted by its own maximum, so nothing under- or overflows even at τ = 0.01. The pass runs on the
 * host in float64 with an analytic gradient (`tf.customGrad`): it needs one `exp` per entry, where
 * the same algorithm in tensor ops spent most of a training step in one-hot and transcendental kernels.
 *
 * @param scores `[Q, C]` float32 similarities
 * @param grades `[Q, C]` int32 grades
 * @returns a float32 scalar differentiable w.r.t. `scores` and a tensor `temperature`; inputs are not disposed
 */
export function hInfoNce(scores: tf.Tensor2D, grades: tf.Tensor2D, options: HInfoNceOptions): tf.Scalar {
  const [Q, C] = scores.shape;
  if (grades.shape[0] !== Q || grades.shape[1] !== C) {
    throw new Error(`hInfoNce: grades shape [${grades.shape}] does not match scores shape [${scores.shape}]`);
  }
  return hInfoNceOfHostGrades(scores, grades.dataSync() as Int32Array, options);
}

/**
 * {@link hInfoNce} with the grades already on the host (row-major `[Q, C]`), for callers that derive
 * them there; saves a round trip through the device.
 */
export function hInfoNceOfHostGrades(scores: tf.Tensor2D, grades: Int32Array, options: HInfoNceOptions): tf.Scalar {
  const [Q, C] = scores.shape;
  if (grades.length !== Q * C) throw new Error(`hInfoNce: ${grades.length} grades for scores of shape [${scores.shape}]`);
  const tauTensor = typeof options.temperature === 'number' ? undefined : options.temperature;
  const tau = tauTensor === undefined ? (options.temperature as number) : tauTensor.dataSync()[0]!;
  const pass = new HInfoNcePass(scores.dataSync() as Float32Array, denseGrades(grades), Q, C, tau);
  const f = tf.customGrad((...args: unknown[]) => {
    const inputs = args.slice(0, -1) as tf.Tensor[];
    return {
      value: tf.scalar(pass.loss),
      gradFunc: (dy: tf.Tensor) => {
        const { dScores, dTau } = pass.gradients();
        const gs = tf.mul(tf.tensor2d(dScores, [Q, C]), dy);
        return inputs.length === 2 ? [gs, tf.mul(tf.scalar(dTau), dy)] : [gs];
      },
    };
  });
  return (tauTensor === undefined ? f(scores) : f(scores, tauTensor)) as tf.Scalar;
}

/** Grades as given when small, else renumbered 0..G-1 in order (the loss only sees their order). */
function denseGrades(grades: Int32Array): { ids: Int32Array; count: number } {
  let max = -1;
  for (let i = 0; i < grades.length; i++) if (grades[i]! > max) max = grades[i]!;
  if (max <= MAX_DIRECT_GRADE) return { ids: grades, count: max + 1 };
  const distinct = [...new Set(grades)].filter((g) => g >= 0).sort((a, b) => a - b);
  const rank = new Map(distinct.map((g, i) => [g, i]));
  return { ids: grades.map((g) => (g >= 0 ? rank.get(g)! : -1)), count: distinct.length };
}

/** One forward evaluation, keeping what the analytic gradient needs. */
class HInfoNcePass {
  readonly loss: number;
  private readonly G: number;
  /** exp(z - max of own group) per entry; 0 for excluded entries */
  private readonly e: Float32Array;
  /** per row and grade: max z, log-mass of the strictly lower grades, Σ σ over contributing terms */
  private readonly groupMax: Float64Array;
  private readonly below: Float64Array;
  private readonly sigmaSum: Float64Array;
  /** the contributing entries and their σ(log-mass below - z) */
  private readonly termIndex: number[] = [];
  private readonly termSigma: number[] = [];

  constructor(
    private readonly s: Float32Array,
    private readonly grades: { ids: Int32Array; count: number },
    private readonly Q: number,
    private readonly C: number,
    private readonly tau: number,
  ) {
    const G = (this.G = Math.max(1, grades.count));
    const g = grades.ids;
    const invTau = 1 / tau;
    this.e = new Float32Array(Q * C);
    this.groupMax = new Float64Array(Q * G).fill(-Infinity);
    this.below = new Float64Array(Q * G).fill(-Infinity);
    this.sigmaSum = new Float64Array(Q * G);
    const mass = new Float64Array(G);
    let total = 0;
    for (let q = 0; q < Q; q++) {
      const row = q * C;
      const gRow = q * G;
      for (let c = 0; c < C; c++) {
        const l = g[row + c]!;
        if (l < 0) continue;
        const z = s[row + c]! * invTau;
        // `!(<=)` also lets a NaN through, so a broken score shows up in the loss
        if (!(z <= this.groupMax[gRow + l]!)) this.groupMax[gRow + l] = z;
      }
      mass.fill(0);
      for (let c = 0; c < C; c++) {
        const l = g[row + c]!;
        if (l < 0) continue;
        const e = Math.exp(s[row + c]! * invTau - this.groupMax[gRow + l]!);
        this.e[row + c] = e;
        mass[l]! += e;
      }
      // exclusive running log-sum-exp over grades: below[g] = log Σ_{k: l_k < g} exp(z_k)
      let run = -Infinity;
      for (let l = 0; l < G; l++) {
        this.below[gRow + l] = run;
        if (mass[l]! > 0) run = logAddExp(run, this.groupMax[gRow + l]! + Math.log(mass[l]!));
      }
      for (let c = 0; c < C; c++) {
        const l = g[row + c]!;
        if (l < 0 || this.below[gRow + l] === -Infinity) continue;
        // term = -log(e_i / (e_i + B_i)) = softplus(log B_i - z_i)
        const x = this.below[gRow + l]! - s[row + c]! * invTau;
        total += x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
        const sig = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
        this.termIndex.push(row + c);
        this.termSigma.push(sig);
        this.sigmaSum[gRow + l]! += sig;
      }
    }
    const terms = this.termIndex.length;
    this.loss = terms === 0 ? 0 : total / terms;
  }

  /** d loss / d scores (row-major) and d loss / d τ. */
  gradients(): { dScores: Float32Array; dTau: number } {
    const { Q, C, G, tau, s } = this;
    const g = this.grades.ids;
    // holds d loss / d z until the final rescaling to d loss / d s
    const dScores = new Float32Array(Q * C);
    const terms = this.termIndex.length;
    if (terms === 0) return { dScores, dTau: 0 };
    // weight[a] = Σ_{b > a} (Σ σ of grade-b terms) · exp(max_a - below_b): how much a unit of
    // exp(z - max_a) in grade a raises the loss through every higher grade's denominator
    const weight = new Float64Array(G);
    for (let q = 0; q < Q; q++) {
      const row = q * C;
      const gRow = q * G;
      for (let a = 0; a < G; a++) {
        let w = 0;
        const m = this.groupMax[gRow + a]!;
        if (m !== -Infinity) {
          for (let b = a + 1; b < G; b++) {
            const sig = this.sigmaSum[gRow + b]!;
            if (sig > 0) w += sig * Math.exp(m - this.below[gRow + b]!);
          }
        }
        weight[a] = w;
      }
      for (let c = 0; c < C; c++) {
        const l = g[row + c]!;
        if (l >= 0) dScores[row + c] = this.e[row + c]! * weight[l]!;
      }
    }
    // each term's own numerator: d softplus(below - z_i) / d z_i = -σ
    for (let t = 0; t < terms; t++) dScores[this.termIndex[t]!]! -= this.termSigma[t]!;
    const scale = 1 / (terms * tau);
    let dTau = 0;
    for (let i = 0; i < Q * C; i++) {
      const d = dScores[i]! * scale;
      dScores[i] = d;
      dTau -= (d * s[i]!) / tau;
    }
    return { dScores, dTau };
  }
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

const schema = temperatureSchema();
type Params = z.output<typeof schema>;

/**
 * Hierarchical InfoNCE (CroPS Eq. 3): every candidate is a positive against exactly the candidates
 * of strictly lower grade in its query's row, so a grade-5 reformulation positive is pushed above
 * grade-4 clicks, which are pushed above grade-3 impressions, and so on down to in-batch negatives.
 * With one grade-1 positive per query and grade 0 elsewhere it is plain InfoNCE. Owns a learnable
 * temperature (log τ, clamped). Mean over contributing terms; grade < 0 entries are ignored.
 * Compare `info-nce`, which collapses the grades to positive/negative at `positiveGrade`.
 */
@injectable()
export class HInfoNceLoss extends TemperatureLoss {
  constructor(@inject(PluginParams) params: Params) {
    super(params);
  }

  protected computeWith(scores: tf.Tensor2D, grades: tf.Tensor2D, tau: tf.Scalar, _ctx: LossContext): tf.Scalar {
    return hInfoNce(scores, grades, { temperature: tau });
  }
}

export default definePlugin({
  kind: 'loss',
  name: 'h-info-nce',
  summary: 'hierarchical InfoNCE: each candidate is a positive against strictly lower grades (CroPS Eq. 3)',
  schema,
  implementation: HInfoNceLoss,
  requires: [{ trait: 'graded-labels', because: 'it orders candidates by grade and needs a graded label scheme such as hla; with binary labels use info-nce' }],
});
