import type { PluginKind } from './plugin.ts';
import type { Rng } from './rng.ts';
import type { Encoder } from '../extension-points/encoder.ts';
import type { Loss } from '../extension-points/loss.ts';
import type { Sampler } from '../extension-points/sampler.ts';
import type { ItemTexts } from '../extension-points/samples.ts';

/**
 * Tokens for the core services a plugin may inject. A plugin constructor names each dependency
 * with `@inject(TOKEN)` (esbuild-based runners emit no parameter metadata).
 */

/** The validated params object of the plugin being resolved (its zod schema's output). */
export const PluginParams = Symbol.for('crops.PluginParams');

/** A seeded {@link Rng}, forked per plugin so adding a plugin does not shift another's stream. */
export const TrialRng = Symbol.for('crops.TrialRng');
export type TrialRng = Rng;

/** `Logger` named after the plugin. */
export const PluginLogger = Symbol.for('crops.PluginLogger');

/** A directory private to the plugin (kind/name), persistent across runs, for caches. */
export const CacheDir = Symbol.for('crops.CacheDir');

/** Facts about the trial being run. */
export const TrialInfo = Symbol.for('crops.TrialInfo');
export interface TrialInfo {
  /** short id derived from the trial's overrides, e.g. `labelScheme=hla,seed=1` */
  id: string;
  seed: number;
  /** hash of the resolved trial config (plus code version) */
  configHash: string;
  /** the resolved, defaulted trial config */
  config: object;
  experimentFile?: string;
}

/**
 * Builds another plugin inside the trial, the way the runner builds slot plugins (own params, RNG
 * stream, logger, cache directory), for plugins that only learn at run time which one they need
 * (the `dense-teacher` discriminator rebuilds the encoder a saved model names). `params` are
 * validated against the plugin's schema; `slot` labels its RNG stream.
 */
export const PluginCreator = Symbol.for('crops.PluginCreator');
export type PluginCreator = <T>(kind: PluginKind, ref: { use: string; params: unknown }, slot: string) => T;

/**
 * Runs the core training loop on a model a plugin owns, inside the trial, before the trial's own
 * training: for plugins that learn from the logs first (the `dense-teacher` discriminator trained on
 * the online clicks). The caller builds the encoder, loss and sampler with {@link PluginCreator},
 * initialises the sampler with its data, and disposes all three. Same loop as the trial's (AdamW,
 * sparse updates, the settings' other defaults), without model selection or tracking.
 */
export const NestedTrainer = Symbol.for('crops.NestedTrainer');
export interface NestedTrainingJob {
  encoder: Encoder;
  loss: Loss;
  sampler: Sampler;
  items: ItemTexts;
  steps: number;
  batchQueries: number;
  lr: number;
  /** smallest grade the loss counts as a positive */
  positiveGrade: number;
}
export type NestedTrainer = (job: NestedTrainingJob) => Promise<{ finalLoss: number; msPerStep: number }>;
