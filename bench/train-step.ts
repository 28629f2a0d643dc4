import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PluginDescriptor } from '../src/core/plugin.ts';
import { Rng } from '../src/core/rng.ts';
import { TrainSettings } from '../src/config/trial-config.ts';
import type { LabelledList, TrainingSet } from '../src/extension-points/samples.ts';
import type { Encoder } from '../src/extension-points/encoder.ts';
import type { Loss } from '../src/extension-points/loss.ts';
import { train } from '../src/training/trainer.ts';
import hashMlp from '../plugins/encoder/hash-mlp-encoder.ts';
import transformer from '../plugins/encoder/transformer-encoder.ts';
import hInfoNceLoss from '../plugins/loss/h-info-nce-loss.ts';
import infoNceLoss from '../plugins/loss/info-nce-loss.ts';
import inBatch from '../plugins/sampler/in-batch-sampler.ts';
import { instantiate } from '../test/support/instantiate.ts';
import { checkNoLeak, median, type BenchContext, type Figure, type Measurement } from './common.ts';

/** The reference tower of the issue. */
export const REFERENCE_TOWER = { buckets: 2 ** 18, embDim: 64, hidden: [256], dim: 128 };
const BATCH_QUERIES = 256;
/** The transformer of experiments/encoder-comparison.yaml, timed on a smaller batch since its steps cost far more. */
export const TRANSFORMER_TOWER = { buckets: 2 ** 16, dim: 64, heads: 4, layers: 2, ffnDim: 128, maxLen: 32 };
const TRANSFORMER_BATCH_QUERIES = 32;
const CANDIDATES_PER_QUERY = 8;
const POSITIVE_GRADE = 4;
const EXPANDED_LOSS = new URL('../plugins/loss/info-nce-expanded-loss.ts', import.meta.url);

/**
 * A seeded training set whose texts reuse a pool of phrases, so hashed tokens and bigrams recur
 * the way they do in real captions: `items` texts and `queries` lists of 12 graded items (0..5).
 */
export function syntheticTrainingSet(queries: number, items: number, seed = 1): TrainingSet {
  const rng = new Rng(`bench:train-set:${seed}`);
  const vocab = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
  const phrases = Array.from({ length: 800 }, () => Array.from({ length: 2 + rng.int(3) }, () => vocab[Math.floor(vocab.length * rng.next() ** 2)]!).join(' '));
  const text = (parts: number) => Array.from({ length: parts }, () => (rng.bernoulli(0.6) ? rng.pick(phrases) : rng.pick(vocab))).join(' ');
  const texts = Array.from({ length: items }, () => text(4 + rng.int(4)));
  const gradesOfList = [5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 0];
  const lists: LabelledList[] = Array.from({ length: queries }, (_, q) => {
    const ids = new Set<number>();
    while (ids.size < gradesOfList.length) ids.add(rng.int(items));
    return { query: `${text(1 + rng.int(2))} q${q}`, itemIds: [...ids], grades: gradesOfList.slice() };
  });
  return { items: { texts, corpusSize: items }, lists, originCounts: {}, gradeCounts: {} };
}

/** Multiply-add flops of one training step's matMuls (forward + both backward products). */
export function stepMatMulFlops(rows: number, queries: number, candidates: number, tower = REFERENCE_TOWER): number {
  const widths = [tower.embDim, ...tower.hidden, tower.dim];
  let perRow = 0;
  for (let i = 0; i + 1 < widths.length; i++) perRow += 2 * widths[i]! * widths[i + 1]!;
  const scores = 2 * queries * candidates * tower.dim;
  // each product is repeated twice backward: once for each operand's gradient
  return 3 * (rows * perRow + scores);
}

interface StepRun {
  msPerStep: number;
  computeMs: number;
  candidates: number;
  phases: Record<string, number>;
}

interface TowerUnderTest {
  encoder: PluginDescriptor<never, Encoder>;
  params: Record<string, unknown>;
  batchQueries: number;
}
const REFERENCE: TowerUnderTest = { encoder: hashMlp as unknown as PluginDescriptor<never, Encoder>, params: REFERENCE_TOWER, batchQueries: BATCH_QUERIES };

async function timeLoss(descriptor: PluginDescriptor<never, Loss>, data: TrainingSet, steps: number, warmup: number, tower = REFERENCE): Promise<StepRun> {
  const before = tf.memory().numTensors;
  const encoder = instantiate(tower.encoder, tower.params);
  const loss = instantiate(descriptor as PluginDescriptor<never, Loss>, {});
  const sampler = instantiate(inBatch, { candidatesPerQuery: CANDIDATES_PER_QUERY });
  try {
    await sampler.init(data, { batchQueries: tower.batchQueries });
    let candidates = 0;
    const common = { encoder, loss, sampler, items: data.items, lossContext: { positiveGrade: POSITIVE_GRADE } };
    // warm-up: first touches of table rows, kernel set-up, JIT
    await train({ ...common, settings: TrainSettings.parse({ steps: warmup, batchQueries: tower.batchQueries, logEvery: 1000 }) });
    const stepMs: number[] = [];
    const result = await train({
      ...common,
      settings: TrainSettings.parse({ steps, batchQueries: tower.batchQueries, logEvery: 1000 }),
      onStep: async (step, stats) => {
        stepMs.push(stats.ms);
        if (step === 0) candidates = (await sampler.next(0)).itemIds.length;
      },
    });
    return { msPerStep: median(stepMs), computeMs: result.timing.phases.compute, candidates, phases: result.timing.phases };
  } finally {
    encoder.dispose();
    loss.dispose?.();
    checkNoLeak(before, 'train step');
  }
}

/** Loads the expanded InfoNCE plugin when the file exists; its absence is reported, not fatal. */
async function expandedLoss(): Promise<PluginDescriptor<never, Loss> | undefined> {
  if (!existsSync(fileURLToPath(EXPANDED_LOSS))) return undefined;
  const mod = (await import(EXPANDED_LOSS.href)) as { default: PluginDescriptor<never, Loss> };
  return mod.default;
}

export const trainStep: Measurement = {
  name: 'train',
  needsPeak: true,
  async run(ctx: BenchContext): Promise<Figure[]> {
    const steps = ctx.quick ? 6 : 15;
    const warmup = ctx.quick ? 2 : 3;
    const data = syntheticTrainingSet(ctx.quick ? 1024 : 4096, ctx.quick ? 20_000 : 50_000);
    const losses: Array<[string, PluginDescriptor<never, Loss> | undefined]> = [
      ['info-nce', infoNceLoss as unknown as PluginDescriptor<never, Loss>],
      ['h-info-nce', hInfoNceLoss as unknown as PluginDescriptor<never, Loss>],
      ['info-nce-expanded', await expandedLoss()],
    ];
    const figures: Figure[] = [];
    const runs: Record<string, StepRun> = {};
    for (const [name, descriptor] of losses) {
      if (!descriptor) {
        figures.push({ id: `train.${name}.msPerStep`, label: `train step, ${name}`, value: Number.NaN, unit: 'ms', note: 'skipped: plugins/loss/info-nce-expanded-loss.ts is absent' });
        continue;
      }
      const run = (runs[name] = await timeLoss(descriptor, data, steps, warmup));
      const shape = `Q ${BATCH_QUERIES} x C ${run.candidates}`;
      figures.push({ id: `train.${name}.msPerStep`, label: `train step, ${name} (${shape})`, value: run.msPerStep, unit: 'ms', target: { op: '<=', value: 40 }, note: `median of ${steps}; phases ms sample ${run.phases.sample!.toFixed(1)} prepare ${run.phases.prepare!.toFixed(1)} fwd+bwd ${run.phases.compute!.toFixed(1)} update ${run.phases.update!.toFixed(1)}` });
      const flops = stepMatMulFlops(BATCH_QUERIES + run.candidates, BATCH_QUERIES, run.candidates);
      const gflops = flops / (run.msPerStep * 1e6);
      figures.push({ id: `train.${name}.matmulGflops`, label: `  step matMuls, ${name}`, value: gflops, unit: 'GFLOP/s', note: `${(flops / 1e9).toFixed(2)} GFLOP per step over the whole step` });
      if (ctx.peakGflops) figures.push({ id: `train.${name}.fractionOfPeak`, label: `  step matMuls / peak, ${name}`, value: gflops / ctx.peakGflops, unit: 'fraction', relativeTo: 'matmul.peakGflops' });
    }
    const t = await timeLoss(hInfoNceLoss as unknown as PluginDescriptor<never, Loss>, data, ctx.quick ? 3 : 6, 1, {
      encoder: transformer as unknown as PluginDescriptor<never, Encoder>,
      params: TRANSFORMER_TOWER,
      batchQueries: TRANSFORMER_BATCH_QUERIES,
    });
    figures.push({
      id: 'train.transformer.msPerStep',
      label: `train step, transformer + h-info-nce (Q ${TRANSFORMER_BATCH_QUERIES} x C ${t.candidates})`,
      value: t.msPerStep,
      unit: 'ms',
      note: `median of ${ctx.quick ? 3 : 6}; phases ms prepare ${t.phases.prepare!.toFixed(1)} fwd+bwd ${t.phases.compute!.toFixed(1)} update ${t.phases.update!.toFixed(1)}`,
    });
    const ratio = (a: string, b: string) => (runs[a] && runs[b] ? runs[a].msPerStep / runs[b].msPerStep : Number.NaN);
    figures.push({ id: 'train.ratio.hInfoNceOverInfoNce', label: 'step time h-info-nce / info-nce', value: ratio('h-info-nce', 'info-nce'), unit: 'x', relativeTo: 'train.info-nce.msPerStep', target: { op: '<=', value: 1.2 } });
    figures.push({
      id: 'train.ratio.expandedOverHInfoNce',
      label: 'step time info-nce-expanded / h-info-nce',
      value: ratio('info-nce-expanded', 'h-info-nce'),
      unit: 'x',
      relativeTo: 'train.h-info-nce.msPerStep',
      ...(runs['info-nce-expanded'] ? {} : { note: 'skipped: expanded loss absent' }),
    });
    return figures;
  },
};
