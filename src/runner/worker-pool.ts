/** The parent side of a parallel sweep: trial worker processes and the messages to and from them. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { CropsError } from '../core/errors.ts';
import type { Progress } from './progress.ts';
import type { FromWorker, ProgressEvent, ToWorker, WorkerInit } from './worker-protocol.ts';

/** Runs a TypeScript module through tsx with the project's tsconfig, as `bin/crops-dev.js` does. */
const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));

/** A compiled worker module runs as it is; a TypeScript one (running from the sources) through tsx. */
export const forkArgs = (entry: string): [string, string[]] => (/\.[mc]?ts$/.test(entry) ? [RUN_TS, [entry]] : [entry, []]);

/** What V8 prints on stderr before it aborts a process that reached its heap limit. */
const OUT_OF_HEAP = /JavaScript heap out of memory/;

/** The reason shown for a worker that V8 aborted at its heap limit (a SIGABRT alone says nothing). */
function outOfHeap(slot: number): string {
  const limitMiB = Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
  return `worker ${slot + 1} ran out of JavaScript heap (Node's limit here is ${limitMiB} MiB): run with fewer --parallel workers, or raise the limit, e.g. NODE_OPTIONS=--max-old-space-size=${2 * limitMiB}`;
}

type Reply = Exclude<FromWorker, { type: 'progress' } | { type: 'fatal' }>;

/** One worker process; it answers each request in order, with progress messages in between. */
export class TrialWorker {
  private readonly child: ChildProcess;
  private waiting: { resolve(m: Reply): void; reject(e: Error): void } | undefined;
  private fatal: string | undefined;
  private gone: Error | undefined;
  /** resolves with the exit code once the process and its output have ended */
  readonly closed: Promise<number | null>;

  constructor(
    readonly slot: number,
    entry: string,
    private readonly progress: Progress,
  ) {
    // stderr goes through the display so warnings do not tear the live lines apart
    this.child = fork(...forkArgs(entry), { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let partial = '';
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        if (OUT_OF_HEAP.test(l)) this.fatal ??= outOfHeap(slot);
        progress.log(l);
      }
    });
    this.child.on('message', (m: FromWorker) => this.receive(m));
    this.closed = new Promise((done) => {
      this.child.on('error', (e) => this.end(e.message));
      this.child.on('close', (code, signal) => {
        if (partial) progress.log(partial);
        this.end(this.fatal ?? `worker ${slot + 1} exited unexpectedly (${signal ?? `code ${code}`})`);
        done(code);
      });
    });
  }

  get alive(): boolean {
    return this.gone === undefined;
  }

  /** Sends a message and waits for its answer; rejects when the worker dies first. */
  request(message: ToWorker): Promise<Reply> {
    if (this.gone) return Promise.reject(this.gone);
    if (this.waiting) return Promise.reject(new Error(`worker ${this.slot + 1} is busy`));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.post(message);
    });
  }

  /** Sends a message that gets no answer. */
  post(message: ToWorker): void {
    if (this.alive && this.child.connected) this.child.send(message, (e) => e && this.end(`worker ${this.slot + 1}: ${e.message}`));
  }

  private receive(m: FromWorker): void {
    if (m.type === 'progress') return this.show(m.event);
    if (m.type === 'fatal') {
      this.fatal = m.message;
      return;
    }
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve(m);
  }

  private show(e: ProgressEvent): void {
    const slot = this.progress.slot(this.slot);
    if (e.kind === 'trial') slot.trial(e.index, e.total, e.id);
    else if (e.kind === 'phase') slot.phase(e.text);
    else if (e.kind === 'step') slot.step(e.step, e.total, e.values, e.stepsPerSecond);
    else slot.line(e.text);
  }

  private end(message: string): void {
    this.gone ??= new Error(message);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(this.gone);
  }
}

/** Starts `count` workers and waits until each has loaded the experiment and its backend. */
export async function startWorkers(count: number, entry: string, init: WorkerInit, progress: Progress): Promise<{ workers: TrialWorker[]; backend: string }> {
  const workers = Array.from({ length: count }, (_, slot) => new TrialWorker(slot, entry, progress));
  try {
    const replies = await Promise.all(workers.map((w) => w.request(init)));
    const backends = replies.map((r) => (r.type === 'ready' ? r.backend : '?'));
    return { workers, backend: backends[0]! };
  } catch (e) {
    await stopWorkers(workers);
    // nothing was recorded yet; exit code 1 as for any sweep that could not run its trials
    throw new CropsError(`trial workers could not start: ${e instanceof Error ? e.message : String(e)}`, 1);
  }
}

/** Lets each worker finish its trial and flush, then waits for all of them to exit. */
export async function stopWorkers(workers: TrialWorker[]): Promise<void> {
  for (const w of workers) w.post({ type: 'stop' });
  await Promise.all(workers.map((w) => w.closed));
}
