import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
});
