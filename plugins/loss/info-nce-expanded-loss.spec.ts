import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { randomLossCase } from '../../test/support/loss-check.ts';
import { useBackend } from '../../test/support/tf.ts';
import expandedDescriptor from './info-nce-expanded-loss.ts';
import hInfoNceDescriptor from './h-info-nce-loss.ts';

describeLossConformance(expandedDescriptor);

describe('info-nce-expanded plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('gives the same value as the h-info-nce plugin at the same temperature', () => {
    const c = randomLossCase(2);
    const value = (loss: { compute: (s: tf.Tensor2D, g: tf.Tensor2D, ctx: { positiveGrade: number }) => tf.Scalar; dispose(): void }) => {
      const v = tf.tidy(() => loss.compute(tf.tensor2d(c.scores, [c.Q, c.C]), tf.tensor2d(c.grades, [c.Q, c.C], 'int32'), { positiveGrade: 1 }).dataSync()[0]!);
      loss.dispose();
      return v;
    };
    const expanded = value(instantiate(expandedDescriptor, { temperature: 0.07 }));
    expect(expanded).toBeGreaterThan(0);
    expect(expanded).toBeCloseTo(value(instantiate(hInfoNceDescriptor, { temperature: 0.07 })), 5);
  });

  it('has a learnable temperature unless fixed', () => {
    const learn = instantiate(expandedDescriptor, { temperature: 0.07 });
    expect(learn.variables()).toHaveLength(1);
    expect(learn.stats().temperature).toBeCloseTo(0.07, 6);
    learn.dispose();
    const fixed = instantiate(expandedDescriptor, { learnTemperature: false });
    expect(fixed.variables()).toHaveLength(0);
    fixed.dispose();
  });
});
