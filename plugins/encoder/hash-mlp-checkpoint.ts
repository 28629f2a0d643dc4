import type { CheckpointSpec } from '../../kits/encoder/tower-checkpoint.ts';

/**
 * How `hash-mlp` towers are saved (see `src/training/tower-checkpoint.ts` for the layout):
 * `hash-mlp.json` plus per saved side its table rows and `<side>.mlp.f32`, the MLP weights.
 */

/** Params that decide what a text maps to; a checkpoint only loads into an encoder that agrees on them. */
export interface StructuralParams {
  buckets: number;
  embDim: number;
  hidden: number[];
  dim: number;
  bigrams: boolean;
  hashSeed: number;
}

export function hashMlpCheckpoint(p: StructuralParams): CheckpointSpec {
  return {
    encoder: 'hash-mlp',
    format: 'crops-hash-mlp/1',
    weights: 'mlp',
    structural: { buckets: p.buckets, embDim: p.embDim, hidden: [...p.hidden], dim: p.dim, bigrams: p.bigrams, hashSeed: p.hashSeed },
  };
}
