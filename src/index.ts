/**
 * The public API of crops-lab: run sweeps and validate experiments from code, build the plugin registry
 * with extra plugins, and write plugins (the plugin contract, the extension points, the core services
 * and the loss functions). See docs/library.md.
 */
import 'reflect-metadata';

export { runSweep, loadExperiment, validateExperiment, type ExperimentSource, type ExperimentOptions, type RunSweepOptions, type SweepOutcome } from './cli/api.ts';
export { createRegistry, type RegistryOptions, type PluginSource } from './cli/registry.ts';
export { PluginRegistry } from './core/registry.ts';
export type { Experiment, Trial } from './config/experiment.ts';
export type { TrialConfig, PluginRef } from './config/trial-config.ts';
export type { TrialResult, TrialStatus } from './runner/trial-runner.ts';
export type { LogLevel, Logger } from './core/logger.ts';
export { definePlugin, PLUGIN_KINDS, PLUGIN_KIND_SLOTS, type Implementation, type PluginDescriptor, type PluginKind, type PluginModule } from './core/plugin.ts';
export { PluginParams, TrialRng, PluginLogger, CacheDir, TrialInfo, PluginCreator, NestedTrainer } from './core/services.ts';
export type { NestedTrainingJob } from './core/services.ts';
export { Rng } from './core/rng.ts';
export { DiskCache } from './core/disk-cache.ts';
export { CropsError, TrialFailure, type Diagnostic } from './core/errors.ts';
export * from './extension-points/index.ts';
export type * from './extension-points/log-store.ts';
export type * from './extension-points/samples.ts';
export { losses } from './cli/bundled-losses.ts';
/** zod, for plugin params schemas: the same copy crops-lab validates with */
export { z } from 'zod';
