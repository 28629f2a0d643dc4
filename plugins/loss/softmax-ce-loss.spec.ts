import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import softmaxCeDescriptor from './softmax-ce-loss.ts';

describeLossConformance(softmaxCeDescriptor);
describeLossConformance(softmaxCeDescriptor, { params: { targetWeighting: 'exponential', learnTemperature: false } });

describe('softmax-ce plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  const value = (params: Record<string, unknown>) => {
    const loss = instantiate(softmaxCeDescriptor, { temperature: 1, ...params });
    const v = tf.tidy(() => loss.compute(tf.tensor2d([[0.9, 0.5, 0.1]]), tf.tensor2d([[2, 1, 0]], [1, 3], 'int32'), { positiveGrade: 1 }).dataSync()[0]!);
    loss.dispose();
    return v;
  };

  it('weights targets by grade as configured', () => {
    const lse = Math.log(Math.exp(0.9) + Math.exp(0.5) + Math.exp(0.1));
    // linear targets 2/3, 1/3; exponential (2^g - 1) targets 3/4, 1/4
    expect(value({})).toBeCloseTo((2 / 3) * (lse - 0.9) + (1 / 3) * (lse - 0.5), 5);
    expect(value({ targetWeighting: 'exponential' })).toBeCloseTo((3 / 4) * (lse - 0.9) + (1 / 4) * (lse - 0.5), 5);
  });

  it('rejects an unknown weighting and a start temperature outside its range', () => {
    expect(softmaxCeDescriptor.schema.safeParse({ targetWeighting: 'cubic' }).success).toBe(false);
    expect(softmaxCeDescriptor.schema.safeParse({ temperature: 2 }).success).toBe(false);
  });
});
