/** Minimal levelled logger; plugins get one named `area:Class` through the container. */
import { scrubSecrets } from './secrets.ts';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, silent: 3 };

export function createLogger(name: string, level: LogLevel = 'info', sink: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const emit = (lvl: LogLevel, msg: string) => {
    if (ORDER[lvl] >= ORDER[level]) sink(scrubSecrets(`[${name}] ${lvl === 'info' ? '' : `${lvl}: `}${msg}`));
  };
  return { debug: (m) => emit('debug', m), info: (m) => emit('info', m), warn: (m) => emit('warn', m) };
}
