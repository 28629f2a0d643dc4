import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../test/support/tf.ts';
import { dense, matMul2d } from './ops.ts';

beforeAll(async () => {
  await useBackend();
});

function close(a: tf.Tensor, b: tf.Tensor) {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  x.forEach((v, i) => expect(v).toBeCloseTo(y[i]!, 4));
}

describe('matMul2d', () => {
  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('matches tf.matMul in value and gradients (transposeA %s, transposeB %s)', (ta, tb) => {
    tf.tidy(() => {
      const a = tf.randomNormal(ta ? [5, 3] : [3, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
      const b = tf.randomNormal(tb ? [4, 5] : [5, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
      const weights = tf.randomNormal([3, 4], 0, 1, 'float32', 3);
      const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMul2d(x as tf.Tensor2D, y as tf.Tensor2D, ta, tb), weights)));
      const theirs = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), weights)));
      close(matMul2d(a, b, ta, tb), tf.matMul(a, b, ta, tb));
      ours([a, b]).forEach((g, i) => close(g, theirs([a, b])[i]!));
    });
  });
});

describe('dense', () => {
  it.each(['relu', 'linear'] as const)('matches matMul + bias + %s in value and gradients', (activation) => {
    tf.tidy(() => {
      const x = tf.randomNormal([6, 3], 0, 1, 'float32', 4) as tf.Tensor2D;
      const w = tf.randomNormal([3, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
      const b = tf.randomNormal([4], 0, 1, 'float32', 6) as tf.Tensor1D;
      const ref = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => {
        const y = tf.add(tf.matMul(xi, wi), bi);
        return activation === 'relu' ? tf.relu(y) : y;
      };
      const weights = tf.randomNormal([6, 4], 0, 1, 'float32', 7);
      close(dense(x, w, b, activation), ref(x, w, b));
      const ours = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(dense(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D, activation), weights)))([x, w, b]);
      const theirs = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(ref(xi, wi, bi), weights)))([x, w, b]);
      ours.forEach((g, i) => close(g, theirs[i]!));
    });
  });
});
