import { describe, expect, it } from 'vitest';
import { COMMANDS, main } from './main.ts';

async function crops(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('the crops command line', () => {
  it('lists every command with a summary', async () => {
    const r = await crops('--help');
    expect(r.code).toBe(0);
    for (const [name, spec] of Object.entries(COMMANDS)) expect(r.out).toContain(`  ${name.padEnd(10)}  ${spec.summary}`);
    expect((await crops()).code).toBe(2);
  });

  it('answers COMMAND --help with its usage and every option described, without running it', async () => {
    for (const [name, spec] of Object.entries(COMMANDS)) {
      for (const form of [[name, '--help'], [name, '-h'], ['help', name]]) {
        const r = await crops(...form);
        expect(r.code, form.join(' ')).toBe(0);
        expect(r.out).toMatch(new RegExp(`^usage: crops ${name}`));
        for (const [option, o] of Object.entries(spec.options)) {
          expect(o.help.length, `${name} --${option}`).toBeGreaterThan(10);
          expect(r.out).toMatch(new RegExp(`--${option}\\b.*  ${o.help.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
        }
      }
    }
  });

  it('rejects an unknown option with the command’s help and exit code 2', async () => {
    const r = await crops('validate', 'x.yaml', '--sett', 'a=1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown option '--sett'/);
    expect(r.err).toContain('usage: crops validate FILE [options]');
  });

  it('prints completion scripts for bash and zsh that know every command and option', async () => {
    for (const shell of ['bash', 'zsh']) {
      const r = await crops('completion', shell);
      expect(r.code).toBe(0);
      expect(r.out).toContain('complete -o filenames -F _crops crops');
      for (const [name, spec] of Object.entries(COMMANDS)) {
        expect(r.out).toContain(`    ${name})`);
        for (const option of Object.keys(spec.options)) expect(r.out).toContain(`--${option}`);
      }
    }
    expect((await crops('completion', 'fish')).code).toBe(2);
  });
});
