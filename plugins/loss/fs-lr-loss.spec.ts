import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import fsLrDescriptor from './fs-lr-loss.ts';

describeLossConformance(fsLrDescriptor);
describeLossConformance(fsLrDescriptor, { params: { learnTemperature: false, temperature: 0.2 } });

describe('fs-lr plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('computes the pairwise logistic loss at its temperature and needs graded labels', () => {
    const loss = instantiate(fsLrDescriptor, { temperature: 0.5 });
    const v = tf.tidy(() => loss.compute(tf.tensor2d([[0.4, 0.5, 0.1]]), tf.tensor2d([[2, 1, 0]], [1, 3], 'int32'), { positiveGrade: 1 }).dataSync()[0]!);
    const pair = (hi: number, lo: number) => Math.log(1 + Math.exp(-(hi - lo) / 0.5));
    expect(v).toBeCloseTo((pair(0.4, 0.5) + pair(0.4, 0.1) + pair(0.5, 0.1)) / 3, 5);
    expect(loss.variables()).toHaveLength(1);
    expect(loss.stats().temperature).toBeCloseTo(0.5, 6);
    loss.dispose();
    expect(fsLrDescriptor.requires?.map((r) => r.trait)).toEqual(['graded-labels']);
  });
});
