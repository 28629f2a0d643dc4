// The shape of the command table, apart from main.ts so the completion generator can read it without an
// import loop.
import type { Io } from './io.ts';

/** One option of a command, as node:util parseArgs takes it, plus its help. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string;
  /** placeholder of the value in help, e.g. `key=value` */
  value?: string;
  help: string;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

/** One command: its help and options, and how it runs (importing its module only then). */
export interface CommandSpec {
  summary: string;
  /** positional arguments in the usage line, e.g. `FILE` */
  args?: string;
  /** more help shown by `crops COMMAND --help` */
  details?: string;
  options: Record<string, OptionSpec>;
  /** what the shell completes for positionals: files, or fixed words */
  complete?: 'files' | readonly string[];
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}
