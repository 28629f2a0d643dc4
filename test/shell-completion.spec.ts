import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/main.ts';
import { runCli } from './support/cli.ts';

/**
 * `crops completion bash|zsh` loaded into the real shells. bash: the completion function is called as
 * readline would call it. zsh: an interactive zsh in a pseudo-terminal (zsh/zpty) gets a line and a
 * TAB, and every candidate its completion system adds is recorded through a `compadd` wrapper.
 * `.ci/run` installs zsh and sets CROPS_REQUIRE_ZSH, so its absence fails there.
 */
const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;
const ZSH = has('zsh');
const requireZsh = process.env.CROPS_REQUIRE_ZSH === '1';

const ALL_COMMANDS = [...Object.keys(COMMANDS), 'help', '--help'].sort();
const words = (s: string) => s.split(/\s+/).filter(Boolean).sort();

/** A folder with the completion script of `shell` and a file for the file-name case. */
function setup(shell: 'bash' | 'zsh'): { dir: string; script: string } {
  const dir = mkdtempSync(join(tmpdir(), `crops-completion-${shell}-`));
  const res = runCli(['completion', shell], { cwd: dir });
  expect(res.status, res.stderr).toBe(0);
  const script = join(dir, `crops.${shell}`);
  writeFileSync(script, res.stdout);
  writeFileSync(join(dir, 'exp-one.yaml'), 'name: x\n');
  return { dir, script };
}

/** The candidates bash's completion function offers for each command line (the cursor at its end). */
function bashCandidates(lines: string[]): string[] {
  const { dir, script } = setup('bash');
  const body = lines
    .map((line) => {
      const parts = line.split(' ');
      const quoted = parts.map((p) => `'${p}'`).join(' ');
      return `COMP_WORDS=(${quoted}); COMP_CWORD=${parts.length - 1}; COMPREPLY=(); _crops; echo "\${COMPREPLY[*]}"`;
    })
    .join('\n');
  const res = spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${script}\n${body}`], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  expect(res.status, res.stderr).toBe(0);
  expect(res.stderr).toBe('');
  return res.stdout.split('\n').slice(0, lines.length);
}

/** The candidates zsh's completion system adds when TAB is pressed after each command line. */
function zshCandidates(lines: string[]): string[] {
  const { dir, script } = setup('zsh');
  const hits = join(dir, 'hits');
  const driver = join(dir, 'drive.zsh');
  writeFileSync(
    driver,
    `zmodload zsh/zpty
zpty shell 'zsh -f -i'
zpty -w shell "PS1=''; source ${script}"
zpty -w shell 'compadd() { local -a __hits; builtin compadd -A __hits "$@"; print -r -- "\${(j: :)__hits}" >> ${hits}; builtin compadd "$@" }'
for line in "$@"; do
  : > ${hits}
  zpty -n -w shell "$line"$'\\t'
  for i in {1..100}; do [[ -s ${hits} ]] && break; sleep 0.05; done
  print -r -- "$(<${hits})"
  zpty -n -w shell $'\\C-u'
done
zpty -d shell
`,
  );
  // a fresh HOME: compinit writes its dump there and reads no user configuration
  const res = spawnSync('zsh', ['-f', driver, ...lines], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: dir, ZDOTDIR: dir } });
  expect(res.status, res.stderr).toBe(0);
  return res.stdout.split('\n').slice(0, lines.length);
}

const CASES: Array<[line: string, expected: string[]]> = [
  ['crops ', ALL_COMMANDS],
  ['crops va', ['validate']],
  ['crops run --pa', ['--parallel']],
  ['crops run --y', ['--yes']],
  ['crops validate --s', ['--set', '--sweep']],
  ['crops plugins lo', ['loss']],
  ['crops help do', ['doctor']],
  ['crops run exp-', ['exp-one.yaml']],
];

describe('shell completion in the real shells', () => {
  it('bash: completes commands, options, plugin kinds and files', () => {
    const got = bashCandidates(CASES.map(([line]) => line));
    expect(got.map(words)).toEqual(CASES.map(([, expected]) => [...expected].sort()));
  });

  it.skipIf(!ZSH && !requireZsh)('zsh: the script loads through bashcompinit and completes commands, options, plugin kinds and files', () => {
    expect(ZSH, 'zsh is not installed (apt-get install zsh)').toBe(true);
    const got = zshCandidates(CASES.map(([line]) => line));
    expect(got.map(words)).toEqual(CASES.map(([, expected]) => [...expected].sort()));
  }, 90_000);
});
