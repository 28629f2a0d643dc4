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
/**
 * A model folder holding this file has random weights of the real model's shapes (bench/gpu makes
 * one where the real weights cannot travel): the times are the real model's, the embeddings are not.
 */
export const RANDOM_WEIGHTS_MARKER = 'RANDOM_WEIGHTS';
const RANDOM_WEIGHTS_NOTE = "random weights of the model's shapes";
const BATCH = 32;
interface TrainShape {
  queries: number;
  queryTokens: number;
  itemsPerQuery: number;
  itemTokens: number;
  steps: number;
}
/** The timed training step, the 32 x 32: 32 queries of 16 tokens, each with 1 own item of 64 tokens (32 candidates). */
const TRAIN: TrainShape = { queries: 32, queryTokens: 16, itemsPerQuery: 1, itemTokens: 64, steps: 3 };
/**
 * The same step with items of 32 tokens: the largest that also runs on wasm, so every backend has
 * one step time on a common shape (the GPU figure is compared with wasm on this one).
 */
const TRAIN_SHORT: TrainShape = { ...TRAIN, itemTokens: 32 };

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
function fixedLengthTrainingSet(shape: TrainShape): TrainingSet {
  const { queries, queryTokens, itemsPerQuery, itemTokens } = shape;
  const texts = Array.from({ length: queries * itemsPerQuery }, (_, i) => textOf(itemTokens, i));
  const lists: LabelledList[] = Array.from({ length: queries }, (_, q) => ({
    query: textOf(queryTokens, q),
    itemIds: Array.from({ length: itemsPerQuery }, (_, k) => q * itemsPerQuery + k),
    grades: Array.from({ length: itemsPerQuery }, () => 1),
  }));
  return { items: { texts, corpusSize: texts.length }, lists, originCounts: {}, gradeCounts: {} };
}

/** Median wall time of a MiniLM training step (InfoNCE, in-batch candidates) after one warm-up step. */
async function timeTrainStep(shape: TrainShape): Promise<{ ms: number; flops: number; phases: Record<string, number> }> {
  const before = tf.memory().numTensors;
  const data = fixedLengthTrainingSet(shape);
  const encoder = instantiate<Encoder>(hfBert, { model: MODEL, maxQueryLength: shape.queryTokens, maxItemLength: shape.itemTokens, dropout: 0 });
  const loss = instantiate<Loss>(infoNceLoss, {});
  const sampler = instantiate(inBatch, { candidatesPerQuery: shape.itemsPerQuery });
  try {
    await sampler.init(data, { batchQueries: shape.queries });
    const common = { encoder, loss, sampler, items: data.items, lossContext: { positiveGrade: 1 } };
    await train({ ...common, settings: TrainSettings.parse({ steps: 1, batchQueries: shape.queries, logEvery: 1000 }) });
    const ms: number[] = [];
    const timed = await train({ ...common, settings: TrainSettings.parse({ steps: shape.steps, batchQueries: shape.queries, logEvery: 1000 }), onStep: (_, stats) => void ms.push(stats.ms) });
    const items = shape.queries * shape.itemsPerQuery;
    // forward, and the two products per forward product backward
    const flops = 3 * (bertForwardFlops(shape.queries, shape.queryTokens) + bertForwardFlops(items, shape.itemTokens));
    return { ms: median(ms), flops, phases: timed.timing.phases };
  } finally {
    encoder.dispose();
    loss.dispose?.();
    checkNoLeak(before, 'MiniLM train step');
  }
}

/**
 * all-MiniLM-L6-v2 on the active backend: documents encoded per second at 256 tokens (a batch of
 * 32) and a training step (32 queries of 16 tokens, 32 items of 64 tokens, InfoNCE; and the same
 * with items of 32 tokens), each also as a fraction of the measured matMul peak (flops counted
 * analytically). The 64-token step is not timed on wasm, where it aborts once the items are 64
 * tokens or longer (see docs/scifact.md). Opt-in: it
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
    for (const [key, shape] of [['trainStep', TRAIN], ['trainStepShort', TRAIN_SHORT]] as const) {
      const label = `all-MiniLM-L6-v2 train step (${shape.queries} queries x ${shape.queryTokens} tokens, ${shape.queries * shape.itemsPerQuery} items x ${shape.itemTokens} tokens)`;
      if (ctx.backend === 'wasm' && shape.itemTokens >= 64) {
        figures.push({ id: `pretrained.minilm.${key}Ms`, label, value: Number.NaN, unit: 'ms', note: 'skipped on wasm: the step aborts once items are 64 tokens or longer' });
        continue;
      }
      const step = await timeTrainStep(shape);
      const stepGflops = step.flops / step.ms / 1e6;
      const { sample, prepare, compute, update } = step.phases;
      const phases = `phases ms: sample ${sample.toFixed(1)}, host prep ${prepare.toFixed(1)}, fwd+bwd ${compute.toFixed(1)}, update ${update.toFixed(1)}`;
      figures.push(
        { id: `pretrained.minilm.${key}Ms`, label, value: step.ms, unit: 'ms', note: `median of ${shape.steps}, InfoNCE; ${(step.flops / 1e9).toFixed(0)} GFLOP, ${stepGflops.toFixed(2)} GFLOP/s; ${phases}` },
        { id: `pretrained.minilm.${key}FractionOfPeak`, label: `${label}, fraction of matMul peak`, value: stepGflops / ctx.peakGflops!, unit: 'ratio', relativeTo: 'matmul.peakGflops' },
      );
    }
    if (existsSync(join(MODEL, RANDOM_WEIGHTS_MARKER))) for (const f of figures) if (Number.isFinite(f.value)) f.note = [f.note, RANDOM_WEIGHTS_NOTE].filter(Boolean).join('; ');
    return figures;
  },
};
