import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

/** The temperature params every contrastive loss plugin accepts (spread into its schema). */
export const temperatureParams = {
  temperature: z.number().positive().default(0.05).describe('initial softmax temperature τ'),
  learnTemperature: z.boolean().default(true).describe('train τ (stored as log τ) with the dense weights'),
  minTemperature: z.number().positive().default(0.01).describe('lower clamp of τ in the forward pass'),
  maxTemperature: z.number().positive().default(1).describe('upper clamp of τ in the forward pass'),
};
export type TemperatureParams = { [K in keyof typeof temperatureParams]: z.output<(typeof temperatureParams)[K]> };

/** Refinement for a schema built from {@link temperatureParams}: the range must contain the start value. */
export function temperatureRangeIsValid(p: TemperatureParams): boolean {
  return p.minTemperature <= p.temperature && p.temperature <= p.maxTemperature;
}

/**
 * A softmax temperature held as log τ in a `tf.Variable` (so it stays positive under gradient steps)
 * and clamped to [minTemperature, maxTemperature] when read. The clamp stops the gradient at the
 * bounds, which keeps a runaway τ from collapsing the softmax.
 */
export class LearnableTemperature {
  private readonly logTau: tf.Variable;

  constructor(private readonly params: TemperatureParams) {
    if (!temperatureRangeIsValid(params)) {
      throw new Error(`temperature ${params.temperature} lies outside [${params.minTemperature}, ${params.maxTemperature}]`);
    }
    this.logTau = tf.tidy(() => tf.variable(tf.scalar(Math.log(params.temperature)), params.learnTemperature)) as tf.Variable;
  }

  /** τ as a scalar in the caller's scope (differentiable w.r.t. log τ when learnable). */
  value(): tf.Scalar {
    return tf.tidy(() => tf.clipByValue(tf.exp(this.logTau), this.params.minTemperature, this.params.maxTemperature) as tf.Scalar);
  }

  /** τ as a number, for logs. */
  current(): number {
    const tau = Math.exp(this.logTau.dataSync()[0]!);
    return Math.min(this.params.maxTemperature, Math.max(this.params.minTemperature, tau));
  }

  /** `[log τ]` when learnable, else nothing. */
  variables(): tf.Variable[] {
    return this.params.learnTemperature ? [this.logTau] : [];
  }

  dispose(): void {
    this.logTau.dispose();
  }
}
