import type { CheckpointSpec } from '../../kits/encoder/tower-checkpoint.ts';

/**
 * How `transformer` towers are saved (see `src/training/tower-checkpoint.ts` for the layout):
 * `transformer.json` plus per saved side its token-table rows and `<side>.net.f32`, the weights of
 * the position table, blocks and projection.
 */

/** Params that decide what a text maps to; a checkpoint only loads into an encoder that agrees on them. */
export interface StructuralParams {
  buckets: number;
  dim: number;
  heads: number;
  layers: number;
  ffnDim: number;
  activation: 'gelu' | 'relu';
  maxLen: number;
  hashSeed: number;
}

export function transformerCheckpoint(p: StructuralParams): CheckpointSpec {
  const { buckets, dim, heads, layers, ffnDim, activation, maxLen, hashSeed } = p;
  return { encoder: 'transformer', format: 'crops-transformer/1', weights: 'net', structural: { buckets, dim, heads, layers, ffnDim, activation, maxLen, hashSeed } };
}
