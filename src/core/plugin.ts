import type { z } from 'zod';

/**
 * The plugin kinds of architecture §2, in the one place that lists them. Each kind is also the
 * experiment-file key of its slot: `one` takes a single plugin, `list` one or more, `optional` none
 * or one, and `none` means the kind has no slot of its own (metrics are named in `eval.metrics`).
 * The slot table of the config loader and the trial config type are derived from this.
 */
export const PLUGIN_KIND_SLOTS = {
  dataset: 'one',
  positiveSource: 'list',
  discriminator: 'optional',
  llm: 'optional',
  labelScheme: 'one',
  sampler: 'one',
  encoder: 'one',
  loss: 'one',
  retriever: 'one',
  metric: 'none',
  tracker: 'one',
  backend: 'one',
} as const satisfies Record<string, 'one' | 'list' | 'optional' | 'none'>;
export type PluginKind = keyof typeof PLUGIN_KIND_SLOTS;
export const PLUGIN_KINDS = Object.keys(PLUGIN_KIND_SLOTS) as readonly PluginKind[];

/** Kinds whose slot takes (at most) `S` plugins, e.g. `KindsWithSlot<'list'>` is `'positiveSource'`. */
export type KindsWithSlot<S extends string> = { [K in PluginKind]: (typeof PLUGIN_KIND_SLOTS)[K] extends S ? K : never }[PluginKind];

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
   * capabilities that, when another plugin of the same trial provides them, leave this plugin
   * nothing to do (a click miner on a dataset without logs), with the reason shown when one does
   */
  conflicts?: Array<{ trait: string; because: string }>;
  /**
   * Datasets only: the names of the evaluation sets the dataset adds to `ct`, `qr` and `judged`
   * for these (parsed) params, so `eval.metrics` can name them before any data is read.
   */
  testSets?(params: z.output<S>): string[];
  /**
   * The parsed params with every value the plugin would otherwise take from elsewhere (a preset, a
   * file) written out, so that two trials that run the same thing have the same resolved config, the
   * same hash and so one run between them: naming a preset's own value must not retrain a trial.
   */
  fillDefaults?(params: z.output<S>): z.output<S>;
  /**
   * Positive sources only: the optional slots (`discriminator`, `llm`) the source may ask for; left
   * out, it is taken to ask for any. A trial none of whose sources asks for a slot runs without that
   * plugin, and its config and hash leave it out: clicks mined without a judge are the same clicks
   * whichever judge the file names, so such trials are trained once.
   */
  consults?: ReadonlyArray<KindsWithSlot<'optional'>>;
  /**
   * For implementations without decorators (plain JavaScript): the token of each constructor
   * parameter, in order, e.g. `[PluginParams, PluginLogger]`. Registering the descriptor then makes
   * the class injectable itself. Leave it out for a class that carries `@injectable()` and `@inject(TOKEN)`.
   */
  inject?: readonly symbol[];
}

/**
 * Keeps the schema's inferred type attached to the descriptor. An undecorated implementation with an
 * `inject` list is wired for injection when the descriptor is registered (see `registry.ts`), so this
 * module stays free of the injection library and the command line can read the kinds at no cost.
 */
export function definePlugin<S extends z.ZodType, T>(d: PluginDescriptor<S, T>): PluginDescriptor<S, T> {
  return d;
}

/** A plugin module may export one descriptor as default, or an array of them as `plugins`. */
export interface PluginModule {
  default?: PluginDescriptor | PluginDescriptor[];
  plugins?: PluginDescriptor[];
}
