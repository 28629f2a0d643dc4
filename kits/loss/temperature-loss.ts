import type * as tf from '@tensorflow/tfjs-core';
import { injectable } from 'inversify';
import { z } from 'zod';
import type { Loss, LossContext } from '../../src/extension-points/loss.ts';
import { LearnableTemperature, temperatureParams, temperatureRangeIsValid, type TemperatureParams } from './temperature.ts';

/** A strict params schema with the temperature params plus `extra`, and the range check on τ. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export function temperatureSchema<E extends z.ZodRawShape = {}>(extra: E = {} as E) {
  return z
    .object({ ...temperatureParams, ...extra })
    .strict()
    .refine((p) => temperatureRangeIsValid(p as TemperatureParams), { message: 'temperature must lie within [minTemperature, maxTemperature]', path: ['temperature'] });
}

/**
 * Base of the loss plugins that own a learnable temperature: it holds log τ, passes the clamped τ
 * to `computeWith` and disposes it after, and reports τ per step. Subclasses add only their formula
 * (and any further variables or stats).
 */
@injectable()
export abstract class TemperatureLoss implements Loss {
  protected readonly temperature: LearnableTemperature;

  constructor(params: TemperatureParams) {
    this.temperature = new LearnableTemperature(params);
  }

  protected abstract computeWith(scores: tf.Tensor2D, grades: tf.Tensor2D, tau: tf.Scalar, ctx: LossContext): tf.Scalar;

  compute(scores: tf.Tensor2D, grades: tf.Tensor2D, ctx: LossContext): tf.Scalar {
    const tau = this.temperature.value();
    try {
      return this.computeWith(scores, grades, tau, ctx);
    } finally {
      tau.dispose();
    }
  }

  variables(): tf.Variable[] {
    return this.temperature.variables();
  }

  stats(): Record<string, number> {
    return { temperature: this.temperature.current() };
  }

  dispose(): void {
    this.temperature.dispose();
  }
}
