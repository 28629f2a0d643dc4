import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import hInfoNceDescriptor, { type HInfoNceLoss } from './h-info-nce-loss.ts';

describeLossConformance(hInfoNceDescriptor);
describeLossConformance(hInfoNceDescriptor, { params: { learnTemperature: false, temperature: 0.1 } });

describe('h-info-nce plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('starts at the configured temperature and reports it', () => {
    const loss = instantiate(hInfoNceDescriptor, { temperature: 0.07 });
    expect(loss.stats().temperature).toBeCloseTo(0.07, 6);
    expect(loss.variables()).toHaveLength(1);
    loss.dispose();
  });

  it('has no trainable variable when the temperature is fixed', () => {
    const loss: HInfoNceLoss = instantiate(hInfoNceDescriptor, { learnTemperature: false });
    expect(loss.variables()).toHaveLength(0);
    loss.dispose();
  });

  it('clamps the temperature into [minTemperature, maxTemperature] in the forward pass', () => {
    const loss = instantiate(hInfoNceDescriptor, { temperature: 0.05 });
    // push log τ far below the lower clamp; the forward pass must use τ = 0.01
    loss.variables()[0]!.assign(tf.scalar(Math.log(1e-4)));
    expect(loss.stats().temperature).toBeCloseTo(0.01, 8);
    const value = tf.tidy(() => loss.compute(tf.tensor2d([[0.5, 0.4]]), tf.tensor2d([[1, 0]], [1, 2], 'int32'), { positiveGrade: 1 }).dataSync()[0]!);
    expect(value).toBeCloseTo(Math.log(1 + Math.exp(-0.1 / 0.01)), 5);
    loss.dispose();
  });

  it('rejects a start temperature outside its clamp range', () => {
    expect(hInfoNceDescriptor.schema.safeParse({ temperature: 2 }).success).toBe(false);
    expect(hInfoNceDescriptor.schema.safeParse({ temperature: -0.1 }).success).toBe(false);
  });
});
