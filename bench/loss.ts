import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/core/rng.ts';
import { hInfoNce } from '../plugins/loss/h-info-nce-loss.ts';
import { infoNce } from '../plugins/loss/info-nce-loss.ts';
import { checkNoLeak, median, timeRuns, uniform, type BenchContext, type Figure, type Measurement } from './common.ts';

const Q = 256;
const C = 2304;
const OWN = 9;

/** The paper's O(Q·C²) masked form: row i of a [C, C] mask keeps column i and the strictly lower grades. */
export function hInfoNceBruteForce(scores: tf.Tensor2D, grades: tf.Tensor2D, temperature: tf.Scalar): tf.Scalar {
  return tf.tidy(() => {
    const [q, c] = scores.shape;
    const z = tf.div(scores, temperature);
    const gi = tf.reshape(grades, [q, c, 1]);
    const gk = tf.reshape(grades, [q, 1, c]);
    const below = tf.logicalAnd(tf.logicalAnd(tf.less(gk, gi), tf.greaterEqual(gk, 0)), tf.greaterEqual(gi, 0));
    const allowed = tf.cast(tf.logicalOr(below, tf.cast(tf.reshape(tf.eye(c), [1, c, c]), 'bool')), 'float32');
    const masked = tf.add(tf.mul(tf.reshape(z, [q, 1, c]), allowed), tf.mul(tf.sub(1, allowed), -1e30));
    const logSoftmaxDiag = tf.sub(z, tf.logSumExp(masked, 2));
    const contributes = tf.cast(tf.any(below, 2), 'float32');
    return tf.div(tf.neg(tf.sum(tf.mul(logSoftmaxDiag, contributes))), tf.maximum(tf.sum(contributes), 1)) as tf.Scalar;
  });
}

/** An in-batch-like grade matrix: each row has OWN graded candidates (5..1), a few excluded, the rest 0. */
function grades(rows: number, cols: number, rng: Rng): Int32Array {
  const g = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < OWN; j++) g[r * cols + ((r * OWN + j) % cols)] = Math.max(1, 5 - Math.floor(j / 2));
    for (let j = 0; j < 3; j++) g[r * cols + rng.int(cols)] = -1;
  }
  return g;
}

type LossFn = (s: tf.Tensor2D, g: tf.Tensor2D, t: tf.Scalar) => tf.Scalar;

/** Median ms of value and gradients (w.r.t. scores and temperature) of `fn` on a `[rows, C]` block. */
async function forwardBackward(fn: LossFn, rows: number, runs: number, warmup = 1): Promise<number> {
  const before = tf.memory().numTensors;
  const rng = new Rng(`bench:loss:${rows}`);
  const s = tf.tensor2d(uniform(rows * C, rng), [rows, C]);
  const g = tf.tensor2d(grades(rows, C, rng), [rows, C], 'int32');
  const t = tf.scalar(0.05);
  try {
    const times = await timeRuns(
      () => {
        const { value, grads } = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) => fn(x as tf.Tensor2D, g, y as tf.Scalar))([s, t]);
        value.dataSync();
        grads[0]!.dataSync();
        tf.dispose([value, ...grads]);
      },
      runs,
      warmup,
    );
    return median(times);
  } finally {
    tf.dispose([s, g, t]);
    checkNoLeak(before, 'loss forward+backward');
  }
}

export const lossAlone: Measurement = {
  name: 'loss',
  needsPeak: false,
  async run(ctx: BenchContext): Promise<Figure[]> {
    const runs = ctx.quick ? 3 : 7;
    const shape = `[${Q}, ${C}]`;
    const info = await forwardBackward((s, g, t) => infoNce(s, g, { temperature: t, positiveGrade: 4 }), Q, runs);
    const hier = await forwardBackward((s, g, t) => hInfoNce(s, g, { temperature: t }), Q, runs);
    // the masked form holds rows·C² floats per intermediate and takes seconds per row: time a few
    // rows once, without warm-up (start-up costs are negligible at that scale), and scale linearly
    const bruteRows = ctx.quick ? 1 : 2;
    const bruteBlock = await forwardBackward(hInfoNceBruteForce, bruteRows, 1, 0);
    const brute = (bruteBlock * Q) / bruteRows;
    return [
      { id: 'loss.infoNce.ms', label: `info-nce fwd+bwd ${shape}`, value: info, unit: 'ms', note: `median of ${runs}` },
      { id: 'loss.hInfoNce.ms', label: `h-info-nce fwd+bwd ${shape}`, value: hier, unit: 'ms', note: `median of ${runs}` },
      { id: 'loss.bruteForce.ms', label: `brute-force O(C²) masked fwd+bwd ${shape}`, value: brute, unit: 'ms', note: `${bruteBlock.toFixed(0)} ms for ${bruteRows} rows x ${Q / bruteRows} (rows are independent)` },
      { id: 'loss.ratio.hInfoNceOverInfoNce', label: 'h-info-nce / info-nce', value: hier / info, unit: 'x', relativeTo: 'loss.infoNce.ms' },
      { id: 'loss.ratio.bruteForceOverHInfoNce', label: 'brute-force / h-info-nce', value: brute / hier, unit: 'x', relativeTo: 'loss.hInfoNce.ms' },
    ];
  },
};
