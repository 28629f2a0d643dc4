import type { Batch, TrainingSet } from './samples.ts';

export const Sampler = Symbol.for('crops.Sampler');

export interface SamplerContext {
  batchQueries: number;
  /** optimisation steps of the run, for samplers whose behaviour changes by phase */
  steps?: number;
  /** the trial's encoder, for samplers that mine negatives with the current model */
  encode?: (texts: string[], side: 'query' | 'item') => Promise<Float32Array>;
}

/**
 * Turns a labelled training set into batches. Called once per trial with the full set; `next(step)`
 * is called for every step. Candidates that are not in a query's own list get grade 0 for it.
 * Must draw randomness only from the injected `TrialRng`.
 */
export interface Sampler {
  init(data: TrainingSet, ctx: SamplerContext): Promise<void>;
  next(step: number): Promise<Batch>;
  /** Optional: frees what the sampler holds (e.g. a mining index on the device) at the end of the trial. */
  dispose?(): void;
}
