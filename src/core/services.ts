import type { PluginKind } from './plugin.ts';
import type { Rng } from './rng.ts';

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
