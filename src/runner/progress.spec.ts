import { describe, expect, it } from 'vitest';
import { formatSweepLine, Progress, sweepEtaSeconds, type SweepStatus } from './progress.ts';

const status = (s: Partial<SweepStatus>): SweepStatus => ({ total: 10, done: 0, failed: 0, skipped: 0, finishedSeconds: [], workers: 1, ...s });

class Sink {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 200,
  ) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

describe('the sweep line', () => {
  it('estimates the rest from the mean time of finished trials, spread over the workers', () => {
    // mean 30s, 8 left, 2 workers: 4 rounds of 30s
    expect(sweepEtaSeconds(status({ done: 2, finishedSeconds: [20, 40], workers: 2 }))).toBe(120);
    expect(formatSweepLine(status({ done: 2, finishedSeconds: [20, 40], workers: 2 }))).toBe('sweep: 2/10 trials done  ETA 2m00s');
    expect(formatSweepLine(status({ done: 2, finishedSeconds: [20, 40], workers: 1 }))).toBe('sweep: 2/10 trials done  ETA 4m00s');
  });

  it('never counts more workers than trials left, and skipped or failed trials add no time', () => {
    // one trial left takes one trial's time however many workers wait
    expect(sweepEtaSeconds(status({ total: 4, done: 3, finishedSeconds: [12], workers: 4 }))).toBe(12);
    const line = formatSweepLine(status({ total: 5, done: 3, failed: 1, skipped: 1, finishedSeconds: [9], workers: 2 }));
    expect(line).toBe('sweep: 3/5 trials done (1 failed, 1 skipped)  ETA 9s');
  });

  it('says when it cannot estimate yet and drops the ETA once everything is done', () => {
    expect(sweepEtaSeconds(status({ done: 3, skipped: 3 }))).toBeUndefined();
    expect(formatSweepLine(status({ done: 3, skipped: 3 }))).toBe('sweep: 3/10 trials done (3 skipped)  ETA after the first trial');
    expect(formatSweepLine(status({ total: 2, done: 2, finishedSeconds: [5, 6] }))).toBe('sweep: 2/2 trials done');
    expect(formatSweepLine(status({ done: 1, finishedSeconds: [3 * 3600 / 9] }))).toBe('sweep: 1/10 trials done  ETA 3h00m');
  });
});

describe('Progress', () => {
  it('prints one line per phase and per finished trial where there is no terminal', () => {
    const out = new Sink(false);
    const p = new Progress(out);
    p.sweep(status({ total: 2 }), false);
    p.trial(0, 2, 'loss=a');
    p.step(1, 2, { loss: 1.5 }, 10);
    p.step(2, 2, { loss: 1.25 }, 10);
    p.sweep(status({ total: 2, done: 1, finishedSeconds: [4] }));
    expect(out.text).toBe('[1/2] loss=a\n[1/2] loss=a  trained 2 steps  loss 1.250  10.0 steps/s\nsweep: 1/2 trials done  ETA 4s\n');
  });

  it('redraws one live line per busy worker and the sweep line below the log on a terminal', () => {
    const out = new Sink(true);
    const p = new Progress(out);
    p.slot(0).trial(0, 3, 'a');
    p.slot(1).trial(1, 3, 'b');
    p.sweep(status({ total: 3 }), false);
    p.slot(1).step(5, 5, { loss: 2 }, 50);
    const screen = render(out.text);
    expect(screen).toEqual(['[1/3] a', '[2/3] b', '[1/3] a', '[2/3] b  [####################] step 5/5  loss 2.000  50.0 steps/s  ETA 0s', 'sweep: 0/3 trials done  ETA after the first trial']);
    // a finished trial's bar stays in the log; its worker leaves the live block
    p.release(1);
    p.line('[2/3] b  done in 1.0s');
    expect(render(out.text)).toEqual(['[1/3] a', '[2/3] b', '[2/3] b  [####################] step 5/5  loss 2.000  50.0 steps/s  ETA 0s', '[2/3] b  done in 1.0s', '[1/3] a', 'sweep: 0/3 trials done  ETA after the first trial']);
  });

  it('keeps the last training bar in the log when the trial moves on to its next phase', () => {
    const out = new Sink(true);
    const p = new Progress(out);
    p.trial(0, 1, 'a');
    p.step(4, 4, { loss: 1 }, 8);
    p.phase('evaluating');
    p.release(0);
    expect(render(out.text)).toEqual(['[1/1] a', '[1/1] a  [####################] step 4/4  loss 1.000  8.0 steps/s  ETA 0s', '[1/1] a  evaluating']);
  });
});

/** Plays the escape sequences Progress uses (previous lines, erase below, erase line) onto a screen of lines. */
function render(text: string): string[] {
  const screen: string[] = [];
  let row = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      row++;
    } else if (c === String.fromCharCode(27) && text[i + 1] === '[') {
      let j = i + 2;
      while (/\d/.test(text[j]!)) j++;
      const n = Number(text.slice(i + 2, j) || 1);
      if (text[j] === 'F') row -= n;
      else if (text[j] === 'J') screen.length = row;
      else if (text[j] === 'K') screen[row] = '';
      i = j;
    } else {
      screen[row] = (screen[row] ?? '') + c;
    }
  }
  return screen;
}
