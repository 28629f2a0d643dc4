import { Container } from 'inversify';
import { CropsError } from '../core/errors.ts';
import { createLogger, type LogLevel } from '../core/logger.ts';
import type { PluginKind } from '../core/plugin.ts';
import type { PluginRegistry } from '../core/registry.ts';
import type { Rng } from '../core/rng.ts';
import { CacheDir, NestedTrainer, PluginCreator, PluginLogger, PluginParams, TrialRng } from '../core/services.ts';
import { trainNested } from '../training/nested-trainer.ts';
import type { PluginRef } from '../config/trial-config.ts';
import { join } from 'node:path';

export interface FactoryOptions {
  registry: PluginRegistry;
  rng: Rng;
  cacheRoot: string;
  logLevel: LogLevel;
}

/**
 * Builds plugin instances inside a trial's container. Each plugin gets its own child container so
 * its params, RNG stream, logger and cache directory are private; other plugins and core services
 * resolve through the parent chain.
 */
export class PluginFactory {
  constructor(
    readonly container: Container,
    private readonly opts: FactoryOptions,
  ) {}

  create<T>(kind: PluginKind, ref: PluginRef, slot = kind as string): T {
    const descriptor = this.opts.registry.get(kind, ref.use);
    const scope = new Container({ parent: this.container });
    // params were validated and defaulted when the experiment was loaded
    scope.bind(PluginParams).toConstantValue(ref.params);
    scope.bind(TrialRng).toConstantValue(this.opts.rng.fork(`${slot}/${ref.use}`));
    scope.bind(PluginLogger).toConstantValue(createLogger(`${kind}:${ref.use}`, this.opts.logLevel));
    scope.bind(CacheDir).toConstantValue(join(this.opts.cacheRoot, kind, ref.use));
    scope.bind(PluginCreator).toConstantValue(((k, r, s) => this.createChecked(k, r, s)) satisfies PluginCreator);
    scope.bind(NestedTrainer).toConstantValue(trainNested);
    scope.bind(descriptor.implementation).toSelf().inSingletonScope();
    return scope.get(descriptor.implementation) as T;
  }

  /** Like `create`, for refs that did not come through experiment validation (params checked here). */
  createChecked<T>(kind: PluginKind, ref: { use: string; params: unknown }, slot: string): T {
    const descriptor = this.opts.registry.get(kind, ref.use);
    const parsed = descriptor.schema.safeParse(ref.params ?? {});
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
      throw new CropsError(`${kind} '${ref.use}' (for ${slot}) got invalid params: ${problems}`);
    }
    return this.create<T>(kind, { use: ref.use, params: parsed.data as Record<string, unknown> }, slot);
  }

  /** Creates the plugin and makes it injectable by later plugins of the trial under `token`. */
  provide<T>(token: symbol, kind: PluginKind, ref: PluginRef): T {
    const instance = this.create<T>(kind, ref);
    this.container.bind(token).toConstantValue(instance);
    return instance;
  }
}
