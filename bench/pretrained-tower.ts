import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Encoder } from '../src/extension-points/encoder.ts';
import hfBert from '../plugins/encoder/hf-bert-encoder.ts';
import { instantiate } from '../test/support/instantiate.ts';
import type { BenchContext, Figure, Measurement } from './common.ts';

const MODEL = join(process.env.CROPS_MODELS_DIR ?? join(homedir(), '.cache', 'crops-lab', 'models'), 'all-MiniLM-L6-v2');
const ITEM_TOKENS = 256;
const BATCH = 32;

/** A text of exactly `tokens` MiniLM word pieces with [CLS] and [SEP] (one piece per common word). */
const textOf = (tokens: number, seed: number) => Array.from({ length: tokens - 2 }, (_, i) => ['protein', 'binding', 'cell', 'growth', 'factor', 'signal'][(i + seed) % 6]).join(' ');

/**
 * Forward multiply-add flops of a BERT (hidden H, intermediate I, layers N) on `texts` texts of
 * `L` tokens: per token and layer the four attention projections and the two feed-forward
 * products, plus the L x L score and context products.
 */
export function bertForwardFlops(texts: number, L: number, H = 384, I = 1536, N = 6): number {
  return N * texts * (L * 2 * (4 * H * H + 2 * H * I) + 2 * 2 * L * L * H);
}

/**
 * all-MiniLM-L6-v2 on the active backend: documents encoded per second at 256 tokens (a batch of
 * 32), also as a fraction of the measured matMul peak (flops counted analytically). A training
 * step at 32 x 32 is not timed: on wasm it aborts once the items are 64 tokens or longer (see
 * docs/scifact.md). Opt-in: it needs the model (test/support/fetch-minilm.sh) and takes minutes.
 */
export const pretrainedTower: Measurement = {
  name: 'pretrained-tower',
  needsPeak: true,
  optIn: true,
  async run(ctx: BenchContext): Promise<Figure[]> {
    if (!existsSync(join(MODEL, 'model.safetensors'))) throw new Error(`${MODEL} not found: run test/support/fetch-minilm.sh first`);
    const encoder = instantiate<Encoder>(hfBert, { model: MODEL, maxItemLength: ITEM_TOKENS, encodeBatch: BATCH });
    const items = Array.from({ length: BATCH }, (_, i) => textOf(ITEM_TOKENS, i));
    await encoder.encode(items.slice(0, 2), 'item');
    const t0 = performance.now();
    await encoder.encode(items, 'item');
    const encodeMs = performance.now() - t0;
    encoder.dispose();
    const gflops = bertForwardFlops(BATCH, ITEM_TOKENS) / encodeMs / 1e6;
    return [
      { id: 'pretrained.minilm.encodeDocsPerSecond', label: `all-MiniLM-L6-v2 encode, ${ITEM_TOKENS} tokens, batch ${BATCH}`, value: (BATCH * 1000) / encodeMs, unit: 'docs/s', note: `${gflops.toFixed(2)} GFLOP/s` },
      { id: 'pretrained.minilm.encodeFractionOfPeak', label: 'all-MiniLM-L6-v2 encode, fraction of matMul peak', value: gflops / ctx.peakGflops!, unit: 'ratio', relativeTo: 'matmul.peakGflops' },
    ];
  },
};
