import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PluginDescriptor } from '../src/core/plugin.ts';
import { Rng } from '../src/core/rng.ts';
import { TrainSettings } from '../src/config/trial-config.ts';
import type { LabelledList, TrainingSet } from '../src/extension-points/samples.ts';
import type { Encoder } from '../src/extension-points/encoder.ts';
import type { Loss } from '../src/extension-points/loss.ts';
import { SparseTable } from '../kits/encoder/sparse-table.ts';
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
export const BATCH_QUERIES = 256;
/** The transformer of experiments/encoder-comparison.yaml, timed on a smaller batch since its steps cost far more. */
export const TRANSFORMER_TOWER = { buckets: 2 ** 16, dim: 64, heads: 4, layers: 2, ffnDim: 128, maxLen: 32 };
const TRANSFORMER_BATCH_QUERIES = 32;
export const CANDIDATES_PER_QUERY = 8;
export const POSITIVE_GRADE = 4;
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
  /** mean ms per step: the trainer's phases, with the hash-mlp table's deferred sparse Adam update moved from `prepare` to `sparseUpdate` */
  phases: Record<string, number>;
}

/**
 * Times `SparseTable.flush` while `f` runs. The hash-mlp table applies a step's sparse Adam update
 * lazily, at the next read, so the trainer books it under `prepare`; the bench moves it to the update.
 */
async function timingTableFlushes<T>(f: () => Promise<T>): Promise<{ result: T; flushMs: number }> {
  const original = SparseTable.prototype.flush;
  let flushMs = 0;
  SparseTable.prototype.flush = function (this: SparseTable) {
    const t0 = performance.now();
    try {
      original.call(this);
    } finally {
      flushMs += performance.now() - t0;
    }
  };
  try {
    return { result: await f(), flushMs };
  } finally {
    SparseTable.prototype.flush = original;
  }
}

/** The share of a step spent preparing inputs on the host (drawing the batch, hashing, pooling, uploads). */
export function hostPrepFraction(phases: Record<string, number>): number {
  const total = Object.values(phases).reduce((a, b) => a + b, 0);
  return (phases.sample! + phases.prepare!) / total;
}

interface TowerUnderTest {
  encoder: PluginDescriptor<never, Encoder>;
  params: Record<string, unknown>;
  batchQueries: number;
}
const REFERENCE: TowerUnderTest = { encoder: hashMlp as unknown as PluginDescriptor<never, Encoder>, params: REFERENCE_TOWER, batchQueries: BATCH_QUERIES };

/** One loss's training set-up, timed in rounds that alternate with the other losses'. */
interface Rig {
  encoder: Encoder;
  loss: Loss;
  common: Omit<Parameters<typeof train>[0], 'settings' | 'onStep'>;
  tower: TowerUnderTest;
  candidates: number;
  stepMs: number[];
  /** summed over the timed rounds: the trainer's mean phase times times the round's steps */
  phaseSums: { sample: number; prepare: number; compute: number; update: number; sparseUpdate: number };
  steps: number;
}

async function setUp(descriptor: PluginDescriptor<never, Loss>, data: TrainingSet, warmup: number, tower = REFERENCE): Promise<Rig> {
  const encoder = instantiate(tower.encoder, tower.params);
  const loss = instantiate(descriptor as PluginDescriptor<never, Loss>, {});
  const sampler = instantiate(inBatch, { candidatesPerQuery: CANDIDATES_PER_QUERY });
  await sampler.init(data, { batchQueries: tower.batchQueries });
  const common = { encoder, loss, sampler, items: data.items, lossContext: { positiveGrade: POSITIVE_GRADE } };
  // warm-up: first touches of table rows, kernel set-up, JIT
  await train({ ...common, settings: TrainSettings.parse({ steps: warmup, batchQueries: tower.batchQueries, logEvery: 1000 }) });
  const candidates = (await sampler.next(0)).itemIds.length;
  return { encoder, loss, common, tower, candidates, stepMs: [], phaseSums: { sample: 0, prepare: 0, compute: 0, update: 0, sparseUpdate: 0 }, steps: 0 };
}

/** `steps` more timed steps of the rig's loss (a fresh `train` call: the trainer's own loop and phase timing). */
async function timeRound(rig: Rig, steps: number): Promise<void> {
  const { result, flushMs } = await timingTableFlushes(() =>
    train({
      ...rig.common,
      settings: TrainSettings.parse({ steps, batchQueries: rig.tower.batchQueries, logEvery: 1000 }),
      onStep: (_step, stats) => void rig.stepMs.push(stats.ms),
    }),
  );
  const p = result.timing.phases;
  const sums = rig.phaseSums;
  sums.sample += p.sample * steps;
  sums.prepare += p.prepare * steps - flushMs;
  sums.compute += p.compute * steps;
  sums.update += p.update * steps;
  sums.sparseUpdate += flushMs;
  rig.steps += steps;
}

function summary(rig: Rig): StepRun {
  const n = Math.max(1, rig.steps);
  const phases = Object.fromEntries(Object.entries(rig.phaseSums).map(([k, v]) => [k, v / n]));
  return { msPerStep: median(rig.stepMs), computeMs: rig.phaseSums.compute / n, candidates: rig.candidates, phases };
}

/**
 * Times each loss's steps in `rounds` rounds that alternate between the losses, so that a change
 * in the machine's load (it is shared) falls on all of them alike and their ratios stay fair.
 */
async function timeLosses(descriptors: Array<PluginDescriptor<never, Loss>>, data: TrainingSet, steps: number, warmup: number, rounds: number, tower = REFERENCE): Promise<StepRun[]> {
  const before = tf.memory().numTensors;
  const rigs: Rig[] = [];
  try {
    for (const d of descriptors) rigs.push(await setUp(d, data, warmup, tower));
    const perRound = Math.max(1, Math.round(steps / rounds));
    for (let r = 0; r < rounds; r++) for (const rig of rigs) await timeRound(rig, perRound);
  } finally {
    for (const rig of rigs) {
      rig.encoder.dispose();
      rig.loss.dispose?.();
    }
  }
  checkNoLeak(before, 'train step');
  return rigs.map(summary);
}

/** The phase split of a step, in mean ms. */
function phaseNote(p: Record<string, number>): string {
  const f = (v: number | undefined) => (v ?? 0).toFixed(1);
  return `phases ms: sample ${f(p.sample)}, host prep ${f(p.prepare)}, fwd+bwd ${f(p.compute)}, dense update ${f(p.update)}, sparse update ${f(p.sparseUpdate)}`;
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
    const present = losses.filter((l): l is [string, PluginDescriptor<never, Loss>] => l[1] !== undefined);
    // the expanded loss costs many times the others: alternated rounds for the two the ratio target compares
    const alternated = present.filter(([name]) => name !== 'info-nce-expanded');
    const measured = await timeLosses(alternated.map(([, d]) => d), data, steps, warmup, 3);
    alternated.forEach(([name], i) => (runs[name] = measured[i]!));
    for (const [name, d] of present) if (!runs[name]) runs[name] = (await timeLosses([d], data, steps, warmup, 1))[0]!;
    for (const [name, descriptor] of losses) {
      if (!descriptor) {
        figures.push({ id: `train.${name}.msPerStep`, label: `train step, ${name}`, value: Number.NaN, unit: 'ms', note: 'skipped: plugins/loss/info-nce-expanded-loss.ts is absent' });
        continue;
      }
      const run = runs[name]!;
      const rounds = name === 'info-nce-expanded' ? '' : ' in 3 rounds alternating with the other loss';
      const shape = `Q ${BATCH_QUERIES} x C ${run.candidates}`;
      figures.push({ id: `train.${name}.msPerStep`, label: `train step, ${name} (${shape})`, value: run.msPerStep, unit: 'ms', target: { op: '<=', value: 40 }, note: `median of ${steps}${rounds}; ${phaseNote(run.phases)}` });
      figures.push({ id: `train.${name}.hostPrepFraction`, label: `  host-side prep / step, ${name}`, value: hostPrepFraction(run.phases), unit: 'fraction', target: { op: '<=', value: 0.15 }, note: 'drawing the batch + hashing, pooling, uploads; mean phase times' });
      const flops = stepMatMulFlops(BATCH_QUERIES + run.candidates, BATCH_QUERIES, run.candidates);
      const gflops = flops / (run.msPerStep * 1e6);
      figures.push({ id: `train.${name}.matmulGflops`, label: `  step matMuls, ${name}`, value: gflops, unit: 'GFLOP/s', note: `${(flops / 1e9).toFixed(2)} GFLOP per step over the whole step` });
      if (ctx.peakGflops) figures.push({ id: `train.${name}.fractionOfPeak`, label: `  step matMuls / peak, ${name}`, value: gflops / ctx.peakGflops, unit: 'fraction', relativeTo: 'matmul.peakGflops' });
    }
    const [t] = await timeLosses([hInfoNceLoss as unknown as PluginDescriptor<never, Loss>], data, ctx.quick ? 3 : 6, 1, 1, {
      encoder: transformer as unknown as PluginDescriptor<never, Encoder>,
      params: TRANSFORMER_TOWER,
      batchQueries: TRANSFORMER_BATCH_QUERIES,
    });
    figures.push({
      id: 'train.transformer.msPerStep',
      label: `train step, transformer + h-info-nce (Q ${TRANSFORMER_BATCH_QUERIES} x C ${t!.candidates})`,
      value: t!.msPerStep,
      unit: 'ms',
      note: `median of ${ctx.quick ? 3 : 6}; ${phaseNote(t!.phases)}`,
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
