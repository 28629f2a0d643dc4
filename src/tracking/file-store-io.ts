/** Low-level file helpers of the MLflow file store: YAML, metric lines, errors (atomic writes come from core/atomic-write). */
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { isDiskFull, writeError } from '../core/atomic-write.ts';
import { CropsError } from '../core/errors.ts';
import type { RunRef } from '../extension-points/tracker.ts';

/** Python float syntax for a JS number (`nan`, `inf`, `-inf`; finite values as JS prints them). */
export function formatMetricValue(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/** The value MLflow shows for a metric: the point with the largest (step, timestamp, value). */
export interface LatestMetric {
  value: number;
  step: number;
  timestamp: number;
}

export function parseMetricLine(line: string): LatestMetric {
  const [ts, val, step] = line.trim().split(' ');
  const lower = (val ?? '').toLowerCase();
  const value = lower === 'inf' || lower === 'infinity' || lower === '+inf' ? Infinity : lower === '-inf' || lower === '-infinity' ? -Infinity : Number(val);
  return { timestamp: Number(ts), value, step: step === undefined ? 0 : Number(step) };
}

/** MLflow reads meta.yaml with PyYAML, a YAML 1.1 parser: `yes`, `off` or `12:30` must be quoted. */
export function toYaml(data: Record<string, unknown>): string {
  return stringifyYaml(data, { version: '1.1', sortMapEntries: true, lineWidth: 0 });
}

export async function readYaml(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const data: unknown = parseYaml(await readFile(path, 'utf8'), { version: '1.1' });
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export { appendWhole, atomicWrite, writeTemp } from '../core/atomic-write.ts';

/** Files under `dir`, keyed by their `/`-separated relative path (keys may contain `/`). */
export async function readTree(dir: string, prefix = ''): Promise<Record<string, string>> {
  // keys come from file names, and `__proto__` is a valid MLflow key
  const out: Record<string, string> = Object.create(null);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.isDirectory()) Object.assign(out, await readTree(join(dir, e.name), `${prefix}${e.name}/`));
    else if (e.isFile()) out[`${prefix}${e.name}`] = await readFile(join(dir, e.name), 'utf8');
  }
  return out;
}

export async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Creates the folders a `/`-containing key needs, but never a missing run directory. */
export async function mkdirFor(run: RunRef, kind: string, key: string, target: string): Promise<void> {
  if (!key.includes('/')) return;
  const base = target.slice(0, target.length - key.length - 1);
  try {
    await stat(base);
    await mkdir(dirname(target), { recursive: true });
  } catch (e) {
    throw fsError(run, kind, key, e);
  }
}

/**
 * Turns the errors a misuse or a full disk produces into messages that say what went wrong; `path`
 * is the file being written, named when the disk is full.
 */
export function fsError(run: RunRef, kind: string, key: string, e: unknown, path?: string): unknown {
  const code = errno(e);
  if (path !== undefined && isDiskFull(e)) return writeError(`MLflow ${kind} ${JSON.stringify(key)} of run ${run.runId} to`, path, e);
  if (code === 'ENOENT') return new CropsError(`MLflow run ${run.runId} (experiment ${run.experimentId}) does not exist in the store; was it deleted?`);
  // `a` and `a/b` cannot both exist as files
  if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') {
    return new CropsError(`MLflow ${kind} key ${JSON.stringify(key)} clashes with another ${kind} key of run ${run.runId}: keys are file paths, so 'a' and 'a/b' cannot both exist`);
  }
  return e;
}

export function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
