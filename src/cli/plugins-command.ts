import type { PluginKind } from '../core/plugin.ts';
import type { Io } from './io.ts';
import { formatPluginList, formatPluginMarkdown } from './plugin-docs.ts';
import { buildRegistry } from './registry.ts';

export async function pluginsCommand(args: { kind?: PluginKind; markdown: boolean; plugins: string[] }, io: Io): Promise<number> {
  const registry = await buildRegistry(args.plugins);
  io.out(args.markdown ? formatPluginMarkdown(registry, args.kind) : formatPluginList(registry, args.kind));
  io.out('\n');
  return 0;
}
