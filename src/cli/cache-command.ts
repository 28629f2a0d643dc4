import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CropsError } from '../core/errors.ts';
import type { Io } from './io.ts';

export interface CacheArgs {
  /** the cache folder, `.crops-cache` by default */
  dir: string;
  /** `list` shows what each folder holds; `prune` removes unused mined positives */
  action: 'list' | 'prune';
  /** for `prune`: how long an entry must have gone unused, e.g. `30d` */
  unusedFor?: string;
  /** for `prune`: say what would go, remove nothing */
  dryRun: boolean;
  /** the current time, for tests */
  now?: number;
}

/**
 * The folders `prune` may empty. Mined positives are keyed by the code that mined them, so every
 * change of the code leaves the old entries behind for good, and a long sweep writes gigabytes of
 * them; a hit refreshes an entry's time (DiskCache), so the time says when it was last used. The
 * other folders stay: plugin caches hold downloaded models that do not go stale that way, `spool`
 * holds writes that have not reached the MLflow server yet, `slurm` the task files of sweeps that
 * may still be running.
 */
const PRUNABLE = ['mined'];

interface FileInfo {
  path: string;
  size: number;
  mtimeMs: number;
}

/** Every regular file under `dir` (links are not followed). */
async function filesUnder(dir: string): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) {
      // a file removed by a concurrent prune or rename is simply not counted
      const s = await stat(path).catch(() => undefined);
      if (s) out.push({ path, size: s.size, mtimeMs: s.mtimeMs });
    }
  }
  return out;
}

/** A size as people read it: 1024-based, one decimal from KiB up. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

const DURATION_UNITS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000 };

/**
 * `30d`, `12h`, `90m` or `0` in milliseconds. One regular expression covers the three units this
 * flag needs; a duration library would add a dependency for a single flag.
 */
export function parseDuration(flag: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([dhm])?\s*$/.exec(value);
  if (!m || (m[2] === undefined && Number(m[1]) !== 0)) {
    throw new CropsError(`${flag} expects a duration such as 30d, 12h or 90m (or 0 for everything), got '${value}'`);
  }
  return Number(m[1]) * (m[2] ? DURATION_UNITS[m[2]]! : 0);
}

const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()).join('\n');
}

async function listCache(root: string, io: Io): Promise<number> {
  const folders = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const rows = [['folder', 'files', 'size', 'last used (UTC)']];
  let totalFiles = 0;
  let totalBytes = 0;
  for (const name of folders) {
    const files = await filesUnder(join(root, name));
    const bytes = files.reduce((a, f) => a + f.size, 0);
    totalFiles += files.length;
    totalBytes += bytes;
    const last = files.length > 0 ? when(Math.max(...files.map((f) => f.mtimeMs))) : '-';
    rows.push([name, files.length.toLocaleString('en-US'), formatBytes(bytes), last]);
  }
  io.out(`${root}: ${totalFiles.toLocaleString('en-US')} files, ${formatBytes(totalBytes)}\n`);
  if (folders.length > 0) io.out(`${table(rows)}\n`);
  io.out(`crops cache prune --unused-for 30d removes the ${PRUNABLE.join(', ')} entries not used for 30 days and keeps the other folders (crops cache --help)\n`);
  return 0;
}

async function pruneCache(root: string, age: number, args: CacheArgs, io: Io): Promise<number> {
  const cutoff = (args.now ?? Date.now()) - age;
  for (const name of PRUNABLE) {
    const dir = join(root, name);
    const files = await filesUnder(dir).catch(() => [] as FileInfo[]);
    const stale = files.filter((f) => age === 0 || f.mtimeMs < cutoff);
    const staleBytes = stale.reduce((a, f) => a + f.size, 0);
    const keptBytes = files.reduce((a, f) => a + f.size, 0) - staleBytes;
    if (!args.dryRun) {
      for (const f of stale) await rm(f.path, { force: true });
      // the two-character fan-out folders left empty; one still in use is not empty and stays
      for (const sub of await readdir(dir).catch(() => [] as string[])) await rmdir(join(dir, sub)).catch(() => undefined);
    }
    io.out(
      `${name}: ${args.dryRun ? 'would remove' : 'removed'} ${stale.length.toLocaleString('en-US')} file(s) not used for ${args.unusedFor!.trim()} ` +
        `(${formatBytes(staleBytes)}); ${(files.length - stale.length).toLocaleString('en-US')} kept (${formatBytes(keptBytes)})\n`,
    );
  }
  return 0;
}

/** `crops cache`: what `.crops-cache` holds, and `prune` to remove the mined positives nothing uses. */
export async function cacheCommand(args: CacheArgs, io: Io): Promise<number> {
  // bad input is refused whether or not there is a cache to prune
  let age = 0;
  if (args.action === 'prune') {
    if (args.unusedFor === undefined) throw new CropsError('crops cache prune needs --unused-for, e.g. --unused-for 30d (0 removes every mined entry)');
    age = parseDuration('--unused-for', args.unusedFor);
  }
  const root = resolve(args.dir);
  const isDir = await stat(root).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    io.out(`${root}: no cache here (crops run creates it in the folder it runs in)\n`);
    return 0;
  }
  return args.action === 'list' ? listCache(root, io) : pruneCache(root, age, args, io);
}
