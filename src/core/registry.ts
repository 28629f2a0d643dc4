import { inject, injectable } from 'inversify';

import { CropsError } from './errors.ts';
import { didYouMean } from './did-you-mean.ts';
import { PLUGIN_KINDS, type PluginDescriptor, type PluginKind, type PluginModule } from './plugin.ts';

interface Entry {
  descriptor: PluginDescriptor;
  /** where it came from, for duplicate reports */
  origin: string;
}

/** Every plugin known to this process, by kind and name. */
export class PluginRegistry {
  private readonly byKind = new Map<PluginKind, Map<string, Entry>>();

  register(descriptor: PluginDescriptor, origin = 'bundled'): void {
    if (!PLUGIN_KINDS.includes(descriptor.kind)) {
      throw new CropsError(
        `plugin '${descriptor.name}' from ${origin} declares unknown kind '${descriptor.kind}'; expected one of ${PLUGIN_KINDS.join(', ')}`,
      );
    }
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(descriptor.name)) {
      throw new CropsError(`plugin name '${descriptor.name}' from ${origin} must be kebab-case (e.g. 'my-loss')`);
    }
    let names = this.byKind.get(descriptor.kind);
    if (!names) this.byKind.set(descriptor.kind, (names = new Map()));
    const existing = names.get(descriptor.name);
    if (existing) {
      throw new CropsError(
        `duplicate plugin ${descriptor.kind}/${descriptor.name}: registered by ${existing.origin} and again by ${origin}; rename one of them`,
      );
    }
    wireInjection(descriptor, origin);
    names.set(descriptor.name, { descriptor, origin });
  }

  /** Registers every descriptor a module exports (default export, or a `plugins` array). */
  registerModule(mod: PluginModule, origin: string): number {
    const found: PluginDescriptor[] = [];
    for (const v of [mod.default, mod.plugins]) {
      if (Array.isArray(v)) found.push(...v);
      else if (v) found.push(v);
    }
    if (found.length === 0) {
      throw new CropsError(`${origin} exports no plugin descriptor: export one as default or an array as \`plugins\``);
    }
    for (const d of found) this.register(d, origin);
    return found.length;
  }

  /** Who registered a plugin: 'crops-lab' for bundled ones, the module path for `--plugin` files. */
  origin(kind: PluginKind, name: string): string | undefined {
    return this.byKind.get(kind)?.get(name)?.origin;
  }

  has(kind: PluginKind, name: string): boolean {
    return this.byKind.get(kind)?.has(name) ?? false;
  }

  get(kind: PluginKind, name: string): PluginDescriptor {
    const entry = this.byKind.get(kind)?.get(name);
    if (!entry) throw new CropsError(this.unknownMessage(kind, name));
    return entry.descriptor;
  }

  names(kind: PluginKind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])].sort();
  }

  list(kind?: PluginKind): PluginDescriptor[] {
    const kinds = kind ? [kind] : PLUGIN_KINDS;
    return kinds.flatMap((k) => this.names(k).map((n) => this.byKind.get(k)!.get(n)!.descriptor));
  }

  /** "unknown loss 'infonce'; did you mean 'info-nce'? available: ..." */
  unknownMessage(kind: PluginKind, name: string): string {
    const names = this.names(kind);
    const guess = didYouMean(name, names);
    const hint = guess ? `; did you mean '${guess}'?` : '';
    return `unknown ${kind} plugin '${name}'${hint} (available: ${names.join(', ') || 'none'})`;
  }
}

const wired = new WeakSet<object>();

/**
 * Wires an undecorated implementation (plain JavaScript) for injection from its descriptor's `inject`
 * list: the same as `@injectable()` on the class and `@inject(TOKEN)` on each constructor parameter.
 * Done once per class, however many registries it joins.
 */
function wireInjection(descriptor: PluginDescriptor, origin: string): void {
  const impl = descriptor.implementation;
  if (!descriptor.inject || wired.has(impl)) return;
  if (descriptor.inject.length < impl.length) {
    throw new CropsError(
      `plugin ${descriptor.kind}/${descriptor.name} from ${origin}: its constructor takes ${impl.length} parameters but inject lists ${descriptor.inject.length} tokens; list one token per parameter`,
    );
  }
  injectable()(impl);
  // a parameter decorator applied by hand: (class, no property key, parameter index)
  descriptor.inject.forEach((token, i) => inject(token)(impl, undefined, i));
  wired.add(impl);
}
