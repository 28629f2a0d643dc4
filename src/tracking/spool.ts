/**
 * The local spool of writes bound for an MLflow server: one JSONL file per run, a header line
 * naming the server and run, then one line per operation and an `{"ack":seq}` line once the
 * server has it. Artifact contents sit next to it in `<runId>.blobs/`. Every operation is
 * idempotent on the server (identical metric points are stored once, a param may be re-sent with
 * the same value, tags and artifacts overwrite), so replaying an operation whose ack was lost is
 * harmless.
 */
import { mkdir, readFile, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { appendWhole, atomicWrite, isDiskFull, writeError } from '../core/atomic-write.ts';
import type { BatchEntities } from './rest-batch.ts';
import type { MlflowRestClient } from './rest-client.ts';
import { checkServerId, isSafeServerId } from './server-ids.ts';

export type SpoolOp =
  | { op: 'batch'; entities: BatchEntities }
  | { op: 'artifact'; path: string }
  | { op: 'end'; status: string; endTime: number };

export interface SpoolHeader {
  trackingUri: string;
  experimentId: string;
  runId: string;
  artifactUri: string;
}

export interface PendingOp {
  seq: number;
  op: SpoolOp;
}

const RUN_FILE = /^([0-9a-zA-Z_-]+)\.jsonl$/;

/** The spool file of one run; appends are serialised so lines never interleave. */
export class RunSpool {
  private chain: Promise<void>;
  /** false after `remove()`: a later write (a tag set after the end) starts the file afresh */
  private open = false;

  constructor(
    readonly dir: string,
    readonly header: SpoolHeader,
  ) {
    checkServerId('run_id', header.runId, header.trackingUri);
    this.chain = this.start().catch(() => undefined);
  }

  /** Runs `fn` after the writes before it; a failed write fails only its own caller. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async start(): Promise<void> {
    if (this.open) return;
    await mkdir(this.blobDir(), { recursive: true });
    await appendWhole(this.file(), `${JSON.stringify({ header: this.header })}\n`, `the offline spool of MLflow run ${this.header.runId} to`);
    this.open = true;
  }

  file(): string {
    return join(this.dir, `${this.header.runId}.jsonl`);
  }

  blobDir(): string {
    return join(this.dir, `${this.header.runId}.blobs`);
  }

  /** Stores the operation (and an artifact's content) on disk; resolves once it is there. */
  append(seq: number, op: SpoolOp, content?: string | Uint8Array): Promise<void> {
    return this.serial(async () => {
      await this.start();
      // all or nothing on a full disk: no torn line, no blob without its line, nothing left to fill the disk
      const blob = join(this.blobDir(), String(seq));
      if (content !== undefined) {
        await atomicWrite(blob, content).catch((e: unknown) => {
          throw isDiskFull(e) ? writeError(`artifact ${op.op === 'artifact' ? op.path : ''} of MLflow run ${this.header.runId} to the offline spool at`, blob, e) : e;
        });
      }
      try {
        await appendWhole(this.file(), `${JSON.stringify({ seq, ...op })}\n`, `the offline spool of MLflow run ${this.header.runId} to`);
      } catch (e) {
        if (content !== undefined) await unlink(blob).catch(() => undefined);
        throw e;
      }
    });
  }

  ack(seq: number): Promise<void> {
    return this.serial(() => appendWhole(this.file(), `${JSON.stringify({ ack: seq })}\n`, `the offline spool of MLflow run ${this.header.runId} to`));
  }

  /** Deletes the file and blobs once everything reached the server. */
  remove(): Promise<void> {
    return this.serial(async () => {
      this.open = false;
      await removeRunSpool(this.dir, this.header.runId);
    });
  }
}

/** Records that the server has operation `seq` of a run, outside a live {@link RunSpool}. */
export async function ackOp(dir: string, runId: string, seq: number): Promise<void> {
  checkServerId('run_id', runId, dir);
  await appendWhole(join(dir, `${runId}.jsonl`), `${JSON.stringify({ ack: seq })}\n`, `the offline spool of MLflow run ${runId} to`);
}

export async function removeRunSpool(dir: string, runId: string): Promise<void> {
  // a spool header written by an older version, or edited, must not turn into a path outside `dir`
  checkServerId('run_id', runId, dir);
  await rm(join(dir, `${runId}.jsonl`), { force: true });
  await rm(join(dir, `${runId}.blobs`), { recursive: true, force: true });
}

/** Every spooled run under `dir` with the operations the server has not acknowledged. */
export async function readSpool(dir: string): Promise<Array<{ header: SpoolHeader; pending: PendingOp[] }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Array<{ header: SpoolHeader; pending: PendingOp[] }> = [];
  for (const name of names.sort()) {
    if (!RUN_FILE.test(name)) continue;
    let header: SpoolHeader | undefined;
    const ops = new Map<number, SpoolOp>();
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // a line torn by a crash was never acknowledged nor sent in full
      }
      if (entry.header) header = entry.header as SpoolHeader;
      else if (typeof entry.ack === 'number') ops.delete(entry.ack);
      else if (typeof entry.seq === 'number') {
        const { seq, ...op } = entry;
        ops.set(seq, op as unknown as SpoolOp);
      }
    }
    // the file name is checked by RUN_FILE; the header's id is what later paths are built from
    if (header && !isSafeServerId(header.runId)) continue;
    if (header) out.push({ header, pending: [...ops].sort(([a], [b]) => a - b).map(([seq, op]) => ({ seq, op })) });
  }
  return out;
}

/** Sends one spooled operation to the server. */
export async function sendOp(client: MlflowRestClient, dir: string, header: SpoolHeader, { seq, op }: PendingOp, content?: string | Uint8Array): Promise<void> {
  if (op.op === 'batch') await client.logBatch(header.runId, op.entities);
  else if (op.op === 'artifact') await client.uploadArtifact(header.artifactUri, op.path, content ?? (await readFile(join(dir, `${checkServerId('run_id', header.runId, dir)}.blobs`, String(seq)))));
  else await client.updateRun(header.runId, op.status, op.endTime);
}

/** The server a tracking URI names, for comparing spool headers with `crops push --to`. */
export function sameServer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}
