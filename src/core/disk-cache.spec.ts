import { mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskCache } from './disk-cache.ts';

describe('DiskCache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crops-cache-'));

  it('returns what was stored under an equal key, whatever the key order', async () => {
    const cache = new DiskCache<object, string[]>(dir);
    await cache.set({ model: 'm', temperature: 0.7 }, ['a', 'b']);
    expect(await cache.get({ temperature: 0.7, model: 'm' })).toEqual(['a', 'b']);
    expect(await cache.get({ model: 'm', temperature: 0.8 })).toBeUndefined();
  });

  it('writes one JSON line per entry, holding its key, and no temporary files', async () => {
    const cache = new DiskCache<object, number>(join(dir, 'lines'));
    await cache.set({ k: 1 }, 5);
    const file = cache.pathOf({ k: 1 });
    expect(readFileSync(file, 'utf8')).toBe('{"key":{"k":1},"value":5}\n');
    expect(readdirSync(join(file, '..'))).toEqual([file.split('/').at(-1)]);
  });

  it('ignores a file whose stored key differs or that is not JSON', async () => {
    const cache = new DiskCache<object, number>(join(dir, 'bad'));
    await cache.set({ k: 2 }, 1);
    writeFileSync(cache.pathOf({ k: 2 }), '{"key":{"k":3},"value":9}\n');
    expect(await cache.get({ k: 2 })).toBeUndefined();
    writeFileSync(cache.pathOf({ k: 2 }), 'not json');
    expect(await cache.get({ k: 2 })).toBeUndefined();
  });

  it('marks an entry as used when it is read, so pruning can tell live entries from stale ones', async () => {
    const cache = new DiskCache<object, number>(join(dir, 'used'));
    await cache.set({ k: 4 }, 1);
    await cache.set({ k: 5 }, 2);
    const old = new Date('2020-01-01T00:00:00Z');
    for (const k of [4, 5]) utimesSync(cache.pathOf({ k }), old, old);
    expect(await cache.get({ k: 4 })).toBe(1);
    expect(statSync(cache.pathOf({ k: 4 })).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    // a miss for another key touches nothing
    expect(statSync(cache.pathOf({ k: 5 })).mtimeMs).toBe(old.getTime());
  });
});
