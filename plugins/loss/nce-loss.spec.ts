import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import nceDescriptor from './nce-loss.ts';

describeLossConformance(nceDescriptor);
describeLossConformance(nceDescriptor, { params: { learnBias: false, bias: -1 }, ctx: { positiveGrade: 3 } });

describe('nce plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  const value = (params: Record<string, unknown>, positiveGrade: number) => {
    const loss = instantiate(nceDescriptor, { temperature: 1, ...params });
    const v = tf.tidy(() => loss.compute(tf.tensor2d([[0.9, 0.5, 0.1]]), tf.tensor2d([[4, 3, 0]], [1, 3], 'int32'), { positiveGrade }).dataSync()[0]!);
    loss.dispose();
    return v;
  };
  const sp = (x: number) => Math.log(1 + Math.exp(x));

  it("splits at the label scheme's positive grade unless its params override it, and applies the bias", () => {
    expect(value({}, 4)).toBeCloseTo(sp(-0.9) + (sp(0.5) + sp(0.1)) / 2, 5);
    expect(value({}, 3)).toBeCloseTo((sp(-0.9) + sp(-0.5)) / 2 + sp(0.1), 5);
    expect(value({ positiveGrade: 4 }, 3)).toBeCloseTo(sp(-0.9) + (sp(0.5) + sp(0.1)) / 2, 5);
    expect(value({ bias: 0.5 }, 4)).toBeCloseTo(sp(-1.4) + (sp(1) + sp(0.6)) / 2, 5);
  });

  it('trains temperature and bias unless fixed, and reports both', () => {
    const both = instantiate(nceDescriptor, { bias: 0.25 });
    expect(both.variables()).toHaveLength(2);
    expect(both.stats()).toEqual({ temperature: expect.closeTo(0.05, 6), bias: 0.25 });
    both.dispose();
    const none = instantiate(nceDescriptor, { learnBias: false, learnTemperature: false });
    expect(none.variables()).toHaveLength(0);
    none.dispose();
  });
});
