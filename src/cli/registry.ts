import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PluginRegistry } from '../core/registry.ts';
import { CropsError } from '../core/errors.ts';
import type { PluginModule } from '../core/plugin.ts';
import { bundledPlugins } from '../../plugins/index.ts';

/**
 * The composition root: the only place that names concrete plugins. External plugin modules
 * (`--plugin ./file.js`) register after the bundled ones and may not reuse a kind/name.
 */
export async function buildRegistry(pluginFiles: string[] = []): Promise<PluginRegistry> {
  const registry = new PluginRegistry();
  for (const d of bundledPlugins) registry.register(d, 'crops-lab');
  for (const file of pluginFiles) {
    const abs = resolve(file);
    let mod: PluginModule;
    try {
      mod = (await import(pathToFileURL(abs).href)) as PluginModule;
    } catch (e) {
      throw new CropsError(`--plugin ${file}: cannot load module: ${(e as Error).message.split('\n')[0]}`);
    }
    registry.registerModule(mod, file);
  }
  return registry;
}
