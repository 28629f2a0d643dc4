import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mlflowPython } from './mlflow-python.ts';

/** A real `mlflow server` on a loopback port with a throw-away SQLite store and artifact root. */
export interface MlflowServer {
  url: string;
  port: number;
  /** holds mlflow.db and artifacts/ */
  dir: string;
  /** SIGKILLs the server's process group, as a crash would; the store survives */
  kill(): Promise<void>;
  /** starts it again on the same port and store */
  start(): Promise<void>;
  /** kills it and deletes the store */
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/** Starts `mlflow server` (the cached virtualenv's) and waits for `/health`. */
export async function startMlflowServer(timeoutMs = 150_000): Promise<MlflowServer> {
  const python = await mlflowPython();
  const dir = await mkdtemp(join(tmpdir(), 'crops-mlflow-server-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    log = '';
    const args = ['-m', 'mlflow', 'server', '--host', '127.0.0.1', '--port', String(port), '--workers', '1'];
    args.push('--backend-store-uri', `sqlite:///${join(dir, 'mlflow.db')}`, '--artifacts-destination', join(dir, 'artifacts'), '--serve-artifacts');
    // its own process group, so kill() also ends the web workers it forks
    const proc = spawn(python, args, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } });
    child = proc;
    proc.stdout!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
    proc.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`mlflow server exited (${proc.exitCode ?? proc.signalCode}) before answering:\n${log}`);
      const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    await kill();
    throw new Error(`mlflow server did not answer ${url}/health within ${timeoutMs / 1000}s:\n${log}`);
  };

  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      proc.kill('SIGKILL');
    }
    await exited;
  };

  await start();
  return {
    url,
    port,
    dir,
    kill,
    start,
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
