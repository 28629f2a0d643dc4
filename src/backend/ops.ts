import * as tf from '@tensorflow/tfjs-core';

/**
 * Differentiable 2-D matrix products that only ever call the backend's plain, untransposed
 * `matMul`, transposing operands explicitly instead. On the wasm backend a transposed product
 * leaves the XNNPACK fast path and runs 20-70x slower, and tfjs's own matMul gradient uses
 * transposed products, so this is what keeps a training step on wasm fast. Other backends lose
 * nothing measurable (a transpose is one memory pass).
 */

function plain(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  if (transposeA && !transposeB) {
    // aᵀ·b = (bᵀ·a)ᵀ: transpose whichever operands are smaller (e.g. for weight gradients)
    const [k, m] = a.shape;
    const n = b.shape[1];
    if (k * n + m * n < k * m) return tf.transpose(tf.matMul(tf.transpose(b), a)) as tf.Tensor2D;
  }
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/** Column sums of `g` `[n, m]` as a product with a row of ones: no transpose, unlike `tf.sum(g, 0)` on wasm. */
function columnSums(g: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, g.shape[0]]), g), [g.shape[1]]);
}

/** `op(a) · op(b)` where `op` transposes when asked; same result as `tf.matMul`, faster gradients on wasm. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  const f = tf.customGrad((...args: unknown[]) => {
    const [xa, yb, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
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
  const f = tf.customGrad((...args: unknown[]) => {
    const [xi, wi, bi, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const y = tf.fused.matMul({ a: xi, b: wi, bias: bi, activation }) as tf.Tensor2D;
    save([xi, wi, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw, sy] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const g = activation === 'relu' ? (tf.mul(dy, tf.step(sy)) as tf.Tensor2D) : (dy as tf.Tensor2D);
        return [plain(g, sw, false, true), plain(sx, g, true, false), columnSums(g)];
      },
    };
  });
  return f(x, w, b) as tf.Tensor2D;
}
