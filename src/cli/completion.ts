import type { CommandSpec } from './command-spec.ts';

/**
 * Shell completion generated from the command table: commands, each command's options, and its
 * positionals (files or fixed words). zsh loads the bash function through its bashcompinit layer.
 */
export function completionScript(shell: 'bash' | 'zsh', commands: Record<string, CommandSpec>): string {
  const names = Object.keys(commands);
  const cases = names.map((n) => {
    const spec = commands[n]!;
    const opts = ['--help', ...Object.entries(spec.options).flatMap(([o, s]) => [`--${o}`, ...(s.short ? [`-${s.short}`] : [])])].join(' ');
    const words = Array.isArray(spec.complete) ? spec.complete.join(' ') : '';
    const positional = spec.complete === 'files' ? 'COMPREPLY=($(compgen -f -- "$cur"))' : words ? `COMPREPLY=($(compgen -W "${words}" -- "$cur"))` : 'COMPREPLY=()';
    // `world describe FILE` completes files after its fixed word
    const after = n === 'world' ? '\n      if [ "$COMP_CWORD" -gt 2 ]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi' : '';
    return `    ${n})${after}
      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${opts}" -- "$cur")); else ${positional}; fi
      ;;`;
  });
  const bash = `# crops completion (${shell}); load with: eval "$(crops completion ${shell})"
_crops() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${names.join(' ')} help --help" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join('\n')}
    help)
      COMPREPLY=($(compgen -W "${names.join(' ')}" -- "$cur"))
      ;;
  esac
}
complete -o filenames -F _crops crops
`;
  if (shell === 'bash') return bash;
  return `${bash.split('\n')[0]}
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash.split('\n').slice(1).join('\n')}`;
}
