/**
 * The public API of crops-lab for plugin authors and for using its pieces without the CLI:
 * the plugin contract, the extension points, the core services and the loss functions.
 */
import 'reflect-metadata';

export { definePlugin, PLUGIN_KINDS, type PluginDescriptor, type PluginKind, type PluginModule } from './core/plugin.ts';
export { PluginParams, TrialRng, PluginLogger, CacheDir, TrialInfo, PluginCreator } from './core/services.ts';
export { Rng } from './core/rng.ts';
export { DiskCache } from './core/disk-cache.ts';
export { CropsError, TrialFailure, type Diagnostic } from './core/errors.ts';
export * from './extension-points/index.ts';
export type * from './extension-points/log-store.ts';
export type * from './extension-points/samples.ts';
export { losses } from './cli/bundled-losses.ts';
export { loadExperiment, type Experiment, type Trial } from './config/experiment.ts';
