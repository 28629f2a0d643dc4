import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLossConformance } from '../../test/conformance/loss-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import infoNceDescriptor from './info-nce-loss.ts';

describeLossConformance(infoNceDescriptor);
describeLossConformance(infoNceDescriptor, { ctx: { positiveGrade: 4 } });

describe('info-nce plugin', () => {
  beforeAll(async () => {
    await useBackend();
  });

  const value = (params: Record<string, unknown>, positiveGrade: number) => {
    const loss = instantiate(infoNceDescriptor, { temperature: 0.1, ...params });
    // grades 4, 3, 0: with positiveGrade 4 the grade-3 entry is a negative, with 3 it is a positive
    const v = tf.tidy(() => loss.compute(tf.tensor2d([[0.9, 0.5, 0.1]]), tf.tensor2d([[4, 3, 0]], [1, 3], 'int32'), { positiveGrade }).dataSync()[0]!);
    loss.dispose();
    return v;
  };

  it("takes the positive grade from the label scheme's context unless its params override it", () => {
    const e = [0.9, 0.5, 0.1].map((s) => Math.exp(s / 0.1));
    const asNegative = -Math.log(e[0]! / (e[0]! + e[1]! + e[2]!));
    const asPositive = (-Math.log(e[0]! / (e[0]! + e[2]!)) - Math.log(e[1]! / (e[1]! + e[2]!))) / 2;
    expect(value({}, 4)).toBeCloseTo(asNegative, 4);
    expect(value({}, 3)).toBeCloseTo(asPositive, 4);
    expect(value({ positiveGrade: 4 }, 3)).toBeCloseTo(asNegative, 4);
  });
});
