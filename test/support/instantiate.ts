import { Container } from 'inversify';
import type { z } from 'zod';
import type { PluginDescriptor } from '../../src/core/plugin.ts';
import { createLogger } from '../../src/core/logger.ts';
import { Rng } from '../../src/core/rng.ts';
import { PluginLogger, PluginParams, TrialRng } from '../../src/core/services.ts';

/** Options of {@link instantiate}. */
export interface InstantiateOptions {
  /** seed of the injected TrialRng (default 1) */
  seed?: number;
  /** extra bindings, e.g. other plugins by their extension-point token */
  bind?: (container: Container) => void;
}

/**
 * Builds a plugin outside the runner, the way a trial would: params validated by the plugin's own
 * schema, a seeded TrialRng and a silent logger in a fresh container.
 */
export function instantiate<T>(descriptor: PluginDescriptor<z.ZodType, T>, params: unknown = {}, options: InstantiateOptions = {}): T {
  const container = new Container();
  container.bind(PluginParams).toConstantValue(descriptor.schema.parse(params));
  container.bind(TrialRng).toConstantValue(new Rng(options.seed ?? 1));
  container.bind(PluginLogger).toConstantValue(createLogger(`${descriptor.kind}:${descriptor.name}`, 'silent'));
  options.bind?.(container);
  container.bind(descriptor.implementation).toSelf();
  return container.get(descriptor.implementation) as T;
}
