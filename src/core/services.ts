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
