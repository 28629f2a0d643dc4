import * as tf from '@tensorflow/tfjs-core';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { TrainSettings } from '../config/trial-config.ts';
import { TrialFailure } from '../core/errors.ts';
import type { ItemTexts, Batch } from '../extension-points/samples.ts';
import type { AdamSettings, Encoder, PreparedInput } from '../extension-points/encoder.ts';
import type { Loss, LossContext } from '../extension-points/loss.ts';
import type { Sampler } from '../extension-points/sampler.ts';
import { canReadSync } from '../backend/reads.ts';
import { AdamW, clipByGlobalNorm } from './adamw.ts';
import { BestWeights } from './best-weights.ts';
import { FrozenItemEmbeddings } from './frozen-items.ts';
import { cacheOnHost, gradsThroughHostLoss } from './host-loss-step.ts';
import { matMul2d } from '../backend/ops.ts';
import { learningRate } from './schedule.ts';

/** What one training run needs; the sampler must already be initialised with the training set. */
export interface TrainOptions {
  encoder: Encoder;
  loss: Loss;
  sampler: Sampler;
  /** texts the batches' item ids point into */
  items: ItemTexts;
  settings: TrainSettings;
  lossContext: LossContext;
  /**
   * called after every step (the curves keep the steps {@link isLogStep} selects and the last);
   * `last`: no step follows (the budget is spent or model selection stopped training)
   */
  onStep?: (step: number, stats: StepStats, last: boolean) => void | Promise<void>;
  /** aborting stops before the next step and rejects with the signal's reason */
  signal?: AbortSignal;
  /** model selection on a dev split; absent: train exactly `settings.steps` steps */
  selection?: SelectionOptions;
}

/**
 * Model selection: after every `every` steps (and after the last) `score` rates the current weights
 * on a dev split (higher is better). The encoder's weights at the best score are kept; training
 * stops once `patience` scores in a row failed to beat the best by more than `minDelta`, and the
 * best weights are restored before `train` returns.
 */
export interface SelectionOptions {
  every: number;
  patience: number;
  minDelta: number;
  /** dev score of the current weights after `stepsDone` steps */
  score(stepsDone: number): Promise<number>;
}

/** What model selection chose. Steps count optimisation steps done (1-based). */
export interface SelectionResult {
  /** the steps done when the restored weights were scored */
  bestStep: number;
  bestScore: number;
  /** steps actually run (less than `settings.steps` when stopped early) */
  stepsRun: number;
  stoppedEarly: boolean;
  /** every dev score, in order */
  curve: Array<{ step: number; value: number }>;
}

/** Per-step numbers: the loss, the learning rate, the step's wall time, and the loss's own stats. */
export interface StepStats {
  loss: number;
  lr: number;
  ms: number;
  [stat: string]: number;
}

/** Logged steps (0-based) and, per statistic, its value at those steps. */
export interface TrainCurves {
  step: number[];
  loss: number[];
  lr: number[];
  [stat: string]: number[];
}

export interface TrainTiming {
  steps: number;
  totalMs: number;
  msPerStep: number;
  /** mean ms per step spent drawing the batch, preparing inputs, in forward+backward, and updating */
  phases: { sample: number; prepare: number; compute: number; update: number };
}

export interface TrainResult {
  curves: TrainCurves;
  timing: TrainTiming;
  /** mean wall time of a step (same as `timing.msPerStep`) */
  msPerStep: number;
  finalLoss: number;
  /** present when `options.selection` was given */
  selection?: SelectionResult;
}

/** Whether 0-based `step` goes into the curves: every `logEvery` steps, plus the last. */
export function isLogStep(step: number, settings: Pick<TrainSettings, 'logEvery' | 'steps'>): boolean {
  return step % settings.logEvery === 0 || step === settings.steps - 1;
}

/**
 * Trains `encoder` (and the loss's own variables, e.g. its temperature) for `settings.steps` steps.
 *
 * Each step: draw a batch, `prepare` queries and candidate items, differentiate
 * `loss(q · dᵀ, grades)` with respect to the dense variables and to the prepared leaves, update the
 * dense variables with AdamW (optionally clipped by global norm) and hand the leaf gradients to
 * `encoder.applySparse`. From the first batch marked `frozen: 'item'` on, the encoder's item tower
 * is frozen and candidates are scored with cached fixed item embeddings, so only the query tower
 * (and the loss) learns. A non-finite loss aborts with a {@link TrialFailure}. Deterministic for a
 * deterministic sampler and encoder on a given backend; leaves no tensors behind.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { encoder, items, loss, sampler, settings, onStep, signal, selection } = options;
  const optimiser = new AdamW();
  const curves: TrainCurves = { step: [], loss: [], lr: [] };
  const phases = { sample: 0, prepare: 0, compute: 0, update: 0 };
  const started = performance.now();
  let finalLoss = Number.NaN;
  let frozenItems: FrozenItemEmbeddings | undefined;
  let stepsRun = 0;
  const best = selection ? new BestWeights(encoder) : undefined;
  const chosen: SelectionResult = { bestStep: 0, bestScore: Number.NaN, stepsRun: 0, stoppedEarly: false, curve: [] };
  let sinceBest = 0;
  try {
    for (let step = 0; step < settings.steps; step++) {
      signal?.throwIfAborted();
      const t0 = performance.now();
      const batch = await sampler.next(step);
      const t1 = performance.now();
      phases.sample += t1 - t0;
      if (batch.frozen === 'item') frozenItems ??= FrozenItemEmbeddings.freeze(encoder, items, step);
      const itemEmbeddings = frozenItems ? await frozenItems.lookup(batch.itemIds) : undefined;
      phases.prepare += performance.now() - t1;
      const lr = learningRate(step, settings);
      const adam: AdamSettings = { lr, beta1: settings.beta1, beta2: settings.beta2, epsilon: settings.epsilon, weightDecay: settings.weightDecay, step: step + 1 };
      const value = await runStep(step, batch, adam, phases, options, optimiser, itemEmbeddings);
      const stats: StepStats = { loss: value, lr, ms: performance.now() - t0, ...loss.stats() };
      finalLoss = value;
      stepsRun = step + 1;
      let stop = false;
      if (selection && best && (stepsRun % selection.every === 0 || stepsRun === settings.steps)) {
        const score = await selection.score(stepsRun);
        chosen.curve.push({ step: stepsRun, value: score });
        // the first finite score is the first best; a NaN score never improves
        const improved = Number.isFinite(score) && (Number.isNaN(chosen.bestScore) || score > chosen.bestScore + selection.minDelta);
        if (improved) {
          chosen.bestScore = score;
          chosen.bestStep = stepsRun;
          sinceBest = 0;
          await best.keep();
        } else if (++sinceBest >= selection.patience) {
          chosen.stoppedEarly = stepsRun < settings.steps;
          stop = true;
        }
      }
      const last = stop || stepsRun === settings.steps;
      // the curves end where training ended, also when selection stopped it early
      if (isLogStep(step, settings) || last) {
        for (const [key, v] of Object.entries(stats)) if (key !== 'ms') (curves[key] ??= []).push(v);
        curves.step.push(step);
      }
      await onStep?.(step, stats, last);
      if (stop) break;
      // let timers and signal handlers (Ctrl-C) run between steps
      await nextTurn();
    }
    if (best && chosen.bestStep > 0 && chosen.bestStep !== stepsRun) await best.restore();
  } finally {
    optimiser.dispose();
    best?.dispose();
  }
  const totalMs = performance.now() - started;
  const n = Math.max(1, stepsRun);
  return {
    curves,
    finalLoss,
    msPerStep: totalMs / n,
    ...(selection ? { selection: { ...chosen, stepsRun } } : {}),
    timing: {
      steps: stepsRun,
      totalMs,
      msPerStep: totalMs / n,
      phases: { sample: phases.sample / n, prepare: phases.prepare / n, compute: phases.compute / n, update: phases.update / n },
    },
  };
}

/** Forward, backward and update of one batch; returns the loss. `fixedItems`: frozen item embeddings. */
async function runStep(step: number, batch: Batch, adam: AdamSettings, phases: TrainTiming['phases'], options: TrainOptions, optimiser: AdamW, fixedItems?: Float32Array): Promise<number> {
  const { encoder, loss, items, lossContext, settings } = options;
  const Q = batch.queries.length;
  const C = batch.itemIds.length;
  checkBatch(step, batch, items);
  const t0 = performance.now();
  const inputs: PreparedInput[] = [];
  const owned: tf.Tensor[] = [];
  try {
    const qIn = encoder.prepare(batch.queries, 'query');
    inputs.push(qIn);
    const dIn = fixedItems ? undefined : encoder.prepareItems ? encoder.prepareItems(batch.itemIds, items) : encoder.prepare(Array.from(batch.itemIds, (id) => items.texts[id]!), 'item');
    if (dIn) inputs.push(dIn);
    const dFixed = fixedItems ? tf.tensor2d(fixedItems, [C, encoder.dim]) : undefined;
    if (dFixed) owned.push(dFixed);
    const grades = tf.tensor2d(batch.grades, [Q, C], 'int32');
    owned.push(grades);
    // temporary trainable views of the leaves, so the tape yields d(loss)/d(leaf)
    const qLeaves = qIn.leaves.map((l) => tf.variable(l, true));
    const dLeaves = (dIn?.leaves ?? []).map((l) => tf.variable(l, true));
    owned.push(...qLeaves, ...dLeaves);
    const dense = [...encoder.variables(), ...loss.variables()].filter((v) => v.trainable);
    const t1 = performance.now();
    phases.prepare += t1 - t0;

    const scoresOf = () => {
      const q = encoder.embed({ ...qIn, leaves: qLeaves });
      const d = dIn ? encoder.embed({ ...dIn, leaves: dLeaves }) : dFixed!;
      return matMul2d(q, d, false, true);
    };
    // host-side losses read their scores with dataSync; a backend that cannot (WebGPU) splits the step
    const syncReads = canReadSync();
    const lossVariables = new Set(loss.variables());
    const { value, grads } = syncReads
      ? tf.variableGrads(() => loss.compute(scoresOf(), grades, lossContext), [...dense, ...qLeaves, ...dLeaves])
      : await gradsThroughHostLoss(
          scoresOf,
          (scores) => loss.compute(scores, grades, lossContext),
          dense.filter((v) => lossVariables.has(v)),
          [...dense.filter((v) => !lossVariables.has(v)), ...qLeaves, ...dLeaves],
          [...qLeaves, ...dLeaves],
        );
    owned.push(value, ...Object.values(grads).filter((g): g is tf.Tensor => g != null));
    const lossValue = value.dataSync()[0]!;
    const t2 = performance.now();
    phases.compute += t2 - t1;
    if (!Number.isFinite(lossValue)) {
      let lossStats: Record<string, number> = {};
      try {
        lossStats = loss.stats();
      } catch {
        // the stats may be as broken as the loss; the message matters more
      }
      throw new TrialFailure(`training loss is ${lossValue} at step ${step} (lr ${adam.lr}); lower the learning rate or check the inputs`, {
        step,
        loss: lossValue,
        lr: adam.lr,
        queries: Q,
        candidates: C,
        ...lossStats,
      });
    }

    let denseGrads: Array<tf.Tensor | undefined> = dense.map((v) => grads[v.name] ?? undefined);
    if (settings.gradClip !== undefined) {
      const present = denseGrads.filter((g): g is tf.Tensor => g !== undefined);
      const { clipped, norm } = clipByGlobalNorm(present, settings.gradClip);
      owned.push(norm, ...clipped);
      let k = 0;
      denseGrads = denseGrads.map((g) => (g === undefined ? undefined : clipped[k++]!));
    }
    optimiser.apply(dense, denseGrads, adam, dense.map((v) => encoder.learningRateMultiplier?.(v) ?? 1));
    const leafGrads = (leaves: tf.Variable[]) =>
      leaves.map((v) => {
        const g = grads[v.name];
        if (g != null) return g;
        const zeros = tf.zerosLike(v);
        owned.push(zeros);
        return zeros;
      });
    encoder.applySparse(qIn, leafGrads(qLeaves), adam);
    if (dIn) encoder.applySparse(dIn, leafGrads(dLeaves), adam);
    if (!syncReads) await cacheOnHost(loss.variables());
    phases.update += performance.now() - t2;
    return lossValue;
  } finally {
    tf.dispose(owned);
    for (const input of inputs) tf.dispose(input.leaves);
  }
}

function checkBatch(step: number, batch: Batch, items: ItemTexts): void {
  const Q = batch.queries.length;
  const C = batch.itemIds.length;
  if (Q === 0 || C === 0) throw new TrialFailure(`sampler returned an empty batch at step ${step} (${Q} queries, ${C} candidates)`, { step });
  if (batch.grades.length !== Q * C) {
    throw new TrialFailure(`sampler batch at step ${step} has ${batch.grades.length} grades for ${Q} queries x ${C} candidates`, { step });
  }
  for (const id of batch.itemIds) {
    if (!(id >= 0 && id < items.texts.length)) throw new TrialFailure(`sampler batch at step ${step} names item ${id}, but there are ${items.texts.length} items`, { step });
  }
}
