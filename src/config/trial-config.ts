import { z } from 'zod';
import type { KindsWithSlot } from '../core/plugin.ts';

/** A plugin slot after normalisation: `name` and `{ use: name }` both become `{ use, params }`. */
export interface PluginRef {
  use: string;
  params: Record<string, unknown>;
}

/** `recall@100/ct`: metric plugin name, cutoff, test set. */
export const METRIC_SPEC = /^([a-z0-9-]+)@(\d+)\/([a-z0-9-]+)$/;

/** The only set model selection may score: held out from training, never the test day or split. */
export const DEV_SET = 'dev';

export const SelectSettings = z
  .object({
    metric: z
      .string()
      .refine((s) => METRIC_SPEC.exec(s)?.[3] === DEV_SET, { message: `expected metric@k/${DEV_SET}, e.g. recall@100/${DEV_SET} (selection scores the dev split only, never a test set)` })
      .describe(`what to maximise, as metric@k/${DEV_SET}`),
    every: z.number().int().positive().default(50).describe('score the dev split after every N steps (and after the last)'),
    patience: z.number().int().positive().default(3).describe('stop after this many dev scores in a row without improvement'),
    minDelta: z.number().min(0).default(0).describe('an improvement must exceed the best dev score so far by more than this'),
    devShare: z
      .number()
      .gt(0)
      .max(0.5)
      .default(0.1)
      .describe("share of train-day queries with a click held out as the dev split (by a hash of the query text); unused when the dataset names its own 'dev' set"),
  })
  .strict();
export type SelectSettings = z.output<typeof SelectSettings>;

export const TrainSettings = z
  .object({
    steps: z.number().int().min(0).default(300).describe('optimisation steps; 0 evaluates the encoder as it starts (e.g. a pretrained tower zero-shot)'),
    batchQueries: z.number().int().positive().default(64).describe('queries per batch'),
    lr: z.number().positive().default(0.002).describe('Adam learning rate'),
    weightDecay: z.number().min(0).default(0).describe('decoupled (AdamW) weight decay of dense weights'),
    beta1: z.number().min(0).max(1).default(0.9).describe('Adam beta1'),
    beta2: z.number().min(0).max(1).default(0.999).describe('Adam beta2'),
    epsilon: z.number().positive().default(1e-8).describe('Adam epsilon'),
    warmupSteps: z.number().int().min(0).default(0).describe('linear learning-rate warm-up steps'),
    schedule: z.enum(['constant', 'linear', 'cosine']).default('constant').describe('learning-rate decay after warm-up'),
    gradClip: z.number().positive().optional().describe('clip the global norm of dense gradients'),
    logEvery: z.number().int().positive().default(10).describe('log loss and temperature every N steps'),
    // optional without a default, so configs that leave it out keep the hash they had before it existed
    saveTowers: z.boolean().optional().describe('attach the trained towers to the trial run as the artifact folder towers/ (the dense-teacher discriminator reads it)'),
    // optional for the same reason: experiments without it keep their hash and their numbers
    select: SelectSettings.optional().describe('model selection: score a dev split every N steps, stop early after `patience` scores without improvement and restore the best weights before testing; `steps` stays the cap'),
  })
  .strict();
export type TrainSettings = z.output<typeof TrainSettings>;

/** The QR test set's reformulation rules (the paper's P1 rules, applied with the dataset's ground truth). */
export const QrSettings = z
  .object({
    windowSeconds: z.number().positive().default(90).describe("longest gap between a test-day query and the same user's next one (paper: 90 s)"),
    threshold: z.number().min(0).max(1).default(0.6).describe('keep an item taken after the reformulation when its true grade / 3 for the original query is above this (paper: 0.6)'),
    querySimilarity: z
      .number()
      .min(0)
      .max(1)
      .default(0.6)
      .describe("count (q, q') as a reformulation only when the true grade of q' as a text for q, / 3, is above this (paper: the discriminator's threshold); 0 keeps every pair graded above 0"),
  })
  .strict();
export type QrSettings = z.output<typeof QrSettings>;

/** The arm compared with when `eval.online.control` names none: the dataset's legacy search system alone. */
export const LEGACY_CONTROL = 'none';

export const OnlineSettings = z
  .object({
    control: z
      .string()
      .min(1)
      .default(LEGACY_CONTROL)
      .describe(`the control arm: a trial group (report row) of this sweep whose trained model serves the control's channel, or '${LEGACY_CONTROL}' for the legacy funnel alone`),
    sessions: z.number().int().positive().optional().describe("typed search sessions of the simulated day (default: the dataset's day size)"),
    channelK: z.number().int().positive().optional().describe("items the trained model's channel recalls per request (default: the dataset's choice)"),
    seed: z.number().int().min(0).default(1).describe('seeds the simulated day and the bootstrap; every arm of a sweep gets the same traffic'),
    resamples: z.number().int().min(100).default(2000).describe('bootstrap resamples over users for the intervals'),
  })
  .strict();
export type OnlineSettings = z.output<typeof OnlineSettings>;

export const EvalSettings = z
  .object({
    metrics: z
      .array(z.string())
      .min(1)
      .default(['recall@100/ct', 'recall@100/qr', 'ndcg@4/judged'])
      .describe('what to report, as metric@k/set; sets: ct, qr, judged'),
    queryBatch: z.number().int().positive().default(256).describe('queries encoded and searched per chunk'),
    writeRuns: z.boolean().default(true).describe('attach TREC run files and qrels to the trial run'),
    runDepth: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe("documents ranked per query of a searched set, and so kept in its TREC run file (at least the largest cutoff asked for), so `crops eval -m recall.1000` on the file is real"),
    // optional without a default, so configs that leave it out keep their hash (and their numbers)
    qr: QrSettings.optional().describe("how the QR test set is built: the reformulation window and the ground-truth checks on items and on (q, q') (datasets with ground truth only)"),
    // optional without a default, so experiments without it keep their hash and their numbers
    online: OnlineSettings.optional().describe('simulated online A/B test after training: the trained model as an extra recall channel of the dataset\'s search system on a fresh day of users (datasets that provide online-simulation)'),
  })
  .strict();
export type EvalSettings = z.output<typeof EvalSettings>;

/** The plugin slots of a resolved trial, derived from the kind table (`PLUGIN_KIND_SLOTS` in core/plugin.ts). */
export type TrialSlots = { [K in KindsWithSlot<'one'>]: PluginRef } & { [K in KindsWithSlot<'list'>]: PluginRef[] } & {
  [K in KindsWithSlot<'optional'>]?: PluginRef;
};

/** One fully resolved trial: what the runner executes and what its hash identifies. */
export interface TrialConfig extends TrialSlots {
  name: string;
  seed: number;
  train: TrainSettings;
  eval: EvalSettings;
}
