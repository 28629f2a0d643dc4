/**
 * Who owns a RUNNING run, and whether that owner is still alive. A process that dies without
 * ending its runs (SIGKILL, a crashed worker, a full disk, a lost machine) would leave them RUNNING
 * forever; a careful database uses a lease for this. Every run crops-lab starts is tagged with its
 * owner (host, pid, the process's start time) and a heartbeat the owner renews while the run is
 * open. A later process treats a run as orphaned when its owner process is gone (same host) or its
 * heartbeat is older than the lease (any host), and closes it with the reason.
 */
import { hostname } from 'node:os';
import type { RunRef } from '../extension-points/tracker.ts';
import { TAG } from './run-tags.ts';


/** How often an owner renews the heartbeat of its open runs; `CROPS_HEARTBEAT_MS` shortens it for tests. */
export function heartbeatMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.CROPS_HEARTBEAT_MS);
  return Number.isFinite(v) && v > 0 ? v : 30_000;
}

/** A heartbeat older than this means the owner is gone, when it cannot be asked directly (another host). */
export function leaseMs(env: NodeJS.ProcessEnv = process.env): number {
  return 4 * heartbeatMs(env);
}

/** On the owner's own host a live pid older than this without a heartbeat is a reused pid, not the owner. */
const SAME_HOST_SILENCE_MS = 15 * 60_000;

const processStarted = Math.round(Date.now() - process.uptime() * 1000);

/** The owner tags of a run this process starts now. */
export function ownerTags(): Record<string, string> {
  return { [TAG.ownerHost]: hostname(), [TAG.ownerPid]: String(process.pid), [TAG.ownerStarted]: String(processStarted), [TAG.heartbeat]: String(Date.now()) };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Why the owner of a RUNNING run with these tags is gone, or undefined while it may be alive (or
 * the run predates owner tags: nothing is known, so nothing is touched).
 */
export function ownerGone(tags: Record<string, string>, now = Date.now(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = tags[TAG.ownerHost];
  const pid = Number(tags[TAG.ownerPid]);
  const beat = Number(tags[TAG.heartbeat]);
  if (!host || !Number.isInteger(pid) || pid <= 0) return undefined;
  const silence = Number.isFinite(beat) ? now - beat : Infinity;
  const seen = Number.isFinite(beat) ? `last heartbeat ${new Date(beat).toISOString()}` : 'no heartbeat';
  if (host === hostname()) {
    if (pid === process.pid) return undefined;
    if (!pidAlive(pid)) return `its owner, process ${pid} on ${host}, ended without closing it (${seen})`;
    if (silence > Math.max(SAME_HOST_SILENCE_MS, leaseMs(env))) return `process ${pid} on ${host} is alive but silent since ${seen.replace('last heartbeat ', '')}: the pid was reused`;
    return undefined;
  }
  if (silence > leaseMs(env)) return `its owner, process ${pid} on ${host}, renewed no lease for ${Math.round(silence / 1000)} s (${seen})`;
  return undefined;
}

/** Renews the heartbeat tag of the runs this process holds open, every `heartbeatMs`. */
export class Heartbeat {
  private readonly open = new Map<string, RunRef>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly beat: (run: RunRef, tags: Record<string, string>) => Promise<void>) {}

  hold(run: RunRef): void {
    this.open.set(run.runId, run);
    // unref'd: a heartbeat never keeps a finished process alive
    this.timer ??= setInterval(() => this.renew(), heartbeatMs()).unref();
  }

  release(run: RunRef): void {
    this.open.delete(run.runId);
    if (this.open.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private renew(): void {
    const tags = { [TAG.heartbeat]: String(Date.now()) };
    // a missed beat is harmless: the lease is several beats long
    for (const run of this.open.values()) void this.beat(run, tags).catch(() => undefined);
  }
}
