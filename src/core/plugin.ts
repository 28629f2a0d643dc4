import type { z } from 'zod';

/** The plugin kinds of architecture §2; each is also the YAML key of its slot. */
export const PLUGIN_KINDS = [
  'dataset',
  'positiveSource',
  'discriminator',
  'llm',
  'labelScheme',
  'sampler',
  'encoder',
  'loss',
  'retriever',
  'metric',
  'tracker',
  'backend',
] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

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
   * Datasets only: the names of the evaluation sets the dataset adds to `ct`, `qr` and `judged`
   * for these (parsed) params, so `eval.metrics` can name them before any data is read.
   */
  testSets?(params: z.output<S>): string[];
}

/** Helper that keeps the schema's inferred type attached to the descriptor. */
export function definePlugin<S extends z.ZodType, T>(d: PluginDescriptor<S, T>): PluginDescriptor<S, T> {
  return d;
}

/** A plugin module may export one descriptor as default, or an array of them as `plugins`. */
export interface PluginModule {
  default?: PluginDescriptor | PluginDescriptor[];
  plugins?: PluginDescriptor[];
}
