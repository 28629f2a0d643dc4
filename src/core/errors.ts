/** A located problem in an experiment, printed like a compiler diagnostic. */
export interface Diagnostic {
  file?: string;
  line?: number;
  col?: number;
  /** dotted path inside the experiment (`loss.params.temperature`), or a plugin/trial label */
  path?: string;
  message: string;
  /** trial ids the problem occurs in, when it comes from expanded trials */
  trials?: string[];
  severity?: 'error' | 'warning';
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}:${d.col ?? 1}` : ''} ` : '';
  const path = d.path ? `${d.path}: ` : '';
  const trials = d.trials && d.trials.length > 0 ? ` [trial${d.trials.length > 1 ? 's' : ''} ${summariseTrials(d.trials)}]` : '';
  return `${where}${d.severity ?? 'error'} ${path}${d.message}${trials}`;
}

function summariseTrials(ids: string[]): string {
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
}

/** Thrown for problems the user can fix; the CLI prints the diagnostics without a stack trace. */
export class CropsError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly exitCode: number;
  constructor(diagnostics: Diagnostic[] | string, exitCode = 2) {
    const list = typeof diagnostics === 'string' ? [{ message: diagnostics }] : diagnostics;
    super(list.map(formatDiagnostic).join('\n'));
    this.name = 'CropsError';
    this.diagnostics = list;
    this.exitCode = exitCode;
  }
}

/** A trial that failed while running (NaN loss, plugin error); the sweep records it as FAILED. */
export class TrialFailure extends Error {
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'TrialFailure';
  }
}
