import * as tf from '@tensorflow/tfjs-core';

/**
 * Differentiable 2-D matrix products that only ever call the backend's plain, untransposed
 * `matMul`, transposing operands explicitly instead. On the wasm backend a transposed product
 * leaves the XNNPACK fast path and runs 20-70x slower, and tfjs's own matMul gradient uses
 * transposed products, so this is what keeps a training step on wasm fast. Other backends lose
 * nothing measurable (a transpose is one memory pass).
 */

function plain(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/** `op(a) · op(b)` where `op` transposes when asked; same result as `tf.matMul`, faster gradients on wasm. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  const f = tf.customGrad((x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => {
    const xa = x as tf.Tensor2D;
    const yb = y as tf.Tensor2D;
    save([xa, yb]);
    return {
      value: plain(xa, yb, transposeA, transposeB),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
        const g = dy as tf.Tensor2D;
        if (!transposeA && !transposeB) return [plain(g, sb, false, true), plain(sa, g, true, false)];
        if (!transposeA && transposeB) return [plain(g, sb, false, false), plain(g, sa, true, false)];
        if (transposeA && !transposeB) return [plain(sb, g, false, true), plain(sa, g, false, false)];
        return [plain(sb, g, true, true), plain(g, sa, true, true)];
      },
    };
  });
  return f(a, b) as tf.Tensor2D;
}

/**
 * `activation(x · w + b)` for a row-major batch `x` `[n, in]`, `w` `[in, out]`, `b` `[out]`: one fused
 * kernel forward, untransposed products backward.
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: 'relu' | 'linear'): tf.Tensor2D {
  const f = tf.customGrad((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = tf.fused.matMul({ a: xi as tf.Tensor2D, b: wi as tf.Tensor2D, bias: bi, activation }) as tf.Tensor2D;
    save([xi, wi, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw, sy] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const g = activation === 'relu' ? (tf.mul(dy, tf.step(sy)) as tf.Tensor2D) : (dy as tf.Tensor2D);
        return [plain(g, sw, false, true), plain(sx, g, true, false), tf.sum(g, 0)];
      },
    };
  });
  return f(x, w, b) as tf.Tensor2D;
}
