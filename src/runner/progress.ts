/**
 * Progress for long work: on a terminal one line per trial rewritten in place (step, loss, steps/s,
 * ETA); elsewhere (CI, pipes) one line per phase so logs stay readable.
 */
export class Progress {
  private trialLabel = '';
  private lastDraw = 0;
  private open = false;

  constructor(
    private readonly out: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean } = process.stderr,
    private readonly enabled = true,
  ) {}

  private get tty(): boolean {
    return Boolean((this.out as { isTTY?: boolean }).isTTY);
  }

  trial(index: number, total: number, id: string): void {
    this.trialLabel = `[${index + 1}/${total}] ${id}`;
    this.line(`${this.trialLabel}`);
  }

  phase(text: string): void {
    this.line(`${this.trialLabel}  ${text}`);
  }

  step(step: number, total: number, values: Record<string, number>, stepsPerSecond: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastDraw < 100 && step < total) return;
      this.lastDraw = now;
      const eta = stepsPerSecond > 0 ? (total - step) / stepsPerSecond : 0;
      const parts = Object.entries(values).map(([k, v]) => `${k} ${fmt(v)}`);
      const bar = barOf(step / total, 20);
      this.out.write(`\r\x1b[2K${this.trialLabel}  ${bar} step ${step}/${total}  ${parts.join('  ')}  ${stepsPerSecond.toFixed(1)} steps/s  ETA ${formatSeconds(eta)}`);
      this.open = true;
    } else if (step === total) {
      const parts = Object.entries(values).map(([k, v]) => `${k} ${fmt(v)}`);
      this.line(`${this.trialLabel}  trained ${total} steps  ${parts.join('  ')}  ${stepsPerSecond.toFixed(1)} steps/s`);
    }
  }

  line(text: string): void {
    if (!this.enabled) return;
    if (this.open) this.out.write('\n');
    this.open = false;
    this.out.write(`${text}\n`);
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || v === 0 ? v.toFixed(1) : v.toPrecision(4);
}

function barOf(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
