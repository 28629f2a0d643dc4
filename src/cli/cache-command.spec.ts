import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskCache } from '../core/disk-cache.ts';
import { formatBytes, parseDuration } from './cache-command.ts';
import { main } from './main.ts';

async function crops(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

const DAY = 86_400_000;

/** A cache folder with mined entries of various ages, a plugin cache and a spool, all old but one entry. */
async function populatedCache() {
  const root = mkdtempSync(join(tmpdir(), 'crops-cache-cmd-'));
  const mined = new DiskCache<string, number[]>(join(root, 'mined'));
  await mined.set('fresh', [1, 2, 3]);
  await mined.set('stale', [4, 5, 6]);
  await mined.set('read-lately', [7]);
  const aged = new Date(Date.now() - 40 * DAY);
  for (const key of ['stale', 'read-lately']) utimesSync(mined.pathOf(key), aged, aged);
  // a sweep read this one a moment ago, which counts as a use
  expect(await mined.get('read-lately')).toEqual([7]);
  const model = join(root, 'encoder', 'hf-bert', 'model.bin');
  const spooled = join(root, 'spool', 'run-1.jsonl');
  for (const [file, bytes] of [[model, 3000], [spooled, 10]] as const) {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, Buffer.alloc(bytes));
    utimesSync(file, aged, aged);
  }
  return { root, mined, model, spooled };
}

describe('crops cache', () => {
  it('lists each folder with its files, size and last use', async () => {
    const { root } = await populatedCache();
    const r = await crops('cache', '--dir', root);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${root}: 5 files,`);
    expect(r.out).toMatch(/^encoder +1 +2\.9 KiB +\d{4}-\d\d-\d\d \d\d:\d\d$/m);
    expect(r.out).toMatch(/^mined +3 +\d+ B +\d{4}-\d\d-\d\d \d\d:\d\d$/m);
    expect(r.out).toMatch(/^spool +1 +10 B /m);
    expect(r.out).toContain('crops cache prune --unused-for 30d');
  });

  it('prunes only mined entries nobody used for the given time, and --dry-run removes nothing', async () => {
    const { root, mined, model, spooled } = await populatedCache();
    const dry = await crops('cache', 'prune', '--unused-for', '30d', '--dry-run', '--dir', root);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/^mined: would remove 1 file\(s\) not used for 30d \(\d+ B\); 2 kept/m);
    expect(existsSync(mined.pathOf('stale'))).toBe(true);

    const r = await crops('cache', 'prune', '--unused-for', '30d', '--dir', root);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^mined: removed 1 file\(s\) not used for 30d/m);
    expect(existsSync(mined.pathOf('stale'))).toBe(false);
    // its fan-out folder goes with it unless another entry shares it
    const staleFolder = join(mined.pathOf('stale'), '..');
    const sharesFolder = ['fresh', 'read-lately'].some((k) => join(mined.pathOf(k), '..') === staleFolder);
    expect(existsSync(staleFolder)).toBe(sharesFolder);
    expect(await mined.get('fresh')).toEqual([1, 2, 3]);
    expect(await mined.get('read-lately')).toEqual([7]);
    // downloaded models and writes waiting for the MLflow server are never the cache's to drop
    expect(existsSync(model)).toBe(true);
    expect(existsSync(spooled)).toBe(true);

    const all = await crops('cache', 'prune', '--unused-for', '0', '--dir', root);
    expect(all.out).toMatch(/^mined: removed 2 file\(s\)/m);
    expect(await mined.get('fresh')).toBeUndefined();
  });

  it('explains a missing or malformed age and a cache that does not exist', async () => {
    const { root } = await populatedCache();
    const bad = await crops('cache', 'prune', '--unused-for', '30x', '--dir', root);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--unused-for expects a duration such as 30d, 12h or 90m (or 0 for everything), got '30x'");
    const none = await crops('cache', 'prune', '--dir', root);
    expect(none.code).toBe(2);
    expect(none.err).toContain('crops cache prune needs --unused-for, e.g. --unused-for 30d');
    const misplaced = await crops('cache', '--unused-for', '1d', '--dir', root);
    expect(misplaced.code).toBe(2);
    expect(misplaced.err).toContain('--unused-for and --dry-run go with crops cache prune');
    const other = await crops('cache', 'clean', '--dir', root);
    expect(other.code).toBe(2);
    expect(other.err).toContain("crops cache takes nothing or 'prune' (got clean)");
    const missing = await crops('cache', '--dir', join(root, 'nowhere'));
    expect(missing.code).toBe(0);
    expect(missing.out).toContain('no cache here');
  });

  it('reads ages and sizes as people write them', () => {
    expect(parseDuration('--f', '30d')).toBe(30 * DAY);
    expect(parseDuration('--f', '12h')).toBe(DAY / 2);
    expect(parseDuration('--f', '1.5m')).toBe(90_000);
    expect(parseDuration('--f', '0')).toBe(0);
    for (const bad of ['', '5', '-1d', 'd', '2w']) expect(() => parseDuration('--f', bad), bad).toThrow(/expects a duration/);
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(7.3 * 1024 ** 3)).toBe('7.3 GiB');
  });
});
