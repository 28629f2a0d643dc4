import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TrainSettings } from '../src/config/trial-config.ts';
import type { Batch } from '../src/engine/samples.ts';
import type { Encoder } from '../src/extension-points/encoder.ts';
import type { Loss } from '../src/extension-points/loss.ts';
import type { Sampler } from '../src/extension-points/sampler.ts';
import { train } from '../src/training/trainer.ts';
import hfBert, { type HfBertEncoder } from '../plugins/encoder/hf-bert-encoder.ts';
import infoNce from '../plugins/loss/info-nce-loss.ts';
import { instantiate } from '../test/support/instantiate.ts';
import type { BenchContext, Figure, Measurement } from './common.ts';

const MODEL = join(process.env.CROPS_MODELS_DIR ?? join(homedir(), '.cache', 'crops-lab', 'models'), 'all-MiniLM-L6-v2');
const ITEM_TOKENS = 256;
const QUERY_TOKENS = 32;
/**
 * Item length of the timed training step. At 256 tokens a 32 x 32 step aborts on wasm: its
 * activations and gradients outgrow the 4 GB wasm address space, so the step is timed at 128.
 */
const TRAIN_ITEM_TOKENS = 128;
const BATCH = 32;

/** A text of exactly `tokens` MiniLM word pieces with [CLS] and [SEP] (one piece per common word). */
const textOf = (tokens: number, seed: number) => Array.from({ length: tokens - 2 }, (_, i) => ['protein', 'binding', 'cell', 'growth', 'factor', 'signal'][(i + seed) % 6]).join(' ');

/**
 * Forward multiply-add flops of a BERT (hidden H, intermediate I, layers N) on `texts` texts of
 * `L` tokens: per token and layer the four attention projections and the two feed-forward
 * products, plus the L x L score and context products.
 */
function forwardFlops(texts: number, L: number, H = 384, I = 1536, N = 6): number {
  return N * texts * (L * 2 * (4 * H * H + 2 * H * I) + 2 * 2 * L * L * H);
}

/**
 * all-MiniLM-L6-v2 on the active backend: documents encoded per second at 256 tokens and one
 * training step at 32 queries (32 tokens) x 32 items (128 tokens; see TRAIN_ITEM_TOKENS), each also as a fraction of the
 * measured matMul peak (flops counted analytically; a step is three forward passes' worth).
 * Opt-in: it needs the model (test/support/fetch-minilm.sh) and takes minutes on wasm.
 */
export const pretrainedTower: Measurement = {
  name: 'pretrained-tower',
  needsPeak: true,
  optIn: true,
  async run(ctx: BenchContext): Promise<Figure[]> {
    if (!existsSync(join(MODEL, 'model.safetensors'))) throw new Error(`${MODEL} not found: run test/support/fetch-minilm.sh first`);
    const peak = ctx.peakGflops!;
    const encoder = instantiate<Encoder>(hfBert, { model: MODEL, maxQueryLength: QUERY_TOKENS, maxItemLength: ITEM_TOKENS, encodeBatch: BATCH, dropout: 0 }) as HfBertEncoder;
    const items = Array.from({ length: BATCH }, (_, i) => textOf(ITEM_TOKENS, i));
    await encoder.encode(items.slice(0, 2), 'item');
    const t0 = performance.now();
    await encoder.encode(items, 'item');
    const encodeMs = performance.now() - t0;
    const docsPerSecond = (BATCH * 1000) / encodeMs;
    const encodeGflops = forwardFlops(BATCH, ITEM_TOKENS) / encodeMs / 1e6;

    console.log(`  encode: ${docsPerSecond.toFixed(2)} docs/s at ${ITEM_TOKENS} tokens (${encodeGflops.toFixed(2)} GFLOP/s)`);
    const trainItems = Array.from({ length: BATCH }, (_, i) => textOf(TRAIN_ITEM_TOKENS, i));
    const queries = Array.from({ length: BATCH }, (_, i) => textOf(QUERY_TOKENS - 1, i + 1) + ` q${i}`);
    const batch: Batch = { queries, itemIds: Int32Array.from(items.keys()), grades: Int32Array.from({ length: BATCH * BATCH }, (_, k) => (k % (BATCH + 1) === 0 ? 1 : 0)) };
    const sampler: Sampler = { init: async () => {}, next: async () => batch };
    const loss = instantiate<Loss>(infoNce, {});
    const settings = TrainSettings.parse({ steps: 1, batchQueries: BATCH, lr: 2e-5 });
    const result = await train({ encoder, loss, sampler, items: { texts: trainItems, corpusSize: BATCH }, settings, lossContext: { positiveGrade: 1 } });
    const stepGflops = (3 * (forwardFlops(BATCH, QUERY_TOKENS) + forwardFlops(BATCH, TRAIN_ITEM_TOKENS))) / result.msPerStep / 1e6;
    encoder.dispose();
    loss.dispose?.();
    return [
      { id: 'pretrained.minilm.encodeDocsPerSecond', label: `all-MiniLM-L6-v2 encode, ${ITEM_TOKENS} tokens, batch ${BATCH}`, value: docsPerSecond, unit: 'docs/s', note: `${encodeGflops.toFixed(2)} GFLOP/s` },
      { id: 'pretrained.minilm.encodeFractionOfPeak', label: 'all-MiniLM-L6-v2 encode, fraction of matMul peak', value: encodeGflops / peak, unit: 'ratio', relativeTo: 'matmul.peakGflops' },
      { id: 'pretrained.minilm.trainStepMs', label: `all-MiniLM-L6-v2 train step, ${BATCH} queries (${QUERY_TOKENS} tok) x ${BATCH} items (${TRAIN_ITEM_TOKENS} tok)`, value: result.msPerStep, unit: 'ms', note: `${stepGflops.toFixed(2)} GFLOP/s` },
      { id: 'pretrained.minilm.trainStepFractionOfPeak', label: 'all-MiniLM-L6-v2 train step, fraction of matMul peak', value: stepGflops / peak, unit: 'ratio', relativeTo: 'matmul.peakGflops' },
    ];
  },
};
