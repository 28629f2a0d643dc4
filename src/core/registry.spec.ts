import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { injectable } from 'inversify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildRegistry } from '../cli/registry.ts';
import { definePlugin } from './plugin.ts';
import { PluginRegistry } from './registry.ts';

@injectable()
class Impl {}
const loss = (name: string) => definePlugin({ kind: 'loss', name, summary: name, schema: z.object({}).strict(), implementation: Impl });

describe('PluginRegistry', () => {
  it('rejects a duplicate kind/name, naming both origins', () => {
    const r = new PluginRegistry();
    r.register(loss('info-nce'), 'crops-lab');
    expect(() => r.register(loss('info-nce'), './my-plugin.js')).toThrow(
      'duplicate plugin loss/info-nce: registered by crops-lab and again by ./my-plugin.js; rename one of them',
    );
  });

  it('suggests the closest name for a misspelling', () => {
    const r = new PluginRegistry();
    r.register(loss('info-nce'));
    r.register(loss('h-info-nce'));
    expect(r.unknownMessage('loss', 'infonce')).toBe("unknown loss plugin 'infonce'; did you mean 'info-nce'? (available: h-info-nce, info-nce)");
    expect(r.unknownMessage('loss', 'triplet')).toBe("unknown loss plugin 'triplet' (available: h-info-nce, info-nce)");
  });

  it('rejects names that are not kebab-case and unknown kinds', () => {
    const r = new PluginRegistry();
    expect(() => r.register(loss('InfoNCE'))).toThrow(/must be kebab-case/);
    expect(() => r.register({ ...loss('x'), kind: 'optimizer' as never })).toThrow(/unknown kind 'optimizer'/);
  });
});

describe('external plugins (--plugin)', () => {
  // inside the project so the module resolves inversify and zod from its node_modules, as a user's would
  mkdirSync('.crops-cache', { recursive: true });
  const dir = mkdtempSync(join(process.cwd(), '.crops-cache', 'plugin-'));
  // a plain-JS plugin as a third party would ship it: no decorators, metadata set by inversify's API
  const source = (name: string) => `
import { injectable } from 'inversify';
import { z } from 'zod';
class ConstantLoss { compute() { throw new Error('unused'); } variables() { return []; } stats() { return {}; } }
injectable()(ConstantLoss);
export default { kind: 'loss', name: '${name}', summary: 'a loss from outside', schema: z.object({ scale: z.number().default(1) }).strict(), implementation: ConstantLoss };
`;
  const file = join(dir, 'constant-loss.js');
  writeFileSync(file, source('constant'));
  const clash = join(dir, 'clash.js');
  writeFileSync(clash, source('info-nce'));
  const empty = join(dir, 'empty.js');
  writeFileSync(empty, 'export const nothing = 1;\n');

  it('loads a plugin module written outside the package', async () => {
    const r = await buildRegistry([file]);
    expect(r.get('loss', 'constant').summary).toBe('a loss from outside');
    expect(r.has('loss', 'info-nce')).toBe(true);
  });

  it('fails at start-up when an external plugin reuses a bundled name', async () => {
    await expect(buildRegistry([clash])).rejects.toThrow(`duplicate plugin loss/info-nce: registered by crops-lab and again by ${clash}`);
  });

  it('explains a module that exports no descriptor', async () => {
    await expect(buildRegistry([empty])).rejects.toThrow(/exports no plugin descriptor/);
  });
});
