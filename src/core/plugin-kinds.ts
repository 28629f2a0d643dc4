// Kept apart from plugin.ts so the CLI can list kinds without loading the injection library.

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
