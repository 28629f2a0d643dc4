import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('crops plugins', () => {
  it('keeps docs/plugins.md in step with the registered plugins', async () => {
    const { code, out } = await cli(['plugins', '--markdown']);
    expect(code).toBe(0);
    // regenerate with: npx crops plugins --markdown > docs/plugins.md
    expect(readFileSync('docs/plugins.md', 'utf8')).toBe(out);
  });

  it('lists one kind with params and defaults, and explains an unknown kind', async () => {
    const { code, out } = await cli(['plugins', 'loss']);
    expect(code).toBe(0);
    expect(out).toMatch(/^loss\n {2}fs-lr /);
    expect(out).toMatch(/temperature: number \(> 0\) = 0\.05/);
    const bad = await cli(['plugins', 'losses']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown plugin kind 'losses'; did you mean 'loss'\?/);
  });

  it('names the experiment file quickstart runs in the README', () => {
    const lines = readFileSync('README.md', 'utf8').split('\n');
    const commands = lines.filter((l) => l.startsWith('npm ci &&'));
    expect(commands.map((l) => l.split('#')[0]!.trim())).toEqual(['npm ci && npx crops run experiments/quickstart.yaml', 'npm ci && npm test']);
  });

  it('says plainly that --plugin runs the module, as validate and plugins really do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crops-plugin-trust-'));
    const marker = join(dir, 'ran');
    const plugin = join(dir, 'side-effect.mjs');
    writeFileSync(plugin, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'top-level code ran');\nexport const plugins = [];\n`);
    await cli(['plugins', 'loss', '--plugin', plugin]);
    expect(existsSync(marker)).toBe(true);
    for (const doc of ['docs/adding-a-plugin.md', 'docs/experiment-file.md']) {
      const text = readFileSync(doc, 'utf8').replace(/\s+/g, ' ');
      expect(text, doc).toMatch(/--plugin.{0,90}(?:runs the module's code|its code runs)/);
      expect(text, doc).toMatch(/validate/);
    }
  });
});
