import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The layer rules of `npm run lint` (docs/architecture.md) checked on probe files: each rule must
 * reject the import it exists for and let the allowed ones through, so a config edit that silently
 * disables a boundary fails here.
 */
const eslint = new ESLint();

async function importErrors(filePath: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import { x } from '${specifier}';\nexport const y = x;\n`, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint layer boundaries', () => {
  const cases: Array<[file: string, specifier: string, rejected: RegExp | null]> = [
    ['src/runner/probe.ts', '../../plugins/index.ts', /reaches plugins only through the registry/],
    ['src/eval/probe.ts', '../../kits/text/tokenize.ts', /kits serve plugins only/],
    ['src/cli/probe.ts', '../../plugins/index.ts', null],
    ['src/runner/probe.ts', '../core/rng.ts', null],
    ['src/core/probe.ts', '../runner/sweep.ts', /import nothing else of crops-lab/],
    ['src/extension-points/probe.ts', '../tracking/run-tags.ts', /import nothing else of crops-lab/],
    ['src/extension-points/probe.ts', '../core/plugin.ts', null],
    ['kits/text/probe.ts', '../../src/runner/sweep.ts', /never on the runner stages/],
    ['kits/encoder/probe.ts', '../../plugins/encoder/hash-mlp-encoder.ts', /never on the runner stages/],
    ['kits/encoder/probe.ts', '../../src/backend/ops.ts', null],
    ['plugins/loss/probe.ts', '../../src/cli/main.ts', /only through src\/extension-points/],
    ['plugins/loss/probe.ts', '../../src/runner/sweep.ts', /only through src\/extension-points/],
    ['plugins/loss/probe.ts', '../../kits/loss/temperature.ts', null],
  ];
  for (const [file, specifier, rejected] of cases) {
    it(`${rejected ? 'rejects' : 'allows'} ${file} -> ${specifier}`, async () => {
      const errors = await importErrors(file, specifier);
      if (rejected) {
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(rejected);
      } else expect(errors).toEqual([]);
    });
  }

  const probeRoot = join(process.cwd(), '.crops-cache');
  mkdirSync(probeRoot, { recursive: true });
  const dir = mkdtempSync(join(probeRoot, 'import-loop-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('dependency-cruiser fails on an import loop, type-only imports included', () => {
    writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.ts';\nexport interface A { b?: B }\n");
    writeFileSync(join(dir, 'b.ts'), "import type { A } from './a.ts';\nexport interface B { a?: A }\n");
    writeFileSync(join(dir, 'c.ts'), "import type { A } from './a.ts';\nexport type C = A;\n");
    const cruise = (target: string) =>
      spawnSync(process.execPath, ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', '--config', '.dependency-cruiser.cjs', '--no-cache', target], { encoding: 'utf8' });
    const looped = cruise(relative(process.cwd(), dir));
    expect(looped.status, looped.stdout + looped.stderr).not.toBe(0);
    expect(looped.stdout).toMatch(/no-import-loops/);
    expect(looped.stdout).toMatch(/a\.ts/);
    rmSync(join(dir, 'b.ts'));
    writeFileSync(join(dir, 'b.ts'), 'export interface B { n: number }\n');
    const clean = cruise(relative(process.cwd(), dir));
    expect(clean.status, clean.stdout + clean.stderr).toBe(0);
  });
});
