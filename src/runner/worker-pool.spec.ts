import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Progress } from './progress.ts';
import { TrialWorker } from './worker-pool.ts';

describe('a trial worker that dies', () => {
  it('says it ran out of heap when V8 aborted it at its limit, and what to do', async () => {
    const entry = join(mkdtempSync(join(tmpdir(), 'crops-oom-worker-')), 'worker.mjs');
    // what V8 prints before aborting at the heap limit, then the abort itself
    writeFileSync(entry, "process.stderr.write('\\n<--- Last few GCs --->\\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\\n', () => process.kill(process.pid, 'SIGABRT'));\n");
    const worker = new TrialWorker(0, entry, new Progress({ write: () => true }, false));
    await worker.closed;
    await expect(worker.request({ type: 'run' } as never)).rejects.toThrow(/worker 1 ran out of JavaScript heap \(Node's limit here is \d+ MiB\): run with fewer --parallel workers, or raise the limit, e.g. NODE_OPTIONS=--max-old-space-size=\d+/);
  });

  it('names the signal when nothing says why', async () => {
    const entry = join(mkdtempSync(join(tmpdir(), 'crops-dead-worker-')), 'worker.mjs');
    writeFileSync(entry, "process.kill(process.pid, 'SIGKILL');\n");
    const worker = new TrialWorker(0, entry, new Progress({ write: () => true }, false));
    await worker.closed;
    await expect(worker.request({ type: 'run' } as never)).rejects.toThrow('worker 1 exited unexpectedly (SIGKILL)');
  });
});
