/**
 * Progress for long work. On a terminal a live block is redrawn in place below the log: one line
 * per active trial (step, loss, steps/s, ETA) and a sweep line (trials done of total, ETA);
 * elsewhere (CI, pipes) one line per phase and per finished trial, so logs stay readable.
 */

/** What a running trial reports; `Progress` drives slot 0, parallel sweeps one slot per worker. */
export interface TrialProgress {
  trial(index: number, total: number, id: string): void;
  phase(text: string): void;
  step(step: number, total: number, values: Record<string, number>, stepsPerSecond: number): void;
  line(text: string): void;
}

/** Where a sweep stands, for the sweep line. */
export interface SweepStatus {
  total: number;
  /** trials with a result: finished, failed or skipped */
  done: number;
  failed: number;
  skipped: number;
  /** wall-clock seconds of the trials that ran to the end in this sweep */
  finishedSeconds: number[];
  /** trials that can run at once */
  workers: number;
}

type Out = NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean; columns?: number };

/** Live lines are redrawn at most this often while training steps arrive. */
const REDRAW_MS = 100;

export class Progress implements TrialProgress {
  private readonly slots: SlotProgress[] = [];
  private sweepText: string | undefined;
  /** live lines currently on screen, below the log (terminal only) */
  private drawn = 0;
  private lastDraw = 0;

  constructor(
    private readonly out: Out = process.stderr,
    private readonly enabled = true,
  ) {}

  get tty(): boolean {
    return Boolean((this.out as { isTTY?: boolean }).isTTY);
  }

  /** The display of one worker's trials. */
  slot(index: number): SlotProgress {
    while (this.slots.length <= index) this.slots.push(new SlotProgress(this, this.tty, this.enabled));
    return this.slots[index]!;
  }

  trial(index: number, total: number, id: string): void {
    this.slot(0).trial(index, total, id);
  }

  phase(text: string): void {
    this.slot(0).phase(text);
  }

  step(step: number, total: number, values: Record<string, number>, stepsPerSecond: number): void {
    this.slot(0).step(step, total, values, stepsPerSecond);
  }

  /** A permanent line of the log, printed above the live block. */
  line(text: string): void {
    if (this.enabled) this.log(text);
  }

  /** Like `line`, also when progress is off: for warnings and errors that must not be lost. */
  log(text: string): void {
    this.clearLive();
    this.out.write(`${text}\n`);
    this.drawLive();
  }

  /** Updates the sweep line; `log` also prints it where there is no live block. */
  sweep(status: SweepStatus, log = true): void {
    if (!this.enabled) return;
    this.sweepText = formatSweepLine(status);
    if (this.tty) this.redraw(true);
    else if (log) this.line(this.sweepText);
  }

  /** Ends a slot's trial: its last live line stays in the log, the slot leaves the live block. */
  release(index: number): void {
    const slot = this.slots[index];
    if (!slot) return;
    const last = slot.live;
    slot.live = undefined;
    if (this.tty && last !== undefined && slot.stepped) this.line(last);
    else this.redraw(true);
  }

  /** Redraws the live block; throttled unless `force`. */
  redraw(force: boolean): void {
    if (!this.enabled || !this.tty) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.clearLive();
    this.drawLive();
  }

  private liveLines(): string[] {
    const lines = this.slots.map((s) => s.live).filter((l): l is string => l !== undefined);
    if (this.sweepText !== undefined) lines.push(this.sweepText);
    return lines;
  }

  private clearLive(): void {
    if (this.drawn === 0) return;
    // back to the first live line, then erase to the end of the screen
    this.out.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private drawLive(): void {
    if (!this.enabled || !this.tty) return;
    // a line wider than the terminal wraps, and the cursor arithmetic above would be off
    const width = Math.max(20, ((this.out as { columns?: number }).columns ?? 200) - 1);
    const lines = this.liveLines();
    for (const l of lines) this.out.write(`\x1b[2K${l.length > width ? l.slice(0, width) : l}\n`);
    this.drawn = lines.length;
  }
}

/** One worker's line of the display. */
export class SlotProgress implements TrialProgress {
  private label = '';
  /** the slot's line in the live block; undefined while it runs nothing */
  live: string | undefined;
  /** whether the current trial drew a training bar (kept in the log when the trial ends) */
  stepped = false;

  constructor(
    private readonly display: Progress,
    private readonly tty: boolean,
    private readonly enabled: boolean,
  ) {}

  trial(index: number, total: number, id: string): void {
    this.label = `[${index + 1}/${total}] ${id}`;
    this.stepped = false;
    this.live = this.label;
    this.display.line(this.label);
  }

  phase(text: string): void {
    // the finished training bar stays in the log above the next phase
    if (this.stepped && this.live !== undefined) this.display.line(this.live);
    this.stepped = false;
    this.live = `${this.label}  ${text}`;
    this.display.line(this.live);
  }

  step(step: number, total: number, values: Record<string, number>, stepsPerSecond: number): void {
    if (!this.enabled) return;
    const parts = Object.entries(values).map(([k, v]) => `${k} ${fmt(v)}`);
    if (this.tty) {
      const eta = stepsPerSecond > 0 ? (total - step) / stepsPerSecond : 0;
      this.live = `${this.label}  ${barOf(step / total, 20)} step ${step}/${total}  ${parts.join('  ')}  ${stepsPerSecond.toFixed(1)} steps/s  ETA ${formatSeconds(eta)}`;
      this.stepped = true;
      this.display.redraw(step >= total);
    } else if (step === total) {
      this.display.line(`${this.label}  trained ${total} steps  ${parts.join('  ')}  ${stepsPerSecond.toFixed(1)} steps/s`);
    }
  }

  line(text: string): void {
    this.display.line(text);
  }
}

/**
 * Seconds until the sweep is done: the mean time of the trials finished so far, times the trials
 * left, spread over the workers (never more workers than trials left). Undefined before the first
 * trial finishes; 0 when nothing is left.
 */
export function sweepEtaSeconds(s: SweepStatus): number | undefined {
  const remaining = Math.max(0, s.total - s.done);
  if (remaining === 0) return 0;
  if (s.finishedSeconds.length === 0) return undefined;
  const mean = s.finishedSeconds.reduce((a, b) => a + b, 0) / s.finishedSeconds.length;
  return (mean * remaining) / Math.max(1, Math.min(s.workers, remaining));
}

export function formatSweepLine(s: SweepStatus): string {
  const extra = [s.failed > 0 ? `${s.failed} failed` : '', s.skipped > 0 ? `${s.skipped} skipped` : ''].filter(Boolean).join(', ');
  const head = `sweep: ${s.done}/${s.total} trials done${extra ? ` (${extra})` : ''}`;
  if (s.done >= s.total) return head;
  const eta = sweepEtaSeconds(s);
  return `${head}  ETA ${eta === undefined ? 'after the first trial' : formatSeconds(eta)}`;
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
