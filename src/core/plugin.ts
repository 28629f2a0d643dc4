import { inject, injectable } from 'inversify';
import type { z } from 'zod';

import { PLUGIN_KINDS, type PluginKind } from './plugin-kinds.ts';

export { PLUGIN_KINDS, type PluginKind };

/** Constructor of an `@injectable` implementation class. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Implementation<T = unknown> = new (...args: any[]) => T;

/**
 * What a plugin module exports. The runner validates `params` against `schema`, binds the result
 * under the {@link PluginParams} token of the trial's child container and resolves `implementation`.
 */
export interface PluginDescriptor<S extends z.ZodType = z.ZodType, T = unknown> {
  kind: PluginKind;
  /** kebab-case, unique within the kind */
  name: string;
  /** one line shown by `crops plugins` */
  summary: string;
  /** zod schema of the params; must accept `{}` (every field defaulted or optional) and reject unknown keys */
  schema: S;
  implementation: Implementation<T>;
  /** capabilities this plugin brings to a trial, e.g. `graded-labels`, `world-ground-truth` */
  provides?: string[];
  /** capabilities some other plugin of the same trial must provide, with the reason shown when none does */
  requires?: Array<{ trait: string; because: string }>;
  /**
   * For implementations without decorators (plain JavaScript): the token of each constructor
   * parameter, in order, e.g. `[PluginParams, PluginLogger]`. `definePlugin` then makes the class
   * injectable itself. Leave it out for a class that carries `@injectable()` and `@inject(TOKEN)`.
   */
  inject?: readonly symbol[];
}

const prepared = new WeakSet<object>();

/**
 * Keeps the schema's inferred type attached to the descriptor, and wires an undecorated
 * implementation for injection from its `inject` list (the same as `@injectable()` on the class and
 * `@inject(TOKEN)` on each constructor parameter).
 */
export function definePlugin<S extends z.ZodType, T>(d: PluginDescriptor<S, T>): PluginDescriptor<S, T> {
  const impl = d.implementation;
  if (d.inject && !prepared.has(impl)) {
    if (d.inject.length < impl.length) {
      throw new Error(`plugin ${d.kind}/${d.name}: its constructor takes ${impl.length} parameters but inject lists ${d.inject.length} tokens; list one token per parameter`);
    }
    injectable()(impl);
    // a parameter decorator applied by hand: (class, no property key, parameter index)
    d.inject.forEach((token, i) => inject(token)(impl, undefined, i));
    prepared.add(impl);
  }
  return d;
}

/** A plugin module may export one descriptor as default, or an array of them as `plugins`. */
export interface PluginModule {
  default?: PluginDescriptor | PluginDescriptor[];
  plugins?: PluginDescriptor[];
}
