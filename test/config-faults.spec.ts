import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';

const BASE = resolve('experiments/_base/tiny-world.yaml');

async function validate(dir: string, file: string, ...flags: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = await main(['validate', file, ...flags], { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  } finally {
    process.chdir(cwd);
  }
}

function files(entries: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'crops-config-faults-'));
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('hostile or mistaken experiment files get a located error and exit 2', () => {
  it('a repeated seed', async () => {
    const dir = files({ 'x.yaml': `extends: ${BASE}\nseeds: [7, 7]\n` });
    const r = await validate(dir, 'x.yaml');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/x\.yaml:2:12 error seeds\.1: seed 7 is already listed \(seeds\.0\)/);
  });

  it('a YAML alias bomb', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const r = await validate(files({ 'bomb.yaml': `${lines.join('\n')}\n` }), 'bomb.yaml');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bomb\.yaml:1:1 error YAML aliases expand too far/);
  });

  it('an extends chain thousands deep', async () => {
    const chain: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) chain[`c${i}.yaml`] = `extends: ./c${i + 1}.yaml\n`;
    chain['c3000.yaml'] = 'name: deep\n';
    const r = await validate(files(chain), 'c0.yaml');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/c31\.yaml:1:10 error extends: extends chain deeper than 32 files/);
  });

  it('extends to a directory or a binary file', async () => {
    const dir = files({ 'd.yaml': 'extends: ./sub\n', 'b.yaml': 'extends: ./node.bin\n' });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'sub'));
    copyFileSync(process.execPath, join(dir, 'node.bin'));
    const d = await validate(dir, 'd.yaml');
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/d\.yaml:1:10 error extends: sub is a directory, not a YAML file/);
    const b = await validate(dir, 'b.yaml');
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/b\.yaml:1:10 error extends: node\.bin is not a YAML text file/);
    expect(b.err.length).toBeLessThan(400);
  });

  it('a __proto__ key', async () => {
    const r = await validate(files({ 'p.yaml': `extends: ${BASE}\n__proto__: { polluted: 1 }\n` }), 'p.yaml');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/p\.yaml:2:1 error the key __proto__ is not allowed/);
  });

  it('YAML merge keys are supported', async () => {
    const r = await validate(files({ 'm.yaml': `extends: ${BASE}\nname: merged\ntrain:\n  <<: { steps: 3, lr: 0.01 }\n  lr: 0.02\n` }), 'm.yaml');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('a huge ablation is counted before it is expanded and needs maxTrials', async () => {
    const axis = `[${Array.from({ length: 100 }, (_, i) => (i + 1) / 1000).join(', ')}]`;
    const grid = `extends: ${BASE}\nablate:\n  train.lr: ${axis}\n  train.weightDecay: ${axis}\n  loss.params.temperature: ${axis}\n`;
    const r = await validate(files({ 'grid.yaml': grid }), 'grid.yaml');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/grid\.yaml:2:1 error ablate: expands to 1000000 trials \(100 x 100 x 100\), more than maxTrials \(1000\); set `maxTrials: 1000000` in the experiment or pass --yes/);
    const ok = await validate(files({ 'some.yaml': `extends: ${BASE}\nmaxTrials: 1200\nseeds: [1, 2, 3]\nablate:\n  train.lr: [${Array.from({ length: 400 }, (_, i) => (i + 1) / 10000).join(', ')}]\n` }), 'some.yaml');
    expect(ok.err).toBe('');
    expect(ok.out).toMatch(/ok, 1200 trials/);
    // --yes confirms the size on the command line instead of in the file
    const big = files({ 'big.yaml': `extends: ${BASE}\nablate:\n  train.lr: [${Array.from({ length: 1001 }, (_, i) => (i + 1) / 100000).join(', ')}]\n` });
    expect((await validate(big, 'big.yaml')).err).toMatch(/big\.yaml:2:1 error ablate: expands to 1001 trials \(1001\), more than maxTrials \(1000\)/);
    const yes = await validate(big, 'big.yaml', '--yes');
    expect(yes.err).toBe('');
    expect(yes.out).toMatch(/ok, 1001 trials/);
  }, 120_000);

  it('a --set error is located at the --set that has it, with its text', async () => {
    const r = await validate(files({ 's.yaml': `extends: ${BASE}\nname: s\n` }), 's.yaml', '--set', 'train.steps=3', '--set', 'train.lr=[1,', '--set', 'train.steps=abc');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--set:2:1 error train\.lr: value is not valid YAML: .* at column 4 of '\[1,'$/m);
    expect(r.err).toMatch(/^--set:3:1 error train\.steps: expected a number \(got 'abc'\)$/m);
    expect(r.err).not.toMatch(/s\.yaml:/);
  });
});
