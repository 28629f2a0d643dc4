import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PluginRegistry } from '../core/registry.ts';
import { CropsError } from '../core/errors.ts';
import type { PluginDescriptor, PluginModule } from '../core/plugin.ts';
import { bundledPlugins } from '../../plugins/index.ts';

/** An extra plugin: a descriptor, a module object (default export or `plugins` array), or a module file path. */
export type PluginSource = PluginDescriptor | PluginModule | string;

export interface RegistryOptions {
  /** extra plugins, registered after the bundled ones; a kind/name may not be registered twice */
  plugins?: readonly PluginSource[];
  /** register crops-lab's own plugins (default true) */
  bundled?: boolean;
}

/**
 * The composition root: the only place that names concrete plugins. Extra plugins register after the
 * bundled ones and may not reuse a kind/name.
 */
export async function createRegistry(opts: RegistryOptions = {}): Promise<PluginRegistry> {
  const registry = new PluginRegistry();
  if (opts.bundled ?? true) for (const d of bundledPlugins) registry.register(d, 'crops-lab');
  for (const [i, source] of (opts.plugins ?? []).entries()) {
    if (typeof source === 'string') registry.registerModule(await importPluginModule(source), source);
    else if (isDescriptor(source)) registry.register(source, `plugins[${i}]`);
    else registry.registerModule(source, `plugins[${i}]`);
  }
  return registry;
}

/** The registry of the CLI: bundled plugins plus the `--plugin` files. */
export function buildRegistry(pluginFiles: string[] = []): Promise<PluginRegistry> {
  return createRegistry({ plugins: pluginFiles });
}

const isDescriptor = (s: PluginDescriptor | PluginModule): s is PluginDescriptor => typeof (s as PluginDescriptor).kind === 'string';

let typeScriptLoader: Promise<void> | undefined;

/**
 * Imports a plugin module file. A TypeScript file needs tsx (an optional peer dependency), registered on
 * first use with the legacy decorators plugins use; JavaScript files need nothing.
 */
async function importPluginModule(file: string): Promise<PluginModule> {
  const abs = resolve(file);
  if (/^\.[mc]?ts$/.test(extname(abs))) {
    typeScriptLoader ??= registerTypeScript();
    await typeScriptLoader;
  }
  try {
    return (await import(pathToFileURL(abs).href)) as PluginModule;
  } catch (e) {
    throw new CropsError(`--plugin ${file}: cannot load module: ${(e as Error).message.split('\n')[0]}`);
  }
}

async function registerTypeScript(): Promise<void> {
  // running from the TypeScript sources, tsx is registered already
  if (import.meta.url.endsWith('.ts')) return;
  let api: { register(opts: { tsconfig: string }): unknown };
  try {
    api = (await import('tsx/esm/api')) as typeof api;
  } catch {
    typeScriptLoader = undefined;
    throw new CropsError('a TypeScript plugin file needs the tsx package: run `npm install --save-dev tsx`, or compile the plugin to JavaScript');
  }
  api.register({ tsconfig: fileURLToPath(new URL('./plugin-tsconfig.json', import.meta.url)) });
}
