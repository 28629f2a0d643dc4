import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { runCli } from './support/cli.ts';

const dir = 'test/fixtures/invalid';
// extends-cycle-b.yaml exists only to close the cycle started by extends-cycle-a.yaml
const cases = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'extends-cycle-b.yaml').sort();

async function validate(file: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['validate', file], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('broken experiment files print located errors (golden files)', () => {
  it('covers at least ten kinds of mistake', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of cases) {
    it(basename(file, '.yaml'), async () => {
      const { code, out, err } = await validate(join(dir, file));
      expect(code).toBe(2);
      expect(out).toBe('');
      const golden = join(dir, file.replace(/\.yaml$/, '.expected'));
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) {
        if (process.env.CI) throw new Error(`missing golden file ${golden}; run UPDATE_GOLDEN=1 npx vitest run test/golden-errors.spec.ts`);
        writeFileSync(golden, err);
      }
      expect(err).toBe(readFileSync(golden, 'utf8'));
      // every diagnostic but the summary says where: file:line:col
      const lines = err.trim().split('\n');
      for (const line of lines.slice(0, -1)) expect(line).toMatch(/^test\/fixtures\/invalid\/[\w-]+\.yaml:\d+:\d+ error /);
      expect(lines.at(-1)).toMatch(/^error \d+ problems? found; nothing was run$/);
    });
  }

  it('crops run on a broken file exits 2 and writes nothing', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-broken-'));
    const res = runCli(['run', join(process.cwd(), dir, 'out-of-range.yaml')], { cwd });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/loss\.params\.temperature: must be > 0/);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
