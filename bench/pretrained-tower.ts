import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TrainSettings } from '../src/config/trial-config.ts';
import type { Encoder } from '../src/extension-points/encoder.ts';
import type { Loss } from '../src/extension-points/loss.ts';
import type { LabelledList, TrainingSet } from '../src/extension-points/samples.ts';
import { train } from '../src/training/trainer.ts';
import hfBert from '../plugins/encoder/hf-bert-encoder.ts';
import infoNceLoss from '../plugins/loss/info-nce-loss.ts';
import inBatch from '../plugins/sampler/in-batch-sampler.ts';
import { instantiate } from '../test/support/instantiate.ts';
import { checkNoLeak, median, type BenchContext, type Figure, type Measurement } from './common.ts';

const MODEL = join(process.env.CROPS_MODELS_DIR ?? join(homedir(), '.cache', 'crops-lab', 'models'), 'all-MiniLM-L6-v2');
const ITEM_TOKENS = 256;
const BATCH = 32;
/** The timed training step, the 32 x 32: 32 queries of 16 tokens, each with 1 own item of 64 tokens (32 candidates). */
const TRAIN = { queries: 32, queryTokens: 16, itemsPerQuery: 1, itemTokens: 64, steps: 3 };

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

/** Queries each with their own items (grade 1), texts of fixed token counts: every batch has the same shape. */
function fixedLengthTrainingSet(): TrainingSet {
  const { queries, queryTokens, itemsPerQuery, itemTokens } = TRAIN;
  const texts = Array.from({ length: queries * itemsPerQuery }, (_, i) => textOf(itemTokens, i));
  const lists: LabelledList[] = Array.from({ length: queries }, (_, q) => ({
    query: textOf(queryTokens, q),
    itemIds: Array.from({ length: itemsPerQuery }, (_, k) => q * itemsPerQuery + k),
    grades: Array.from({ length: itemsPerQuery }, () => 1),
  }));
  return { items: { texts, corpusSize: texts.length }, lists, originCounts: {}, gradeCounts: {} };
}

/** Median wall time of a MiniLM training step (InfoNCE, in-batch candidates) after one warm-up step. */
async function timeTrainStep(): Promise<{ ms: number; flops: number }> {
  const before = tf.memory().numTensors;
  const data = fixedLengthTrainingSet();
  const encoder = instantiate<Encoder>(hfBert, { model: MODEL, maxQueryLength: TRAIN.queryTokens, maxItemLength: TRAIN.itemTokens, dropout: 0 });
  const loss = instantiate<Loss>(infoNceLoss, {});
  const sampler = instantiate(inBatch, { candidatesPerQuery: TRAIN.itemsPerQuery });
  try {
    await sampler.init(data, { batchQueries: TRAIN.queries });
    const common = { encoder, loss, sampler, items: data.items, lossContext: { positiveGrade: 1 } };
    await train({ ...common, settings: TrainSettings.parse({ steps: 1, batchQueries: TRAIN.queries, logEvery: 1000 }) });
    const ms: number[] = [];
    await train({ ...common, settings: TrainSettings.parse({ steps: TRAIN.steps, batchQueries: TRAIN.queries, logEvery: 1000 }), onStep: (_, stats) => void ms.push(stats.ms) });
    const items = TRAIN.queries * TRAIN.itemsPerQuery;
    // forward, and the two products per forward product backward
    const flops = 3 * (bertForwardFlops(TRAIN.queries, TRAIN.queryTokens) + bertForwardFlops(items, TRAIN.itemTokens));
    return { ms: median(ms), flops };
  } finally {
    encoder.dispose();
    loss.dispose?.();
    checkNoLeak(before, 'MiniLM train step');
  }
}

/**
 * all-MiniLM-L6-v2 on the active backend: documents encoded per second at 256 tokens (a batch of
 * 32) and a training step (32 queries of 16 tokens, 32 items of 64 tokens, InfoNCE), each also as a
 * fraction of the measured matMul peak (flops counted analytically). The step is not timed on
 * wasm, where it aborts once the items are 64 tokens or longer (see docs/scifact.md). Opt-in: it
 * needs the model (test/support/fetch-minilm.sh) and takes minutes.
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
    const figures: Figure[] = [
      { id: 'pretrained.minilm.encodeDocsPerSecond', label: `all-MiniLM-L6-v2 encode, ${ITEM_TOKENS} tokens, batch ${BATCH}`, value: (BATCH * 1000) / encodeMs, unit: 'docs/s', note: `${gflops.toFixed(2)} GFLOP/s` },
      {
        id: 'pretrained.minilm.encodeFractionOfPeak',
        label: 'all-MiniLM-L6-v2 encode, fraction of matMul peak',
        value: gflops / ctx.peakGflops!,
        unit: 'ratio',
        relativeTo: 'matmul.peakGflops',
        ...(ctx.backend === 'tensorflow' ? { target: { op: '>=' as const, value: 0.5 } } : {}),
      },
    ];
    const shape = `${TRAIN.queries} queries x ${TRAIN.queryTokens} tokens, ${TRAIN.queries * TRAIN.itemsPerQuery} items x ${TRAIN.itemTokens} tokens`;
    if (ctx.backend === 'wasm') {
      figures.push({ id: 'pretrained.minilm.trainStepMs', label: `all-MiniLM-L6-v2 train step (${shape})`, value: Number.NaN, unit: 'ms', note: 'skipped on wasm: the step aborts once items are 64 tokens or longer' });
      return figures;
    }
    const step = await timeTrainStep();
    const stepGflops = step.flops / step.ms / 1e6;
    figures.push(
      { id: 'pretrained.minilm.trainStepMs', label: `all-MiniLM-L6-v2 train step (${shape})`, value: step.ms, unit: 'ms', note: `median of ${TRAIN.steps}, InfoNCE; ${(step.flops / 1e9).toFixed(0)} GFLOP, ${stepGflops.toFixed(2)} GFLOP/s` },
      { id: 'pretrained.minilm.trainFractionOfPeak', label: 'all-MiniLM-L6-v2 train step, fraction of matMul peak', value: stepGflops / ctx.peakGflops!, unit: 'ratio', relativeTo: 'matmul.peakGflops' },
    );
    return figures;
  },
};
