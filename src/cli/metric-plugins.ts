import { resolve } from 'node:path';
import { Container } from 'inversify';
import { Rng } from '../core/rng.ts';
import type { Metric } from '../extension-points/metric.ts';
import { PluginFactory } from '../runner/plugin-factory.ts';
import type { MetricPlugins } from './eval-command.ts';
import { buildRegistry } from './registry.ts';

/** The metric plugins of the registry (bundled plus `--plugin` modules), built with their default params. */
export async function loadMetricPlugins(pluginFiles: string[]): Promise<MetricPlugins> {
  const registry = await buildRegistry(pluginFiles);
  const factory = new PluginFactory(new Container(), { registry, rng: new Rng(1), cacheRoot: resolve('.crops-cache'), logLevel: 'silent' });
  return {
    names: registry.names('metric'),
    create: (name) => factory.createChecked<Metric>('metric', { use: name, params: {} }, 'eval'),
  };
}
